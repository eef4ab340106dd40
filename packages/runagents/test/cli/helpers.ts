/**
 * Test helpers: run the built `runagents` CLI as a subprocess, as a user would, with a temporary
 * HOME and a clean environment; and start a real platform for it to talk to.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { type PlatformStore, startTestPlatform, type TestPlatform } from "../helpers/platform.js";

export const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Run under `script` so stdout is a TTY. */
  tty?: boolean;
  /** Text piped to stdin (then closed); without it stdin is empty. */
  input?: string;
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = "runagents-cli-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Only PATH and the given variables: nothing of the developer's RUNAGENTS_* or OPENAI_* leaks in. */
export function cleanEnv(env: Record<string, string | undefined> = {}): Record<string, string> {
  const out: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}

function spawnCli(args: readonly string[], options: RunOptions): ChildProcess {
  const env = cleanEnv(options.env);
  if (options.tty) {
    const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    return spawn("script", ["-qec", quoted, "/dev/null"], {
      cwd: options.cwd,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
  }
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env,
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  return child;
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, options);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A CLI process that keeps running (`up`, `dev`, `runs wait`): read its lines as they come. */
export class LiveCli {
  readonly child: ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly #waiters: {
    stream: "stdout" | "stderr";
    check: () => string | undefined;
    resolve: (line: string) => void;
  }[] = [];
  readonly #closed: Promise<number | null>;

  constructor(args: readonly string[], options: RunOptions = {}) {
    this.child = spawnCli(args, options);
    for (const stream of ["stdout", "stderr"] as const) {
      const source = this.child[stream];
      if (!source) continue;
      createInterface({ input: source }).on("line", (line) => {
        this[stream].push(line);
        for (const w of [...this.#waiters]) {
          const found = w.stream === stream ? w.check() : undefined;
          if (found !== undefined) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(found);
          }
        }
      });
    }
    this.#closed = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  /**
   * The `count`-th line matching `pattern` among the lines from index `from` on (already printed or
   * to come); rejects if the process ends first.
   */
  waitFor(pattern: RegExp, stream: "stdout" | "stderr" = "stdout", from = 0, count = 1): Promise<string> {
    const check = () => this[stream].slice(from).filter((line) => pattern.test(line))[count - 1];
    const seen = check();
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ stream, check, resolve });
      this.#closed.then((code) =>
        reject(
          new Error(
            `CLI exited (${code}) before printing ${pattern}\nstdout:\n${this.stdout.join("\n")}\nstderr:\n${this.stderr.join("\n")}`,
          ),
        ),
      );
    });
  }

  /** Resolves with the exit code. */
  exited(): Promise<number | null> {
    return this.#closed;
  }

  /** Sends `signal` and waits for the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.#closed;
  }
}

/** A real platform (port 0, temporary data dir; SQLite unless `store` says) for the CLI to talk to. */
export function startPlatform(options: { store?: PlatformStore } = {}): Promise<TestPlatform> {
  return startTestPlatform(options);
}

export type { TestPlatform };

/**
 * For a test file: one real platform with the starter kit seeded and a temporary HOME (also the
 * working directory), created before the file's tests and removed after. `cli` runs the CLI
 * against them; `ok` also asserts exit code 0 and an empty stderr, and returns stdout.
 */
export function cliWithPlatform(options: { store?: PlatformStore } = {}) {
  const state: { dir: string; platform?: TestPlatform } = { dir: "" };
  before(async () => {
    state.dir = tempDir();
    state.platform = await startPlatform(options);
    await state.platform.call("POST", "/starter-kit");
  });
  after(async () => {
    await state.platform?.destroy();
    removeDir(state.dir);
  });
  const platformOf = (): TestPlatform => {
    if (!state.platform) throw new Error("the platform starts in before()");
    return state.platform;
  };
  const cli = (...args: string[]) =>
    runCli(args, {
      env: {
        HOME: state.dir,
        RUNAGENTS_ENDPOINT: platformOf().url,
        RUNAGENTS_API_KEY: platformOf().adminKey,
      },
      cwd: state.dir,
    });
  return {
    get dir() {
      return state.dir;
    },
    get platform() {
      return platformOf();
    },
    cli,
    async ok(...args: string[]): Promise<string> {
      const result = await cli(...args);
      assert.equal(result.stderr, "", `${args.join(" ")}: ${result.stderr}`);
      assert.equal(result.code, 0, args.join(" "));
      return result.stdout;
    },
  };
}
