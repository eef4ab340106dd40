// Scenario `runtime`: the agent runtime's POST /invoke with a trivial handler, beside a bare
// node:http server answering the same kind of JSON, both at 16 keep-alive connections (and at the
// requested concurrency when it differs); then the time to the first streamed `content` event of
// POST /invoke/stream through a local streaming fake LLM gateway, beside that gateway's own time to
// its first chunk. Logging is off (silent logger) so the figures are the runtime's own cost.
// The servers run in a worker thread and the load generator in the main thread, so the two do not
// share one event loop (the baseline server is measured the same way).
import http from "node:http";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { load, printTable } from "../load.js";

const CONNECTIONS = 16;
/** Measured rounds per server; the median (by throughput) is reported. */
const ROUNDS = 3;
const STREAM_SAMPLES = 200;
/** The fake gateway sends its first delta at once, then one more every CHUNK_GAP_MS. */
const CHUNKS = 10;
const CHUNK_GAP_MS = 5;

if (!isMainThread) await startServers();

export async function run({ requests, concurrency }) {
  const worker = new Worker(new URL(import.meta.url));
  const urls = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  try {
    return await measure(urls, { requests, concurrency });
  } finally {
    await worker.terminate();
  }
}

/** In the worker: the bare server, the fake gateway and two runtimes; posts their URLs. */
async function startServers() {
  const { serve, silentLogger } = await import("../../packages/runagents/dist/src/runtime/index.js");
  const bare = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const { message } = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      const body = JSON.stringify({
        response: `ok ${message}`,
        model: "bench",
        usage: {},
        tool_calls_made: [],
      });
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await listen(bare);
  const gateway = http.createServer(streamingGateway);
  await listen(gateway);
  const gatewayUrl = `http://127.0.0.1:${gateway.address().port}/v1/chat/completions`;

  const handlerRuntime = await serve({
    env: { AGENT_NAME: "bench" },
    port: 0,
    host: "127.0.0.1",
    logger: silentLogger,
    handler: (request) => `ok ${request.message}`,
  });
  const loopRuntime = await serve({
    env: { AGENT_NAME: "bench", LLM_GATEWAY_URL: gatewayUrl },
    port: 0,
    host: "127.0.0.1",
    logger: silentLogger,
  });
  parentPort.postMessage({
    bare: `http://127.0.0.1:${bare.address().port}/invoke`,
    gateway: gatewayUrl,
    handlerRuntime: handlerRuntime.url,
    loopRuntime: loopRuntime.url,
  });
}

async function measure(urls, { requests, concurrency }) {
  const body = JSON.stringify({ message: "hi" });
  const post = {
    method: "POST",
    headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
    body,
  };
  const bareUrl = urls.bare;
  const levels = concurrency === CONNECTIONS ? [CONNECTIONS] : [CONNECTIONS, concurrency];
  const rows = [];
  const figures = {};
  for (const c of levels) {
    const opts = { requests, concurrency: c, ...post };
    // Warm both servers up (JIT), then alternate rounds and keep each side's median round: this VM's
    // throughput drifts by tens of percent between back-to-back runs.
    await load(bareUrl, opts);
    await load(`${urls.handlerRuntime}/invoke`, opts);
    const bareRounds = [];
    const invokeRounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      bareRounds.push(await load(bareUrl, opts));
      invokeRounds.push(await load(`${urls.handlerRuntime}/invoke`, opts));
    }
    const baseline = median(bareRounds);
    const invoke = median(invokeRounds);
    rows.push([`baseline node:http (c=${c})`, baseline], [`POST /invoke handler (c=${c})`, invoke]);
    figures[`c${c}`] = { baseline, invoke, throughput_ratio: round2(invoke.rps / baseline.rps) };
  }
  printTable(
    `runtime: ${requests} requests per round, median of ${ROUNDS} rounds, keep-alive, loopback`,
    rows,
  );
  for (const c of levels) {
    console.log(
      `  /invoke at c=${c}: ${Math.round(figures[`c${c}`].throughput_ratio * 100)}% of bare node:http throughput`,
    );
  }

  const gatewayFirst = await sample(() =>
    firstChunk(urls.gateway, JSON.stringify({ model: "m", messages: [], stream: true })),
  );
  const streamed = await sample(() => firstContent(`${urls.loopRuntime}/invoke/stream`, body));
  console.log(`\nruntime: time to first streamed content, ${STREAM_SAMPLES} sequential requests`);
  console.log(`  (fake gateway: first delta at once, then ${CHUNKS - 1} more ${CHUNK_GAP_MS} ms apart)`);
  console.log(`${"".padEnd(44)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}`);
  const line = (label, s) =>
    console.log(`${label.padEnd(44)}${String(s.p50_ms).padStart(10)}${String(s.p99_ms).padStart(10)}`);
  line("gateway alone: first chunk", gatewayFirst.first);
  line("POST /invoke/stream: first content event", streamed.first);
  line("POST /invoke/stream: [DONE]", streamed.last);

  return {
    ...figures,
    stream: { gateway_first_chunk: gatewayFirst.first, first_content: streamed.first, done: streamed.last },
  };
}

function streamingGateway(req, res) {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    let i = 0;
    const send = () => {
      const delta = i === 0 ? { role: "assistant", content: "word " } : { content: "word " };
      res.write(
        `data: ${JSON.stringify({ id: "c", model: "bench-model", choices: [{ index: 0, delta }] })}\n\n`,
      );
      if (++i < CHUNKS) setTimeout(send, CHUNK_GAP_MS);
      else res.end("data: [DONE]\n\n");
    };
    send();
  });
}

/** ms until the first `data:` chunk of the gateway's own stream, and until its end. */
function firstChunk(url, body) {
  return timedPost(url, body, (text) => text.includes("data: "));
}

/** ms until the first `content` event of the runtime's stream, and until `[DONE]`. */
function firstContent(url, body) {
  return timedPost(url, body, (text) => text.includes('"type":"content"'));
}

function timedPost(url, body, isFirst) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
    let first;
    let text = "";
    const req = http.request(
      url,
      { method: "POST", headers: { "Content-Type": "application/json" } },
      (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          text += chunk;
          if (first === undefined && isFirst(text)) first = ms();
        });
        res.on("end", () => resolve({ first: first ?? ms(), last: ms() }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function sample(fn) {
  const firsts = [];
  const lasts = [];
  for (let i = 0; i < STREAM_SAMPLES; i++) {
    const { first, last } = await fn();
    firsts.push(first);
    lasts.push(last);
  }
  return { first: percentiles(firsts), last: percentiles(lasts) };
}

function median(rounds) {
  return [...rounds].sort((a, b) => a.rps - b.rps)[Math.floor(rounds.length / 2)];
}

function percentiles(values) {
  values.sort((a, b) => a - b);
  const pct = (p) => round2(values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? 0);
  return { p50_ms: pct(50), p99_ms: pct(99) };
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
}

const round2 = (n) => Math.round(n * 100) / 100;
