/**
 * Test helper: a fleet — N platform processes (`main.js`) on one PostgreSQL database (a fresh
 * schema), sharing `RUNAGENTS_SECRET_KEY`, each with its own data dir and ephemeral port. An admin
 * key is created in the database first and every `call` sends it. Replicas can be added later,
 * stopped with a signal (graceful drain) or killed (SIGKILL).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runtimeConfig } from "../deploy/helpers.js";
import { type ApiResponse, request } from "./platform.js";
import { freshSchema } from "./stores.js";

const MAIN = fileURLToPath(new URL("../../src/main.js", import.meta.url));

export interface Replica {
  /** 0, 1, … in start order. */
  index: number;
  child: ChildProcess;
  /** Root URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** `${url}/api/v1` */
  api: string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Its log lines (JSON, on stdout) so far. */
  logs(): string;
  /** Resolves once a log line matches `pattern` (waits for it; no timeout of its own). */
  logged(pattern: RegExp): Promise<string>;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` (default SIGTERM: a graceful drain) unless gone; resolves once it is. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

export interface Fleet {
  /** The database URL every replica uses (its own schema). */
  databaseUrl: string;
  /** An admin API key, valid on every replica. */
  apiKey: string;
  replicas: Replica[];
  /** Starts one more replica on the same database. */
  add(env?: Record<string, string>): Promise<Replica>;
  /** Kills what still runs, drops the schema, removes the data dirs. */
  dispose(): Promise<void>;
}

export interface FleetOptions {
  /** Extra environment for every replica (e.g. RUNAGENTS_DRAIN_TIMEOUT). */
  env?: Record<string, string>;
  /** Use this database URL rather than a fresh schema (not dropped by `dispose`). */
  databaseUrl?: string;
}

/** Starts `count` replicas together (their migrations race, as in a rollout) and waits until all are ready. */
export async function startFleet(count: number, options: FleetOptions = {}): Promise<Fleet> {
  const schema = options.databaseUrl ? undefined : await freshSchema();
  const databaseUrl = options.databaseUrl ?? (schema?.url as string);
  const root = mkdtempSync(join(tmpdir(), "runagents-fleet-"));
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNAGENTS_LOG_LEVEL: "warn",
    RUNAGENTS_CONFIG_DIR: join(root, "config"),
    RUNAGENTS_DATABASE_URL: databaseUrl,
    RUNAGENTS_SECRET_KEY: randomBytes(32).toString("base64"),
    RUNAGENTS_DATABASE_POOL_SIZE: "4",
    ...options.env,
  };
  const staged = runtimeConfig().runagentsDir;
  if (staged) baseEnv.RUNAGENTS_PACKAGE_DIR = staged;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [MAIN, "--create-api-key", "fleet-test", "--data-dir", join(root, "keygen")],
    { env: baseEnv },
  );
  const apiKey = stdout.trim();
  const replicas: Replica[] = [];
  let started = 0;

  const add = async (env: Record<string, string> = {}): Promise<Replica> => {
    const index = started++;
    const child = spawn(
      process.execPath,
      [MAIN, "--port", "0", "--data-dir", join(root, `replica-${index}`), "--no-seed"],
      { env: { ...baseEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    let logs = "";
    const watchers: { pattern: RegExp; found: (line: string) => void }[] = [];
    child.stdout?.on("data", (chunk: Buffer) => {
      logs += chunk.toString("utf8");
      for (const watcher of [...watchers]) {
        const line = logs.split("\n").find((l) => watcher.pattern.test(l));
        if (line !== undefined) {
          watchers.splice(watchers.indexOf(watcher), 1);
          watcher.found(line);
        }
      }
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
        const ready = /RunAgents platform ready at (http:\/\/\S+)/.exec(stderr);
        if (ready?.[1]) resolve(ready[1]);
      });
      void exited.then(({ code, signal }) =>
        reject(new Error(`replica ${index} exited (${code ?? signal}) before it was ready: ${stderr}`)),
      );
    });
    const api = `${url}/api/v1`;
    const replica: Replica = {
      index,
      child,
      url,
      api,
      stderr: () => stderr,
      logs: () => logs,
      logged(pattern) {
        const line = logs.split("\n").find((l) => pattern.test(l));
        if (line !== undefined) return Promise.resolve(line);
        return new Promise((found) => watchers.push({ pattern, found }));
      },
      call: (method, path, body, headers = {}) =>
        request(path.startsWith("http") ? path : `${api}${path}`, method, body, {
          "X-RunAgents-API-Key": apiKey,
          ...headers,
        }),
      exited,
      async stop(signal = "SIGTERM") {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
      async kill() {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
        await exited;
      },
    };
    replicas.push(replica);
    return replica;
  };

  try {
    await Promise.all(Array.from({ length: count }, () => add()));
  } catch (error) {
    await Promise.all(replicas.map((r) => r.kill()));
    await schema?.drop();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  replicas.sort((a, b) => a.index - b.index);
  return {
    databaseUrl,
    apiKey,
    replicas,
    add,
    async dispose() {
      await Promise.all(replicas.map((r) => r.kill()));
      await schema?.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
