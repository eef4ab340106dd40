// Scenario `fleet`: governed invokes (POST /agents/{name}/invoke → the agent → one tool call
// through the egress, allowed by policy → the run's events) per second and their p50/p99, for
// the platform as its own processes: SQLite with one platform, PostgreSQL with one replica, and
// PostgreSQL with three replicas behind no load balancer (the load is spread over the replicas'
// own ports; each replica forwards invokes for agents placed elsewhere). Three agents are deployed
// in every setup (on three replicas, one each), so the work per invoke is the same.
// PostgreSQL: RUNAGENTS_BENCH_DATABASE_URL (default the local server's `test` database; each
// setup gets a fresh schema, dropped afterwards). The requests are capped at 2000 per setup.
// BENCH_FLEET_SETUPS=sqlite_1,postgres_1,postgres_3 (the default: all) picks setups.
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { issueApiKey } from "../../packages/platform/dist/src/api/auth.js";
import { createSecretBox, loadSecretKey } from "../../packages/platform/dist/src/store/crypto.js";
import { openPostgresStore } from "../../packages/platform/dist/src/store/postgres.js";
import { printTable } from "../load.js";

const MAIN = fileURLToPath(new URL("../../packages/platform/dist/src/main.js", import.meta.url));
const DATABASE_URL = process.env.RUNAGENTS_BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const AGENTS = ["bench-1", "bench-2", "bench-3"];
const AGENT = `import { Agent } from "runagents";

const agent = new Agent();

export async function handler(request: { message: string }) {
  const result = await agent.callTool({ name: "ledger", path: "/entries", payload: { memo: request.message } });
  return { response: "ok " + JSON.stringify(result) };
}
`;

export async function run({ requests, concurrency }) {
  const total = Math.min(requests, 2000);
  const tool = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end('{"ok":true}');
    });
  });
  tool.keepAliveTimeout = 65_000;
  await new Promise((resolve) => tool.listen(0, "127.0.0.1", resolve));
  const toolUrl = `http://127.0.0.1:${tool.address().port}`;
  const results = {};
  try {
    const only = (process.env.BENCH_FLEET_SETUPS ?? "").split(",").filter(Boolean);
    for (const [label, setup] of [
      ["sqlite_1", { store: "sqlite", replicas: 1 }],
      ["postgres_1", { store: "postgres", replicas: 1 }],
      ["postgres_3", { store: "postgres", replicas: 3 }],
    ]) {
      if (only.length > 0 && !only.includes(label)) continue;
      const fleet = await startSetup(setup);
      try {
        await prepare(fleet, toolUrl);
        await measure(fleet, Math.min(200, total), concurrency); // warm-up
        results[label] = await measure(fleet, total, concurrency);
      } finally {
        await fleet.stop();
      }
    }
  } finally {
    tool.closeAllConnections();
    tool.close();
  }
  const rows = [
    ["SQLite, 1 platform", results.sqlite_1],
    ["PostgreSQL, 1 replica", results.postgres_1],
    ["PostgreSQL, 3 replicas", results.postgres_3],
  ].filter(([, r]) => r);
  printTable(`fleet: ${total} governed invokes per setup, c=${concurrency}, spread over the replicas`, rows);
  return { requests: total, concurrency, ...results };
}

async function startSetup({ store, replicas }) {
  const root = mkdtempSync(join(tmpdir(), "runagents-bench-fleet-"));
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNAGENTS_LOG_LEVEL: "error",
    RUNAGENTS_CONFIG_DIR: join(root, "config"),
  };
  let schema;
  let apiKey;
  if (store === "postgres") {
    schema = `bench_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const url = new URL(DATABASE_URL);
    url.searchParams.set("options", `-c search_path=${schema}`);
    env.RUNAGENTS_DATABASE_URL = url.toString();
    env.RUNAGENTS_SECRET_KEY = randomBytes(24).toString("hex");
    const keyStore = openPostgresStore(
      env.RUNAGENTS_DATABASE_URL,
      createSecretBox(loadSecretKey(root, env.RUNAGENTS_SECRET_KEY)),
    );
    apiKey = (await issueApiKey(keyStore, "default", "bench")).token;
    await keyStore.close();
  } else {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [MAIN, "--create-api-key", "bench", "--data-dir", join(root, "r1")],
      { env },
    );
    apiKey = stdout.trim();
  }
  const started = await Promise.all(
    Array.from({ length: replicas }, (_, i) => startProcess(join(root, `r${i + 1}`), env)),
  );
  return {
    apiKey,
    urls: started.map((s) => s.url),
    async stop() {
      await Promise.all(started.map((s) => s.stop()));
      if (schema) {
        const admin = new pg.Client({ connectionString: DATABASE_URL });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await admin.end();
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function startProcess(dataDir, env) {
  const child = spawn(process.execPath, [MAIN, "--port", "0", "--data-dir", dataDir, "--no-seed"], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const url = await new Promise((resolve, reject) => {
    child.stderr.on("data", (chunk) => {
      stderr += chunk.toString("utf8");
      const found = /RunAgents platform ready at (http:\/\/[^\s]+)/.exec(stderr);
      if (found) resolve(found[1]);
    });
    child.once("exit", (code) => reject(new Error(`platform exited with ${code}: ${stderr}`)));
  });
  const gone = new Promise((resolve) => child.once("exit", resolve));
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await gone;
    },
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function call(base, apiKey, method, path, body) {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}/api/v1${path}`,
      {
        method,
        agent,
        headers: {
          "X-RunAgents-API-Key": apiKey,
          ...(text ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) } : {}),
        },
      },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          data += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode, text: data }));
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

async function prepare(fleet, toolUrl) {
  const [first] = fleet.urls;
  const ok = async (res, what) => {
    const r = await res;
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r;
  };
  await ok(call(first, fleet.apiKey, "POST", "/tools", { name: "ledger", base_url: toolUrl }), "tool");
  await ok(
    call(first, fleet.apiKey, "POST", "/policies", {
      name: "ledger-allow",
      spec: { policies: [{ permission: "allow", resource: "ledger", operations: ["POST"] }] },
    }),
    "policy",
  );
  for (const [i, name] of AGENTS.entries()) {
    const via = fleet.urls[i % fleet.urls.length];
    await ok(
      call(via, fleet.apiKey, "POST", "/deploy", {
        agent_name: name,
        source_files: { "agent.ts": AGENT },
        required_tools: ["ledger"],
        policies: ["ledger-allow"],
      }),
      `deploy ${name}`,
    );
  }
  for (const name of AGENTS) {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const res = await call(first, fleet.apiKey, "GET", `/agents/${name}`);
      if (res.status === 200 && JSON.parse(res.text).status?.phase === "Running") {
        const probe = await call(first, fleet.apiKey, "POST", `/agents/${name}/invoke`, {
          message: "ready?",
        });
        if (probe.status === 200) break;
      }
      if (Date.now() > deadline) throw new Error(`agent ${name} did not start: ${res.text}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function measure(fleet, total, concurrency) {
  const latencies = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const base = fleet.urls[i % fleet.urls.length];
        const name = AGENTS[Math.floor(i / fleet.urls.length) % AGENTS.length];
        const t = performance.now();
        const res = await call(base, fleet.apiKey, "POST", `/agents/${name}/invoke`, {
          message: `m${i}`,
        }).catch(() => ({ status: 0 }));
        latencies.push(performance.now() - t);
        if (res.status !== 200) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const round = (n) => Math.round(n * 100) / 100;
  return {
    requests: total,
    failures,
    rps: Math.round(total / seconds),
    p50_ms: round(pct(50)),
    p99_ms: round(pct(99)),
  };
}
