// Closed-loop load over keep-alive HTTP on loopback, with two generators:
// - wrk (C, from Debian's `wrk` package) when it is on PATH: it costs a fraction of the CPU a Node
//   client does, so on a 2-core machine more of the machine measures the server. It runs for
//   requests / 2000 seconds (2 to 10 s) instead of a fixed count.
// - otherwise a node:http client in a worker thread, so that it never shares an event loop with
//   the server it measures. `BENCH_LOADGEN=node` forces this one.
// Both report requests/s, p50/p99 latency, failures (status >= 400 or broken exchanges) and how
// busy the calling thread's event loop was per request (`busy_us`): when the server under test
// runs in the calling thread, that is its CPU cost per request, whatever the generator.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const useWrk = process.env.BENCH_LOADGEN !== "node" && !spawnSync("wrk", ["--version"]).error;

/** The generator `load` uses, for the report. */
export const generator = useWrk ? "wrk" : "node:http worker";

/**
 * Sends `requests` requests with `concurrency` in flight; returns throughput and latency percentiles.
 * `pids`: processes whose CPU time per request (from /proc) is reported as `cpu_us`. A round with any
 * failed response throws: a benchmark of error answers measures nothing (`allowFailures` to opt out).
 */
export async function load(url, options) {
  const before = performance.eventLoopUtilization();
  const cpuBefore = (options.pids ?? []).map(cpuTicks);
  const result = await (useWrk ? wrk(url, options) : inWorker(url, { ...options, pids: undefined }));
  const { active } = performance.eventLoopUtilization(before);
  const out = { ...result, busy_us: Math.round((active * 1000) / Math.max(1, result.requests)) };
  if (options.pids) {
    const ticks = options.pids.reduce((sum, pid, i) => sum + cpuTicks(pid) - cpuBefore[i], 0);
    out.cpu_us = Math.round((ticks * (1e7 / CLOCK_TICKS)) / Math.max(1, result.requests)) / 10;
  }
  if (result.failures > 0 && !options.allowFailures) {
    throw new Error(
      `${url}: ${result.failures} of ${result.requests} responses failed (status >= 400 or broken)`,
    );
  }
  if (result.requests === 0) throw new Error(`${url}: no request completed`);
  return out;
}

export const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;

/** utime + stime of a process (and its waited-for children), in clock ticks; 0 if unreadable. */
export function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14-17 of stat(5) (utime, stime, cutime, cstime), counted from `state` (field 3).
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
}

function inWorker(url, options) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { url, options } });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

const lua = (value) => `[==[${value}]==]`;

async function wrk(
  url,
  { requests, concurrency, method = "GET", headers = {}, body, threads = 1, seconds: given },
) {
  const seconds = given ?? Math.min(10, Math.max(2, Math.round(requests / 2000)));
  const dir = mkdtempSync(join(tmpdir(), "runagents-wrk-"));
  const script = join(dir, "load.lua");
  const headerLines = Object.entries(headers)
    .map(([name, value]) => `wrk.headers[ ${lua(name)} ] = ${lua(value)}`)
    .join("\n");
  writeFileSync(
    script,
    `wrk.method = ${lua(method)}
${body === undefined ? "" : `wrk.body = ${lua(body)}`}
${headerLines}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"us":%d,"p50":%d,"p99":%d,"failures":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
`,
  );
  try {
    const output = await new Promise((resolve, reject) => {
      const child = spawn("wrk", [`-t${threads}`, `-c${concurrency}`, `-d${seconds}s`, "-s", script, url]);
      let out = "";
      child.stdout.on("data", (chunk) => {
        out += chunk;
      });
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk exited with ${code}`))));
    });
    const line = output.split("\n").find((l) => l.startsWith('{"requests"'));
    if (!line) throw new Error(`wrk printed no summary:\n${output}`);
    const r = JSON.parse(line);
    return {
      requests: r.requests,
      failures: r.failures,
      rps: Math.round(r.requests / (r.us / 1e6)),
      p50_ms: round(r.p50 / 1000),
      p99_ms: round(r.p99 / 1000),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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

const round = (n) => Math.round(n * 1000) / 1000;

export function printTable(title, rows) {
  console.log(`\n${title} (load: ${generator})`);
  console.log(
    `${"".padEnd(34)}${"req/s".padStart(9)}${"p50 ms".padStart(9)}${"p99 ms".padStart(9)}${"errors".padStart(8)}${"busy µs".padStart(9)}${"cpu µs".padStart(9)}`,
  );
  for (const [label, r] of rows) {
    console.log(
      `${label.padEnd(34)}${String(r.rps).padStart(9)}${String(r.p50_ms).padStart(9)}${String(r.p99_ms).padStart(9)}${String(r.failures).padStart(8)}${String(r.busy_us ?? "").padStart(9)}${String(r.cpu_us ?? "").padStart(9)}`,
    );
  }
}

if (!isMainThread && workerData?.url) {
  parentPort.postMessage(await generate(workerData.url, workerData.options));
}
