// Scenario `runtime`: the agent runtime's POST /invoke as deployed, the real `runagents-runtime`
// entry point (a process of its own, logging to a file as a container's stderr would) loading a
// trivial `.ts` handler, beside a bare node:http server process answering the same JSON, under wrk
// with two threads at 16 and 32 keep-alive connections. Rounds alternate between the two and each
// side's median is kept; beside throughput, each server's CPU time per request is read from /proc,
// and `capacity` is bare CPU per request / runtime CPU per request (what one core could serve).
// Then the time to the first streamed `content` event of POST /invoke/stream through a local
// streaming fake LLM gateway (in-process runtime, silent logger), beside that gateway's own time
// to its first chunk.
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker } from "node:worker_threads";
import { generator, load, printTable } from "../load.js";

const LEVELS = [16, 32];
/** Measured rounds per server and level; the median (by throughput) is reported. */
const ROUNDS = 3;
const ROUND_SECONDS = 3;
const STREAM_SAMPLES = 200;
/** The fake gateway sends its first delta at once, then one more every CHUNK_GAP_MS. */
const CHUNKS = 10;
const CHUNK_GAP_MS = 5;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

if (!isMainThread) await startStreamServers();

export async function run({ requests }) {
  if (generator !== "wrk")
    console.log("(wrk is not installed: apt-get install wrk; using a node:http load generator)");
  const dir = mkdtempSync(join(tmpdir(), "runagents-bench-runtime-"));
  const children = [];
  try {
    const handler = join(dir, "agent.ts");
    writeFileSync(
      handler,
      'type Request = { message: string };\nexport default function handler(request: Request): string {\n  return "ok " + request.message;\n}\n',
    );
    const bare = await startProcess(
      children,
      [join(ROOT, "bench/bare-invoke.js")],
      {},
      join(dir, "bare.log"),
    );
    const runtime = await startProcess(
      children,
      [process.env.BENCH_RUNTIME_MAIN ?? join(ROOT, "packages/runagents/dist/src/runtime/main.js")],
      { AGENT_NAME: "bench", USER_ENTRY_POINT: handler, HOST: "127.0.0.1", PORT: String(await freePort()) },
      join(dir, "runtime.log"),
    );
    const figures = await measureInvoke(bare, runtime, requests);
    const stream = await measureStream();
    return { ...figures, stream };
  } finally {
    for (const child of children) child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spawns a server process (stderr to `logFile`), resolves with its URL and pid once it answers. */
async function startProcess(children, args, env, logFile) {
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", log],
  });
  children.push(child);
  let port = env.PORT;
  if (!port) {
    port = await new Promise((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk) => {
        out += chunk;
        const match = /listening (\d+)/.exec(out);
        if (match) resolve(match[1]);
      });
      child.once("exit", (code) => reject(new Error(`${args[0]} exited with ${code}`)));
    });
  }
  child.stdout.resume();
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const response = await fetch(`${url}/invoke`, { method: "POST", body: '{"message":"up"}' });
      if (response.ok) break;
      throw new Error(`HTTP ${response.status}`);
    } catch (error) {
      if (i > 200 || child.exitCode !== null) throw new Error(`${args[0]} did not come up: ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { url: `${url}/invoke`, pid: child.pid };
}

async function measureInvoke(bare, runtime, requests) {
  const body = JSON.stringify({ message: "hi" });
  const post = {
    method: "POST",
    headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
    body,
    threads: 2,
    seconds: ROUND_SECONDS,
    requests,
  };
  const rows = [];
  const figures = {};
  for (const c of LEVELS) {
    const opts = { ...post, concurrency: c };
    // Warm both up (JIT), then alternate rounds and keep each side's median round: this VM's
    // throughput drifts by tens of percent between back-to-back runs.
    await load(bare.url, { ...opts, seconds: 2 });
    await load(runtime.url, { ...opts, seconds: 2 });
    const bareRounds = [];
    const invokeRounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      bareRounds.push(await load(bare.url, { ...opts, pids: [bare.pid] }));
      invokeRounds.push(await load(runtime.url, { ...opts, pids: [runtime.pid] }));
    }
    const baseline = median(bareRounds);
    const invoke = median(invokeRounds);
    rows.push([`bare node:http process (c=${c})`, baseline], [`runagents-runtime .ts (c=${c})`, invoke]);
    figures[`c${c}`] = {
      baseline,
      invoke,
      throughput_ratio: round2(invoke.rps / baseline.rps),
      capacity_ratio: round2(
        medianOf(bareRounds.map((r) => r.cpu_us)) / medianOf(invokeRounds.map((r) => r.cpu_us)),
      ),
    };
  }
  printTable(
    `runtime: POST /invoke, wrk -t2, ${ROUND_SECONDS} s rounds, median of ${ROUNDS}, keep-alive, loopback`,
    rows,
  );
  for (const c of LEVELS) {
    const f = figures[`c${c}`];
    console.log(
      `  /invoke at c=${c}: ${f.throughput_ratio}x bare node:http throughput; capacity (CPU per request) ${f.capacity_ratio}x`,
    );
  }
  return figures;
}

/** In the worker: the fake gateway and a runtime using it (built-in loop); posts their URLs. */
async function startStreamServers() {
  const { serve, silentLogger } = await import("../../packages/runagents/dist/src/runtime/index.js");
  const gateway = http.createServer(streamingGateway);
  await listen(gateway);
  const gatewayUrl = `http://127.0.0.1:${gateway.address().port}/v1/chat/completions`;
  const loopRuntime = await serve({
    env: { AGENT_NAME: "bench", LLM_GATEWAY_URL: gatewayUrl },
    port: 0,
    host: "127.0.0.1",
    logger: silentLogger,
  });
  parentPort.postMessage({ gateway: gatewayUrl, loopRuntime: loopRuntime.url });
}

async function measureStream() {
  const worker = new Worker(new URL(import.meta.url));
  try {
    const urls = await new Promise((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    const body = JSON.stringify({ message: "hi" });
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
    return { gateway_first_chunk: gatewayFirst.first, first_content: streamed.first, done: streamed.last };
  } finally {
    await worker.terminate();
  }
}

function freePort() {
  return new Promise((resolve) => {
    const server = http.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function medianOf(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
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
