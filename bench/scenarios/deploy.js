// Scenario `deploy`: (1) deploy-to-Running time of a small TypeScript agent — POST /deploy until the
// agent's status says Running (build: write files, transpile, link runagents; then a runtime process
// whose /healthz answers) — first deploy on a fresh platform (the TypeScript compiler is loaded, no
// code cache yet), then further deploys of new agents, then redeploys of a running agent; target
// < 1.5 s. (2) The latency the platform adds to an invoke: sequential POST /api/v1/agents/{name}/invoke
// (run + events recorded) beside POST /invoke straight to the same agent process, interleaved in one
// run; target p50 overhead < 1 ms. The platform runs in a worker thread, the client in the main one.
// Both are measured twice, with agents in the bubblewrap sandbox (isolation `auto`) and without
// isolation (`none`), side by side. The direct baseline goes to the agent's private socket with
// its runtime secret, as the platform does.
//
// Env: BENCH_PLATFORM_DIST (default packages/platform/dist) picks the platform build to measure;
// RUNAGENTS_PACKAGE_DIR / RUNAGENTS_RUNTIME_ENTRY pick the runtime agents run on (platform config).
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const AGENT_TS = `interface Request { message: string }
export async function handler(request: Request): Promise<string> {
  return \`ok \${request.message}\`;
}
`;
const NEW_AGENTS = 8;
const REDEPLOYS = 5;
const INVOKE_SAMPLES = 2000;
const WARMUP = 300;

if (!isMainThread) await startPlatformInWorker();

export async function run() {
  const results = {};
  for (const isolation of ["auto", "none"]) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { isolation } });
    const started = await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    const endpointOf = (name) =>
      new Promise((resolve) => {
        worker.once("message", resolve);
        worker.postMessage({ endpoint: name });
      });
    try {
      console.log(`\n=== agents with isolation: ${started.isolation} ===`);
      apiKey = started.apiKey;
      results[started.isolation] = await measure(`${started.url}/api/v1`, endpointOf);
    } finally {
      worker.postMessage({ stop: true });
      await new Promise((resolve) => worker.once("exit", resolve));
    }
  }
  const rows = Object.entries(results);
  console.log("\ndeploy: sandbox vs none, side by side");
  console.log(
    `${"isolation".padEnd(18)}${"new agent p50".padStart(16)}${"redeploy p50".padStart(14)}${"invoke overhead p50".padStart(22)}`,
  );
  for (const [mode, r] of rows) {
    console.log(
      `${mode.padEnd(18)}${`${r.deploy.new_agent.p50_ms} ms`.padStart(16)}${`${r.deploy.redeploy.p50_ms} ms`.padStart(14)}${`${r.invoke.overhead_p50_ms} ms`.padStart(22)}`,
    );
  }
  return results;
}

let apiKey = "";

async function startPlatformInWorker() {
  const dist = resolve(
    process.env.BENCH_PLATFORM_DIST ?? new URL("../../packages/platform/dist", import.meta.url).pathname,
  );
  const { loadPlatformConfig, silentLogger, startPlatform } = await import(
    pathToFileURL(join(dist, "src/index.js")).href
  );
  const dataDir = mkdtempSync(join(tmpdir(), "runagents-bench-deploy-"));
  const config = {
    ...loadPlatformConfig([], process.env),
    port: 0,
    dataDir,
    agentIsolation: workerData.isolation,
  };
  const platform = await startPlatform(config, { logger: silentLogger });
  parentPort.on("message", async (message) => {
    if (message.endpoint) {
      const { socketPath, secret } = platform.services.agents.endpointFor("default", message.endpoint);
      parentPort.postMessage({ socketPath, secret });
      return;
    }
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
  const probe = await import(pathToFileURL(join(dist, "src/deploy/isolation/mode.js")).href);
  const isolation =
    workerData.isolation === "auto" && probe.probeSandbox().ok
      ? "sandbox"
      : workerData.isolation === "auto"
        ? "node-permission"
        : workerData.isolation;
  parentPort.postMessage({ url: platform.url, apiKey: platform.bootstrapKey, isolation });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const socketAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function urlParts(url) {
  const u = new URL(url);
  return { hostname: u.hostname, port: u.port, path: `${u.pathname}${u.search}` };
}

function request(url, method, body, target) {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = text
      ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) }
      : {};
    if (target) headers["X-RunAgents-Runtime-Secret"] = target.secret;
    else headers["X-RunAgents-API-Key"] = apiKey;
    const options = target
      ? { socketPath: target.socketPath, path: url, method, agent: socketAgent, headers }
      : { ...urlParts(url), method, agent, headers };
    const req = http.request(options, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode, json: JSON.parse(Buffer.concat(chunks).toString() || "null") }),
      );
    });
    req.on("error", reject);
    req.end(text);
  });
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** ms from POST /deploy until GET /agents/{name} says Running with `version` (polled every 5 ms). */
async function deployToRunning(api, name, version) {
  const started = now();
  const res = await request(`${api}/deploy`, "POST", {
    agent_name: name,
    source_files: { "agent.ts": AGENT_TS },
  });
  if (res.status !== 201) throw new Error(`deploy failed: ${res.status} ${JSON.stringify(res.json)}`);
  for (;;) {
    const { json } = await request(`${api}/agents/${name}`, "GET");
    if (json.status.phase === "Running" && json.status.version === version)
      return { ms: now() - started, agent: json };
    if (json.status.phase === "Failed") throw new Error(`deploy failed: ${json.status.message}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function measure(api, endpointOf) {
  const first = await deployToRunning(api, "bench-0", 1);
  const fresh = [];
  for (let i = 1; i <= NEW_AGENTS; i++) fresh.push((await deployToRunning(api, `bench-${i}`, 1)).ms);
  const redeploys = [];
  let current;
  for (let v = 2; v < 2 + REDEPLOYS; v++) {
    current = await deployToRunning(api, "bench-0", v);
    redeploys.push(current.ms);
  }
  const deploy = {
    first_ms: round(first.ms),
    new_agent: percentiles(fresh),
    redeploy: percentiles(redeploys),
  };
  console.log("\ndeploy: POST /deploy until the agent is Running (small TypeScript handler)");
  console.log(`${"".padEnd(48)}${"p50 ms".padStart(10)}${"max ms".padStart(10)}`);
  console.log(
    `${"first deploy (cold compiler)".padEnd(48)}${String(deploy.first_ms).padStart(10)}${"".padStart(10)}`,
  );
  console.log(
    `${`new agent (${NEW_AGENTS})`.padEnd(48)}${String(deploy.new_agent.p50_ms).padStart(10)}${String(deploy.new_agent.max_ms).padStart(10)}`,
  );
  console.log(
    `${`redeploy of a running agent (${REDEPLOYS})`.padEnd(48)}${String(deploy.redeploy.p50_ms).padStart(10)}${String(deploy.redeploy.max_ms).padStart(10)}`,
  );
  console.log("  target: < 1500 ms");

  const target = await endpointOf("bench-0");
  const direct = "/invoke";
  const proxied = `${api}/agents/bench-0/invoke`;
  const body = { message: "hi" };
  for (let i = 0; i < WARMUP; i++) {
    await request(direct, "POST", body, target);
    await request(proxied, "POST", body);
  }
  const directMs = [];
  const proxiedMs = [];
  for (let i = 0; i < INVOKE_SAMPLES; i++) {
    let t = now();
    await request(direct, "POST", body, target);
    directMs.push(now() - t);
    t = now();
    const res = await request(proxied, "POST", body);
    proxiedMs.push(now() - t);
    if (res.status !== 200) throw new Error(`invoke failed: ${res.status} ${JSON.stringify(res.json)}`);
  }
  const invoke = { direct: percentiles(directMs), platform: percentiles(proxiedMs) };
  invoke.overhead_p50_ms = round(invoke.platform.p50_ms - invoke.direct.p50_ms);
  invoke.overhead_p99_ms = round(invoke.platform.p99_ms - invoke.direct.p99_ms);
  console.log(
    `\ndeploy: invoke latency, ${INVOKE_SAMPLES} sequential requests each, interleaved, keep-alive`,
  );
  console.log(`${"".padEnd(48)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}`);
  console.log(
    `${"baseline: POST /invoke on the agent process".padEnd(48)}${String(invoke.direct.p50_ms).padStart(10)}${String(invoke.direct.p99_ms).padStart(10)}`,
  );
  console.log(
    `${"POST /api/v1/agents/{name}/invoke (run recorded)".padEnd(48)}${String(invoke.platform.p50_ms).padStart(10)}${String(invoke.platform.p99_ms).padStart(10)}`,
  );
  console.log(
    `  platform overhead: p50 ${invoke.overhead_p50_ms} ms, p99 ${invoke.overhead_p99_ms} ms (target p50 < 1 ms)`,
  );
  return { deploy, invoke };
}

function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return { p50_ms: round(pct(50)), p99_ms: round(pct(99)), max_ms: round(sorted.at(-1) ?? 0) };
}

const round = (n) => Math.round(n * 100) / 100;
