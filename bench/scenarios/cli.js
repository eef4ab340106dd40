// Scenario `cli`: cold-start time of the `runagents` CLI, the median of RUNS fresh processes each,
// beside `node -e 0` measured in the same run: `runagents --version` (target < 150 ms) and
// `runagents agents list` against a local platform (target < 300 ms), and `tools list` with 20 tools.
// BENCH_CLI_MAIN points at another build of the CLI's main.js (default: the package's dist).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPlatformConfig, silentLogger, startPlatform } from "../../packages/platform/dist/src/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const CLI = process.env.BENCH_CLI_MAIN || join(here, "../../packages/runagents/dist/src/cli/main.js");
const RUNS = Number(process.env.BENCH_CLI_RUNS || 21);
const TARGETS = { version: 150, agents_list: 300 };

/** One process: resolves with its wall-clock milliseconds (the platform keeps serving meanwhile). */
function once(args, env) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const elapsed = performance.now() - start;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`node ${args.join(" ")} failed: ${stderr}`));
    });
  });
}

/** Median, p90 and min of RUNS runs (after one warm-up run). */
async function time(args, env) {
  const samples = [];
  await once(args, env);
  for (let i = 0; i < RUNS; i++) samples.push(await once(args, env));
  samples.sort((a, b) => a - b);
  const at = (q) =>
    Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] * 10) / 10;
  return { median_ms: at(0.5), p90_ms: at(0.9), min_ms: at(0) };
}

export async function run() {
  const dataDir = mkdtempSync(join(tmpdir(), "runagents-bench-cli-"));
  const home = mkdtempSync(join(tmpdir(), "runagents-bench-home-"));
  const platform = await startPlatform(
    { ...loadPlatformConfig([], {}), port: 0, dataDir },
    { logger: silentLogger },
  );
  try {
    for (let i = 0; i < 20; i++) {
      await fetch(`${platform.url}/api/v1/tools`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: `tool-${i}`, base_url: `http://127.0.0.1:9/tool-${i}` }),
      });
    }
    const env = { PATH: process.env.PATH, HOME: home, RUNAGENTS_ENDPOINT: platform.url };
    const baseline = await time(["-e", "0"], env);
    const version = await time([CLI, "--version"], env);
    const list = await time([CLI, "agents", "list"], env);
    const tools = await time([CLI, "tools", "list"], env);

    console.log(`\ncli: median of ${RUNS} cold starts (CLI ${CLI})`);
    console.log(
      `${"".padEnd(36)}${"median ms".padStart(11)}${"p90 ms".padStart(9)}${"min ms".padStart(9)}${"target".padStart(9)}`,
    );
    const row = (label, r, target = "") =>
      console.log(
        `${label.padEnd(36)}${String(r.median_ms).padStart(11)}${String(r.p90_ms).padStart(9)}${String(r.min_ms).padStart(9)}${String(target).padStart(9)}`,
      );
    row("baseline node -e 0", baseline);
    row("runagents --version", version, `< ${TARGETS.version}`);
    row("runagents agents list (local)", list, `< ${TARGETS.agents_list}`);
    row("runagents tools list (20 tools)", tools);
    return {
      runs: RUNS,
      baseline,
      version,
      agents_list: list,
      tools_list: tools,
      targets_met: version.median_ms < TARGETS.version && list.median_ms < TARGETS.agents_list,
    };
  } finally {
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}
