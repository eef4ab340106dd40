/**
 * Test helper for the fleet tests: N platform processes (`main.js`) on one fresh PostgreSQL schema,
 * sharing a secret key, each with its own data dir and port, so a test can SIGKILL or SIGTERM one.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { issueApiKey } from "../../src/api/auth.js";
import { createSecretBox, loadSecretKey } from "../../src/store/crypto.js";
import { openPostgresStore } from "../../src/store/postgres.js";
import { runtimeConfig } from "../deploy/helpers.js";
import { type ApiResponse, request } from "../helpers/platform.js";
import { freePort } from "../helpers/platform-process.js";
import { freshSchema } from "../helpers/stores.js";

const MAIN = fileURLToPath(new URL("../../src/main.js", import.meta.url));

export interface Replica {
  name: string;
  url: string;
  api: string;
  child: ChildProcess;
  /** Its id (the boot id it heartbeats with), read from the database once it is up. */
  id: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  kill(): Promise<void>;
  /** SIGTERM, resolved once the process is gone. */
  terminate(): Promise<void>;
  alive(): boolean;
}

export interface Fleet {
  databaseUrl: string;
  secretKey: string;
  apiKey: string;
  replicas: Replica[];
  sql(text: string, params?: unknown[]): Promise<Record<string, any>[]>;
  dispose(): Promise<void>;
}

export async function startFleet(count: number): Promise<Fleet> {
  const schema = await freshSchema();
  const secretKey = randomBytes(24).toString("hex");
  const root = mkdtempSync(join(tmpdir(), "runagents-fleet-"));
  // The first admin key, made before any replica starts (none of them then creates one).
  const store = openPostgresStore(schema.url, createSecretBox(loadSecretKey(root, secretKey)), {
    poolSize: 2,
  });
  const apiKey = (await issueApiKey(store, "default", "fleet-test")).token;
  await store.close();
  const db = new pg.Client({ connectionString: schema.url });
  await db.connect();
  const replicas: Replica[] = [];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNAGENTS_LOG_LEVEL: process.env.FLEET_TEST_LOG_DIR ? "info" : "warn",
    RUNAGENTS_CONFIG_DIR: join(root, "config"),
    RUNAGENTS_DATABASE_URL: schema.url,
    RUNAGENTS_SECRET_KEY: secretKey,
  };
  const staged = runtimeConfig().runagentsDir;
  if (staged) env.RUNAGENTS_PACKAGE_DIR = staged;
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      replicas[i] = await startReplica(`r${i + 1}`, join(root, `r${i + 1}`), env, apiKey, db);
    }),
  );
  return {
    databaseUrl: schema.url,
    secretKey,
    apiKey,
    replicas,
    sql: async (text, params = []) => (await db.query(text, params)).rows,
    async dispose() {
      await Promise.all(replicas.map((r) => r.kill()));
      await db.end();
      await schema.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function startReplica(
  name: string,
  dataDir: string,
  env: NodeJS.ProcessEnv,
  apiKey: string,
  db: pg.Client,
): Promise<Replica> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [MAIN, "--port", String(port), "--data-dir", dataDir, "--no-seed"], {
    env,
    stdio: ["ignore", process.env.FLEET_TEST_LOG_DIR ? "pipe" : "ignore", "pipe"],
  });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      if (stderr.includes("RunAgents platform ready at")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`replica ${name} exited with ${code}: ${stderr}`)));
  });
  const logDir = process.env.FLEET_TEST_LOG_DIR;
  if (logDir) {
    const { createWriteStream } = await import("node:fs");
    const out = createWriteStream(join(logDir, `${name}.log`));
    out.write(stderr);
    child.stderr?.pipe(out);
    child.stdout?.pipe(out);
  }
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const [row] = (await db.query("SELECT id FROM replicas WHERE url = $1", [url])).rows;
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    url,
    api: `${url}/api/v1`,
    child,
    id: String(row?.id ?? ""),
    call: (method, path, body, headers = {}) =>
      request(`${url}/api/v1${path}`, method, body, { "X-RunAgents-API-Key": apiKey, ...headers }),
    async kill() {
      if (alive()) child.kill("SIGKILL");
      await gone;
    },
    async terminate() {
      if (alive()) child.kill("SIGTERM");
      await gone;
    },
    alive,
  };
}

/** Polls `check` every 100 ms until it returns something other than undefined/false. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
