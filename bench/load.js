// A small closed-loop load generator over keep-alive HTTP (node:http Agent), for loopback only.
// It runs in a worker thread so that it never shares an event loop with the server it measures.
import http from "node:http";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

/** Sends `requests` requests with `concurrency` in flight; returns throughput and latency percentiles. */
export function load(url, options) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { url, options } });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

async function generate(url, { requests, concurrency, method = "GET", headers = {}, body }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const latencies = [];
  let sent = 0;
  let failures = 0;
  const one = () =>
    new Promise((resolve) => {
      const started = process.hrtime.bigint();
      const req = http.request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method,
          headers,
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode >= 400) failures++;
            latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
            resolve();
          });
        },
      );
      req.on("error", () => {
        failures++;
        resolve();
      });
      req.end(body);
    });
  const worker = async () => {
    while (sent < requests) {
      sent++;
      await one();
    }
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  return {
    requests,
    failures,
    rps: Math.round(requests / seconds),
    p50_ms: round(pct(50)),
    p99_ms: round(pct(99)),
  };
}

const round = (n) => Math.round(n * 100) / 100;

export function printTable(title, rows) {
  console.log(`\n${title}`);
  console.log(
    `${"".padEnd(28)}${"req/s".padStart(10)}${"p50 ms".padStart(10)}${"p99 ms".padStart(10)}${"errors".padStart(8)}`,
  );
  for (const [label, r] of rows) {
    console.log(
      `${label.padEnd(28)}${String(r.rps).padStart(10)}${String(r.p50_ms).padStart(10)}${String(r.p99_ms).padStart(10)}${String(r.failures).padStart(8)}`,
    );
  }
}

if (!isMainThread && workerData?.url) {
  parentPort.postMessage(await generate(workerData.url, workerData.options));
}
