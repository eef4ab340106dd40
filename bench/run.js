#!/usr/bin/env node
// Benchmark runner: `npm run bench -- <scenario> [--requests N] [--concurrency C]`.
// Each scenario prints its figures beside a baseline measured in the same run, then one JSON
// line (prefixed `BENCH_JSON `) for tracking.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const scenarios = readdirSync(join(here, "scenarios"))
  .filter((f) => f.endsWith(".js"))
  .map((f) => f.slice(0, -3))
  .sort();

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "32" },
  },
});

const name = positionals[0];
if (!name || !scenarios.includes(name)) {
  console.error(`usage: npm run bench -- <scenario>   (scenarios: ${scenarios.join(", ")})`);
  process.exit(2);
}
const scenario = await import(join(here, "scenarios", `${name}.js`));
const result = await scenario.run({
  requests: Number(values.requests),
  concurrency: Number(values.concurrency),
});
console.log(`BENCH_JSON ${JSON.stringify({ scenario: name, at: new Date().toISOString(), ...result })}`);
