/**
 * Test helper: the platform as its own process (`main.js`), so a test can SIGKILL it and start it
 * again on the same data dir. An API key is created in the data dir first and every call sends
 * it (the platform then requires it, as it will on every /api/v1 call).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runtimeConfig } from "../deploy/helpers.js";
import { type ApiResponse, request } from "./platform.js";

const MAIN = fileURLToPath(new URL("../../src/main.js", import.meta.url));

export interface PlatformProcess {
  child: ChildProcess;
  api: string;
  call(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (if still running), resolved once the process is gone. */
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Where a platform process would write its first admin key: never the developer's own config. */
const configDir = mkdtempSync(join(tmpdir(), "runagents-process-config-"));

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNAGENTS_LOG_LEVEL: "warn",
    RUNAGENTS_CONFIG_DIR: configDir,
  };
  const staged = runtimeConfig().runagentsDir;
  if (staged) env.RUNAGENTS_PACKAGE_DIR = staged;
  return env;
}

/** `runagents-platform --create-api-key`: the token it prints. */
export async function createApiKey(dataDir: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [MAIN, "--create-api-key", "test", "--data-dir", dataDir],
    { env: childEnv() },
  );
  return stdout.trim();
}

/** Starts the platform on `port` and resolves once it says it is ready. */
export async function startPlatformProcess(
  port: number,
  dataDir: string,
  apiKey: string,
): Promise<PlatformProcess> {
  const child = spawn(process.execPath, [MAIN, "--port", String(port), "--data-dir", dataDir, "--no-seed"], {
    env: childEnv(),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      if (stderr.includes("RunAgents platform ready at")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`platform exited with ${code}: ${stderr}`)));
  });
  const api = `http://127.0.0.1:${port}/api/v1`;
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    api,
    call: (method, path, body) => request(`${api}${path}`, method, body, { "X-RunAgents-API-Key": apiKey }),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await gone;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await gone;
    },
  };
}
