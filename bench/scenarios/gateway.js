// Scenario `gateway`: what the LLM gateway adds over calling a model provider directly. A fake
// OpenAI-compatible upstream (in a worker thread, so it never shares the platform's event loop)
// answers a small chat completion with usage, or streams ten chunks 2 ms apart. Measured in one
// run: the upstream called directly; a bare node:http keep-alive proxy in the platform's thread
// (the floor for a node:http proxy in one thread on this machine); the gateway's open route
// (/v1/chat/completions); the same bare proxy run as one process per core
// (bench/bare-proxy-cluster.js: the ceiling for any Node.js proxy here); an agent's token route (budget check + spend record on every call).
// Throughput at the requested concurrency, then latency one request at a time (added = gateway -
// direct), and the streaming time to first byte, direct vs through the gateway. The load comes
// from bench/load.js (wrk when installed); `busy µs` is the platform thread's cost per call.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { startProxyCluster } from "../ceiling.js";
import { load, printTable } from "../load.js";
import { startNginx } from "../nginx.js";

const PLATFORM = "../../packages/platform/dist/src/index.js";
const IDENTITY = "../../packages/platform/dist/src/governance/agent-identity.js";
const LATENCY_REQUESTS = 2000;
const TTFB_SAMPLES = 300;
const MODEL = "gpt-4o-mini";
const BODY = JSON.stringify({
  model: MODEL,
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "Say hello in five words." },
  ],
});
const COMPLETION = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1700000000,
  model: MODEL,
  choices: [
    { index: 0, message: { role: "assistant", content: "Hello there, how are you?" }, finish_reason: "stop" },
  ],
  usage: { prompt_tokens: 24, completion_tokens: 7, total_tokens: 31 },
});
const chunk = (delta, finish = null, usage) =>
  `data: ${JSON.stringify({
    id: "c",
    object: "chat.completion.chunk",
    created: 1,
    model: MODEL,
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  })}\n\n`;

const round = (n) => Math.round(n * 100) / 100;

if (!isMainThread && workerData?.role === "upstream") await serveUpstream();
if (!isMainThread && workerData?.role === "ttfb") parentPort.postMessage(await measureTtfb(workerData));

export async function run({ requests, concurrency }) {
  const upstream = new Worker(new URL(import.meta.url), { workerData: { role: "upstream" } });
  const upstreamUrl = await new Promise((resolve, reject) => {
    upstream.once("message", resolve);
    upstream.once("error", reject);
  });
  const proxy = await startBareProxy(new URL(`${upstreamUrl}/v1/chat/completions`));
  const ceiling = await startProxyCluster(upstreamUrl);
  const { loadPlatformConfig, silentLogger, startPlatform } = await import(PLATFORM);
  const { issueAgentToken } = await import(IDENTITY);
  const dataDir = mkdtempSync(join(tmpdir(), "runagents-bench-gateway-"));
  let nginx;
  const platform = await startPlatform(
    { ...loadPlatformConfig([], {}), port: 0, dataDir },
    { logger: silentLogger },
  );
  try {
    const apiKey = platform.bootstrapKey;
    if (!apiKey) throw new Error("the platform issued no bootstrap API key");
    const created = await fetch(`${platform.url}/api/v1/model-providers`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-RunAgents-API-Key": apiKey },
      body: JSON.stringify({
        name: "bench-llm",
        spec: { provider: "openai", endpoint: `${upstreamUrl}/v1`, models: [MODEL] },
        api_key: "sk-bench-0123456789",
      }),
    });
    if (!created.ok) throw new Error(`model provider: ${created.status} ${await created.text()}`);
    const llmConfigs = [{ role: "default", provider: "openai", model: MODEL, monthly_budget_usd: 1e9 }];
    await platform.store.putResource("default", "agent", "bench-agent", {
      name: "bench-agent",
      spec: { llmConfigs },
    });
    const token = await issueAgentToken(platform.store, "default", "bench-agent");

    nginx = await startNginx([{ path: "/", upstream: new URL(upstreamUrl).host }], { probe: "/v1/models" });
    const targets = {
      "upstream directly": `${upstreamUrl}/v1/chat/completions`,
      "nginx proxy_pass": `${nginx.url}/v1/chat/completions`,
      "bare node:http proxy": proxy.url,
      [`node:http proxy ×${ceiling.processes} procs`]: `${ceiling.url}/v1/chat/completions`,
      "gateway /v1 (open)": `${platform.url}/v1/chat/completions`,
      "gateway /gateway/<token>/v1": `${platform.url}/gateway/${token}/v1/chat/completions`,
    };
    const plain = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(BODY) };
    // The open route authenticates like /api/v1: the caller presents an API key.
    const withKey = { ...plain, Authorization: `Bearer ${apiKey}` };
    const measure = (url, n, c, pids) =>
      load(url, {
        requests: n,
        concurrency: c,
        method: "POST",
        headers: url === targets["gateway /v1 (open)"] ? withKey : plain,
        body: BODY,
        pids,
      });
    const pidsOf = (name) =>
      name.startsWith("gateway") || name.startsWith("bare")
        ? [process.pid]
        : name.startsWith("nginx")
          ? nginx.pids
          : name.startsWith("node:http proxy")
            ? ceiling.pids
            : undefined;
    for (const url of Object.values(targets)) await measure(url, 500, 4); // warm-up
    const latency = {};
    const throughput = {};
    // Throughput first: the latency rows then measure a server whose hot paths are compiled.
    for (const [name, url] of Object.entries(targets))
      throughput[name] = await measure(url, requests, concurrency, pidsOf(name));
    for (const [name, url] of Object.entries(targets))
      latency[name] = await measure(url, LATENCY_REQUESTS, 1);
    const ttfb = await new Promise((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), {
        workerData: {
          role: "ttfb",
          direct: targets["upstream directly"],
          gateway: targets["gateway /v1 (open)"],
          apiKey,
          samples: TTFB_SAMPLES,
        },
      });
      worker.once("message", resolve);
      worker.once("error", reject);
    });

    printTable(
      `gateway latency: ${LATENCY_REQUESTS} requests, 1 at a time, loopback`,
      Object.entries(latency),
    );
    printTable(
      `gateway throughput: ${requests} requests, ${concurrency} concurrent`,
      Object.entries(throughput),
    );
    const direct = latency["upstream directly"];
    const added = (name) => ({
      p50_ms: round(latency[name].p50_ms - direct.p50_ms),
      p99_ms: round(latency[name].p99_ms - direct.p99_ms),
    });
    const summary = {
      added_latency_ms: { open: added("gateway /v1 (open)"), agent: added("gateway /gateway/<token>/v1") },
      ratio_vs_nginx: {
        open: round(throughput["gateway /v1 (open)"].rps / throughput["nginx proxy_pass"].rps),
        agent: round(throughput["gateway /gateway/<token>/v1"].rps / throughput["nginx proxy_pass"].rps),
      },
      throughput_rps: {
        nginx: throughput["nginx proxy_pass"].rps,
        direct: throughput["upstream directly"].rps,
        bare_proxy: throughput["bare node:http proxy"].rps,
        ceiling: throughput[`node:http proxy ×${ceiling.processes} procs`].rps,
        open: throughput["gateway /v1 (open)"].rps,
        agent: throughput["gateway /gateway/<token>/v1"].rps,
      },
      stream_ttfb_ms: ttfb,
    };
    console.log(`\nadded by the gateway (p50/p99 ms): ${JSON.stringify(summary.added_latency_ms)}`);
    console.log(
      `gateway at c=${concurrency}: open route ${summary.ratio_vs_nginx.open}x, agent-token route ` +
        `${summary.ratio_vs_nginx.agent}x nginx proxy_pass throughput (goal >= 0.5); CPU per call: ` +
        `open ${throughput["gateway /v1 (open)"].cpu_us} µs, agent ${throughput["gateway /gateway/<token>/v1"].cpu_us} µs, ` +
        `nginx ${throughput["nginx proxy_pass"].cpu_us} µs`,
    );
    const ceilingRatio = round(summary.throughput_rps.ceiling / summary.throughput_rps.nginx);
    console.log(
      `ceiling: a bare node:http proxy (no gateway work) in ${ceiling.processes} processes reaches ` +
        `${ceilingRatio}x nginx; in one thread ${round(summary.throughput_rps.bare_proxy / summary.throughput_rps.nginx)}x`,
    );
    console.log(
      `streaming time to first byte (p50/p99 ms): direct ${ttfb.direct.p50_ms}/${ttfb.direct.p99_ms}, ` +
        `gateway ${ttfb.gateway.p50_ms}/${ttfb.gateway.p99_ms}, added p50 ${ttfb.added_p50_ms}`,
    );
    return { latency, throughput, ...summary };
  } finally {
    nginx?.stop();
    ceiling.stop();
    await platform.close();
    proxy.server.closeAllConnections();
    proxy.server.close();
    await upstream.terminate();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A minimal keep-alive proxy: read the body, POST it upstream, answer with the upstream's body. */
async function startBareProxy(target) {
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const headers = { "Content-Type": "application/json", "Content-Length": body.length };
      const up = http.request(target, { method: "POST", agent, headers }, (answer) => {
        const out = [];
        answer.on("data", (c) => out.push(c));
        answer.on("end", () => {
          const text = Buffer.concat(out);
          res.writeHead(answer.statusCode, {
            "Content-Type": "application/json",
            "Content-Length": text.length,
          });
          res.end(text);
        });
      });
      up.end(body);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/** In a worker: the fake OpenAI-compatible upstream; posts its URL. */
async function serveUpstream() {
  const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const stream = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}").stream === true;
      if (!stream) {
        res.writeHead(200, {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(COMPLETION),
        });
        res.end(COMPLETION);
        return;
      }
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write(chunk({ role: "assistant", content: "" }));
      let sent = 0;
      const timer = setInterval(() => {
        if (++sent < 10) {
          res.write(chunk({ content: `w${sent} ` }));
          return;
        }
        clearInterval(timer);
        res.write(chunk({}, "stop"));
        res.write(chunk({}, null, { prompt_tokens: 24, completion_tokens: 9, total_tokens: 33 }));
        res.end("data: [DONE]\n\n");
      }, 2);
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  parentPort.postMessage(`http://127.0.0.1:${server.address().port}`);
}

/** In a worker: time to the first body byte of streamed calls, alternating direct and gateway. */
async function measureTtfb({ direct, gateway, samples, apiKey }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const body = JSON.stringify({ ...JSON.parse(BODY), stream: true });
  const headers = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) };
  const once = (url) =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      const sent = url === gateway ? { ...headers, Authorization: `Bearer ${apiKey}` } : headers;
      const req = http.request(url, { agent, method: "POST", headers: sent }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`${url}: streamed call answered ${res.statusCode}`));
          res.resume();
          return;
        }
        let first = 0;
        res.on("data", () => {
          first ||= Number(process.hrtime.bigint() - started) / 1e6;
        });
        res.on("end", () => resolve(first));
      });
      req.on("error", reject);
      req.end(body);
    });
  const times = { direct: [], gateway: [] };
  for (let i = 0; i < 20; i++) await once(gateway);
  for (let i = 0; i < samples; i++) {
    times.direct.push(await once(direct));
    times.gateway.push(await once(gateway));
  }
  agent.destroy();
  const stats = (list) => {
    list.sort((a, b) => a - b);
    const pct = (p) => round(list[Math.min(list.length - 1, Math.floor((p / 100) * list.length))]);
    return { p50_ms: pct(50), p99_ms: pct(99) };
  };
  const d = stats(times.direct);
  const g = stats(times.gateway);
  return { direct: d, gateway: g, added_p50_ms: round(g.p50_ms - d.p50_ms) };
}
