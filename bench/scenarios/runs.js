// Scenario `runs`: whole governed runs. A real agent deployed through POST /deploy (a `.ts` handler
// on the real runtime, isolation `none`) makes one governed tool call per invoke to a fast local
// tool through the egress; 50 clients invoke it through POST /api/v1/agents/{name}/invoke (run
// recorded, policy decided, both tool events, the runtime's report, the outcome). Baseline in the
// same run: the same hops through nginx (client → nginx → a bare node:http agent → nginx → the same
// tool). Reports runs/s, p50/p99, CPU per run (platform + agent processes vs nginx + bare agent,
// from /proc; the tool's own CPU is left out of both), and checks afterwards that every run the
// load started is COMPLETED with gapless, linked events.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLOCK_TICKS, cpuTicks, load, printTable } from "../load.js";
import { freePort, startNginx } from "../nginx.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLIENTS = 50;
const SECONDS = Number(process.env.BENCH_RUNS_SECONDS ?? 8);
const ROUNDS = 2;
const AGENT_TS = `interface Request { message: string }
interface Ctx { tools: Record<string, string> }
export async function handler(request: Request, ctx: Ctx): Promise<string> {
  const answer = await fetch(\`\${ctx.tools.inventory}/items\`);
  if (!answer.ok) throw new Error("tool answered " + answer.status);
  return request.message + ": " + (await answer.text());
}
`;

export async function run() {
  const children = [];
  const dataDir = mkdtempSync(join(tmpdir(), "runagents-bench-runs-"));
  let nginx;
  let platform;
  try {
    const tool = await startChild(children, [join(ROOT, "bench/bare-invoke.js")], {});
    const toolUrl = `http://127.0.0.1:${tool.port}`;
    // nginx fronts both hops of the baseline: the invoke to the bare agent and its tool call.
    const agentPort = await freePort();
    nginx = await startNginx(
      [
        { path: "/tool/", upstream: `127.0.0.1:${tool.port}`, strip: true },
        { path: "/invoke", upstream: `127.0.0.1:${agentPort}` },
      ],
      { probe: "/tool/" },
    );
    const bare = await startChild(children, [join(ROOT, "bench/bare-agent.js")], {
      TOOL_URL: `${nginx.url}/tool/items`,
      PORT: String(agentPort),
    });

    // BENCH_PLATFORM_DIST picks the platform build, RUNAGENTS_RUNTIME_ENTRY the runtime agents run on.
    const dist = process.env.BENCH_PLATFORM_DIST ?? join(ROOT, "packages/platform/dist");
    const { loadPlatformConfig, silentLogger, startPlatform } = await import(join(dist, "src/index.js"));
    const entry = process.env.RUNAGENTS_RUNTIME_ENTRY
      ? { RUNAGENTS_RUNTIME_ENTRY: process.env.RUNAGENTS_RUNTIME_ENTRY }
      : {};
    platform = await startPlatform(
      { ...loadPlatformConfig([], entry), port: 0, dataDir, agentIsolation: "none" },
      { logger: silentLogger },
    );
    const apiKey = platform.bootstrapKey;
    const api = `${platform.url}/api/v1`;
    const call = async (method, path, body) => {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: { "Content-Type": "application/json", "X-RunAgents-API-Key": apiKey },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text || "null");
    };
    await call("POST", "/tools", {
      name: "inventory",
      spec: {
        connection: { baseUrl: toolUrl },
        capabilities: [{ name: "items", method: "GET", path: "/items" }],
      },
    });
    await call("POST", "/policies", {
      name: "inventory-read",
      spec: { policies: [{ permission: "allow", resource: `${toolUrl}/items*`, operations: ["GET"] }] },
    });
    await call("POST", "/deploy", {
      agent_name: "runs-bench",
      source_files: { "agent.ts": AGENT_TS },
      required_tools: ["inventory"],
      policies: ["inventory-read"],
    });
    for (let i = 0; ; i++) {
      const agent = await call("GET", "/agents/runs-bench");
      if (agent.status.phase === "Running") break;
      if (agent.status.phase === "Failed" || i > 600) throw new Error(`deploy: ${agent.status.message}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const probe = await call("POST", "/agents/runs-bench/invoke", { message: "probe", user_id: "bench" });
    if (!String(probe.response).startsWith("probe: ")) throw new Error(`probe: ${JSON.stringify(probe)}`);

    const body = JSON.stringify({ message: "hi", user_id: "bench-user" });
    const post = (headers) => ({
      method: "POST",
      headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), ...headers },
      body,
      concurrency: CLIENTS,
      threads: 2,
      seconds: SECONDS,
      requests: 0,
    });
    const governedUrl = `${api}/agents/runs-bench/invoke`;
    const baselineUrl = `${nginx.url}/invoke`;
    const platformPids = () => [
      process.pid,
      ...childrenOf(process.pid).filter((p) => !children.some((c) => c.pid === p)),
    ];
    await load(baselineUrl, { ...post({}), seconds: 2 });
    await load(governedUrl, { ...post({ "X-RunAgents-API-Key": apiKey }), seconds: 2 });
    const governedRounds = [];
    const baselineRounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      baselineRounds.push(await load(baselineUrl, { ...post({}), pids: [...nginx.pids, bare.pid] }));
      const agentPids = platformPids().filter((pid) => pid !== process.pid);
      const agentBefore = agentPids.reduce((sum, pid) => sum + cpuTicks(pid), 0);
      const result = await load(governedUrl, {
        ...post({ "X-RunAgents-API-Key": apiKey }),
        pids: [process.pid, ...agentPids],
      });
      const agentTicks = agentPids.reduce((sum, pid) => sum + cpuTicks(pid), 0) - agentBefore;
      // The agent runtimes' share of the CPU per run (the rest is the platform process).
      result.agent_cpu_us = Math.round((agentTicks * (1e7 / CLOCK_TICKS)) / result.requests) / 10;
      governedRounds.push(result);
    }
    const governed = median(governedRounds);
    const baseline = median(baselineRounds);
    printTable(`runs: ${CLIENTS} clients, wrk -t2, ${SECONDS} s rounds, median of ${ROUNDS}`, [
      ["nginx + bare node agent (same hops)", baseline],
      ["governed runs (platform + runtime)", governed],
    ]);

    // Every run the load started: events gapless and linked, and COMPLETED — except the few whose
    // caller wrk dropped when a round ended (at most CLIENTS per governed round): FAILED with the
    // caller's disconnect as the reason. Runs still finishing are waited for first.
    const governedLoads = ROUNDS + 1;
    let runs;
    for (let i = 0; ; i++) {
      runs = await platform.store.listRuns("default", { agentId: "runs-bench" });
      if (!runs.some((r) => r.status === "RUNNING") || i > 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const byStatus = {};
    for (const r of runs) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    const problems = [];
    for (const r of runs) {
      const events = await platform.store.listChainedEvents("default", r.id, { afterSeq: 0, limit: 1000 });
      const linked = events.every(
        (e, i) => e.seq === i + 1 && e.prevHash === (i === 0 ? "" : events[i - 1].hash),
      );
      // A dropped caller's run FAILED while its tool call was in flight: that call's response
      // still lands beside its request, after the outcome (nothing starts after it).
      const tail = await platform.store.listEvents("default", r.id, { tail: 3 });
      const end = tail.findLast((e) => e.type === "COMPLETED" || e.type === "FAILED");
      const after = end ? tail.slice(tail.indexOf(end) + 1) : [];
      const dropped = end?.type === "FAILED" && /caller disconnected/.test(String(end.data.error ?? ""));
      if (!linked) problems.push(`${r.id}: chain`);
      else if (!end || (end.type !== "COMPLETED" && !dropped))
        problems.push(`${r.id}: outcome ${end?.type} ${JSON.stringify(end?.data)}`);
      else if (after.some((e) => e.type !== "TOOL_RESPONSE" || !dropped))
        problems.push(`${r.id}: ${after.map((e) => e.type).join(",")} after ${end.type}`);
    }
    const droppedRuns = runs.length - (byStatus.COMPLETED ?? 0);
    console.log(
      `\n  governed: ${governed.rps} runs/s (goal >= 1000), p50 ${governed.p50_ms} ms, p99 ${governed.p99_ms} ms (goal < 50); ` +
        `${round2(governed.rps / baseline.rps)}x the nginx + bare agent baseline; CPU per run ${governed.cpu_us} µs ` +
        `= platform ${round2(governed.cpu_us - governed.agent_cpu_us)} + agent runtime ${governed.agent_cpu_us} ` +
        `(baseline ${baseline.cpu_us} µs)`,
    );
    console.log(
      `  runs recorded: ${runs.length}, by status ${JSON.stringify(byStatus)} (callers dropped at round ends: ${droppedRuns}); problems: ${problems.length}`,
    );
    if (problems.length > 0 || droppedRuns > CLIENTS * governedLoads) {
      throw new Error(
        `runs not recorded right:\n${problems.slice(0, 10).join("\n")}\nstatuses ${JSON.stringify(byStatus)}`,
      );
    }
    return {
      governed,
      baseline,
      ratio: round2(governed.rps / baseline.rps),
      runs: runs.length,
      statuses: byStatus,
      dropped_at_round_end: droppedRuns,
    };
  } finally {
    nginx?.stop();
    if (platform) await platform.close();
    for (const child of children) child.kill("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function childrenOf(pid) {
  return (spawnSync("pgrep", ["-P", String(pid)]).stdout?.toString() ?? "")
    .split("\n")
    .filter(Boolean)
    .map(Number)
    .flatMap((p) => [p, ...childrenOf(p)]);
}

async function startChild(children, args, env) {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const port = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
  child.stdout.resume();
  return { child, pid: child.pid, port };
}

function median(rounds) {
  return [...rounds].sort((a, b) => a.rps - b.rps)[Math.floor(rounds.length / 2)];
}

const round2 = (n) => Math.round(n * 100) / 100;
