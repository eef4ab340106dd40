// Scenario `egress`: governed tool calls through the platform's egress
// (`/egress/<agent-token>/<tool>/...`: token → policy decision → TOOL_REQUEST event → forward →
// TOOL_RESPONSE event) against calling the same tool server directly, in the same run; against a
// bare node:http keep-alive proxy in the platform's thread (the floor for a node:http proxy in one
// thread on this machine, measured the same way); and against nginx `proxy_pass` to the same tool
// when `nginx` is on PATH; and against the same bare proxy run as one process per core
// (bench/bare-proxy-cluster.js): the ceiling for any Node.js proxy on this machine. The tool server runs in a worker thread, the platform in the main
// thread, the load generator outside it (bench/load.js: wrk when installed).
// Throughput is measured at the requested concurrency; added latency from sequential calls
// (concurrency 1), as governed p50/p99 minus direct p50/p99. `busy µs` is how long the main
// thread's event loop was busy per call: the proxy's own cost per call.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { issueAgentToken } from "../../packages/platform/dist/src/governance/agent-identity.js";
import { loadPlatformConfig, silentLogger, startPlatform } from "../../packages/platform/dist/src/index.js";
import { startProxyCluster } from "../ceiling.js";
import { load, printTable } from "../load.js";
import { startNginx } from "../nginx.js";

const TOOL_BODY = JSON.stringify({
  items: [
    { id: 1, name: "alpha" },
    { id: 2, name: "beta" },
  ],
});
const LATENCY_SAMPLES = 2000;

if (!isMainThread) {
  const tool = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(TOOL_BODY),
      });
      res.end(TOOL_BODY);
    });
  });
  tool.keepAliveTimeout = 65_000;
  tool.listen(0, "127.0.0.1", () => parentPort.postMessage(tool.address().port));
}

export async function run({ requests, concurrency }) {
  const worker = new Worker(new URL(import.meta.url));
  const toolPort = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  const toolUrl = `http://127.0.0.1:${toolPort}`;
  const dataDir = mkdtempSync(join(tmpdir(), "runagents-bench-egress-"));
  const platform = await startPlatform(
    { ...loadPlatformConfig([], {}), port: 0, dataDir },
    { logger: silentLogger },
  );
  const bare = await startBareProxy(toolPort);
  const ceiling = await startProxyCluster(toolUrl);
  let nginx;
  try {
    const api = `${platform.url}/api/v1`;
    const post = async (path, body) => {
      const res = await fetch(`${api}${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-RunAgents-API-Key": platform.bootstrapKey ?? "" },
        body: JSON.stringify(body),
      });
      if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    await post("/tools", {
      name: "inventory",
      spec: {
        connection: { baseUrl: toolUrl },
        capabilities: [{ name: "list-items", method: "GET", path: "/items" }],
      },
    });
    await post("/policies", {
      name: "inventory-read",
      spec: {
        policies: [
          { permission: "allow", resource: `${toolUrl}/items*`, operations: ["GET"] },
          { permission: "deny", resource: `${toolUrl}/admin*` },
        ],
      },
    });
    await platform.store.putResource("default", "agent", "bench-agent", {
      name: "bench-agent",
      spec: { policies: ["inventory-read"], requiredTools: [{ name: "inventory" }] },
    });
    const token = await issueAgentToken(platform.store, "default", "bench-agent");
    const runRecord = await post("/runs", { agent_id: "bench-agent", user_id: "bench-user" });
    const headers = { "X-Run-ID": runRecord.id, "X-End-User-Id": "bench-user" };
    const direct = `${toolUrl}/items?limit=2`;
    const governed = `${platform.url}/egress/${token}/inventory/items?limit=2`;

    const check = await fetch(governed, { headers });
    if (check.status !== 200) throw new Error(`egress answered ${check.status}: ${await check.text()}`);
    await check.text();

    // warm-up, then throughput at the requested concurrency
    const warm = { requests: Math.min(2000, requests), concurrency };
    const viaBare = `${bare.url}/items?limit=2`;
    await load(direct, warm);
    await load(viaBare, warm);
    await load(governed, { ...warm, headers });
    const opts = { requests, concurrency };
    const directRate = await load(direct, opts);
    const bareRate = await load(viaBare, opts);
    const governedRate = await load(governed, { ...opts, headers, pids: [process.pid] });
    // latency: one call at a time
    const seq = { requests: LATENCY_SAMPLES, concurrency: 1 };
    const directSeq = await load(direct, seq);
    const bareSeq = await load(viaBare, seq);
    const governedSeq = await load(governed, { ...seq, headers });

    const rows = [
      [`direct (c=${concurrency})`, directRate],
      [`bare node:http proxy (c=${concurrency})`, bareRate],
      [`governed egress (c=${concurrency})`, governedRate],
      ["direct (c=1)", directSeq],
      ["bare node:http proxy (c=1)", bareSeq],
      ["governed egress (c=1)", governedSeq],
    ];
    nginx = await startNginx([{ path: "/", upstream: `127.0.0.1:${toolPort}` }], { probe: "/items" });
    const proxied = `${nginx.url}/items?limit=2`;
    await load(proxied, warm);
    const nginxRate = await load(proxied, { ...opts, pids: nginx.pids });
    const nginxSeq = await load(proxied, seq);
    rows.push([`nginx proxy_pass (c=${concurrency})`, nginxRate], ["nginx proxy_pass (c=1)", nginxSeq]);
    const viaCeiling = `${ceiling.url}/items?limit=2`;
    await load(viaCeiling, warm);
    const ceilingRate = await load(viaCeiling, { ...opts, pids: ceiling.pids });
    rows.push([`node:http proxy ×${ceiling.processes} procs (c=${concurrency})`, ceilingRate]);
    printTable(
      `egress: ${requests} requests, loopback; latency rows: ${LATENCY_SAMPLES} sequential calls`,
      rows,
    );
    const added = {
      p50_ms: round(governedSeq.p50_ms - directSeq.p50_ms),
      p99_ms: round(governedSeq.p99_ms - directSeq.p99_ms),
    };
    const eventsResponse = await fetch(`${api}/runs/${runRecord.id}/events?tail=1`, {
      headers: { "X-RunAgents-API-Key": platform.bootstrapKey ?? "" },
    });
    if (!eventsResponse.ok)
      throw new Error(`run events: ${eventsResponse.status} ${await eventsResponse.text()}`);
    const events = (await eventsResponse.json()).at(-1);
    console.log(
      `\ngoverned calls/s: ${governedRate.rps} (target >= 5000; a bare proxy in the same thread: ${bareRate.rps}); ` +
        `main-thread busy per call ${governedRate.busy_us} µs (bare proxy ${bareRate.busy_us} µs); ` +
        `added latency p50 ${added.p50_ms} ms ` +
        `(target < 0.5), p99 ${added.p99_ms} ms (target < 3); events recorded on the run: ${events?.seq ?? 0}` +
        `; nginx adds p50 ${round(nginxSeq.p50_ms - directSeq.p50_ms)} ms, p99 ${round(nginxSeq.p99_ms - directSeq.p99_ms)} ms`,
    );
    const ratio = Math.round((governedRate.rps / nginxRate.rps) * 100) / 100;
    console.log(
      `governed egress at c=${concurrency}: ${ratio}x nginx proxy_pass throughput (goal >= 0.5); ` +
        `platform process CPU per governed call ${governedRate.cpu_us} µs (nginx ${nginxRate.cpu_us} µs)`,
    );
    const ceilingRatio = Math.round((ceilingRate.rps / nginxRate.rps) * 100) / 100;
    console.log(
      `ceiling: a bare node:http proxy (no governance) in ${ceiling.processes} processes reaches ` +
        `${ceilingRatio}x nginx; in one thread ${Math.round((bareRate.rps / nginxRate.rps) * 100) / 100}x`,
    );
    return {
      direct: directRate,
      bare_proxy: bareRate,
      governed: governedRate,
      direct_sequential: directSeq,
      bare_proxy_sequential: bareSeq,
      governed_sequential: governedSeq,
      added_latency: added,
      events_recorded: events?.seq ?? 0,
      nginx: nginxRate,
      nginx_sequential: nginxSeq,
      ratio_vs_nginx: ratio,
      ceiling: { ...ceilingRate, processes: ceiling.processes, ratio_vs_nginx: ceilingRatio },
    };
  } finally {
    nginx?.stop();
    ceiling.stop();
    bare.server.closeAllConnections();
    bare.server.close();
    await platform.close();
    await worker.terminate();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (n) => Math.round(n * 1000) / 1000;

/** A minimal keep-alive proxy to the tool: same method, path and body, the answer piped back. */
async function startBareProxy(toolPort) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const server = http.createServer((req, res) => {
    const up = http.request(
      { host: "127.0.0.1", port: toolPort, path: req.url, method: req.method, headers: req.headers, agent },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(up);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}
