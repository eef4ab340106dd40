// Scenario `tracing`: what OpenTelemetry tracing costs on the egress hot path. Runs the `egress`
// scenario twice in fresh processes — tracing off (no OTEL_* variables: the SDK is never loaded)
// and on (OTEL_EXPORTER_OTLP_ENDPOINT pointing at a local OTLP/HTTP sink in this process, every
// span exported) — and prints the governed rows of both, with the difference in main-thread busy
// time per call (the tracer's own cost: one SERVER span per egress request, batched JSON export).
// "Off" is the same code path as a platform that never heard of tracing but for one boolean check
// per request; its figures differ from the baseline only by the machine's noise.
import { spawn } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { printTable } from "../load.js";

const runner = fileURLToPath(new URL("../run.js", import.meta.url));

function egress(env, { requests, concurrency }) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [runner, "egress", "--requests", String(requests), "--concurrency", String(concurrency)],
      { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("BENCH_JSON "));
      if (code !== 0 || !line) reject(new Error(`egress scenario failed (${code})`));
      else resolve(JSON.parse(line.slice("BENCH_JSON ".length)));
    });
  });
}

export async function run(options) {
  let batches = 0;
  const sink = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      batches++;
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise((resolve) => sink.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${sink.address().port}`;
  const cleared = { OTEL_EXPORTER_OTLP_ENDPOINT: "", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "" };
  try {
    const off = await egress(cleared, options);
    const on = await egress({ ...cleared, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, options);
    printTable(`tracing on the egress hot path: ${options.requests} requests`, [
      [`tracing off (c=${options.concurrency})`, off.governed],
      [`tracing on (c=${options.concurrency})`, on.governed],
      ["tracing off (c=1)", off.governed_sequential],
      ["tracing on (c=1)", on.governed_sequential],
    ]);
    const busy = on.governed_sequential.busy_us - off.governed_sequential.busy_us;
    const p50 = Math.round((on.governed_sequential.p50_ms - off.governed_sequential.p50_ms) * 1000) / 1000;
    console.log(
      `\ntracing on adds ${busy} µs of main-thread time and ${p50} ms p50 per governed call; ${batches} OTLP batches exported`,
    );
    return { off: off.governed, on: on.governed, added_busy_us: busy, added_p50_ms: p50, batches };
  } finally {
    sink.close();
  }
}
