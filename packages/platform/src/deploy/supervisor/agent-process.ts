/**
 * @module deploy/supervisor/agent-process
 * One agent process: the runtime (under its isolation's command line, see `isolation/command`)
 * with the environment it is given and nothing else, listening on its private socket; its output
 * line by line into the agent's log, a readiness wait on `/healthz`, in-flight request counting
 * for draining, and a stop that asks (SIGTERM: the runtime finishes in-flight requests) before it
 * forces (SIGKILL).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { redactAgentTokens } from "../../governance/agent-identity.js";
import { isObject } from "../../validate.js";
import { type AgentEndpoint, probeJson } from "../agent-http.js";
import type { IsolationMode } from "../isolation/mode.js";
import { type AgentLog, lineSplitter } from "./agent-log.js";

export interface SpawnOptions {
  version: number;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  endpoint: AgentEndpoint;
  isolation: IsolationMode;
  log: AgentLog;
  /** Called once the process has exited (releases its channel). */
  onExit?: () => void;
}

export type Readiness = { ok: true } | { ok: false; message: string };

export class AgentProcess {
  readonly version: number;
  readonly endpoint: AgentEndpoint;
  readonly isolation: IsolationMode;
  readonly pid: number;
  /** Set once `/healthz` answered. */
  healthySince: number | undefined;
  /** True once the supervisor asked it to stop (its exit is then not a crash). */
  stopping = false;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #child: ChildProcess;
  #inflight = 0;
  #idle: (() => void)[] = [];
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** The process's own output (not the supervisor's notes), for failure messages. */
  readonly recent: string[] = [];

  constructor(options: SpawnOptions) {
    this.version = options.version;
    this.endpoint = options.endpoint;
    this.isolation = options.isolation;
    this.#child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.pid = this.#child.pid ?? 0;
    const onLine = (raw: string) => {
      if (!raw) return;
      const line = redactAgentTokens(raw);
      this.recent.push(line);
      if (this.recent.length > 20) this.recent.shift();
      options.log.append(line);
    };
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      if (!stream) continue;
      const split = lineSplitter(onLine);
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => split.push(chunk));
      stream.on("end", () => split.end());
    }
    this.exited = new Promise((resolve) => {
      this.#child.on("error", (err) => {
        onLine(`[runagents] could not start the runtime: ${err.message}`);
        this.#exit ??= { code: null, signal: null };
        resolve(this.#exit);
      });
      this.#child.on("exit", (code, signal) => {
        this.#exit ??= { code, signal };
        resolve(this.#exit);
      });
    });
    if (options.onExit) void this.exited.then(options.onExit);
  }

  get hasExited(): boolean {
    return this.#exit !== undefined;
  }

  get inflight(): number {
    return this.#inflight;
  }

  /** Counts a request in flight; call the returned function when it is over. */
  enter(): () => void {
    this.#inflight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.#inflight === 0) for (const wake of this.#idle.splice(0)) wake();
    };
  }

  /** Resolves when nothing is in flight, or after `timeoutMs`. */
  drained(timeoutMs: number): Promise<void> {
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Polls `/healthz` until it answers, the process exits, or `timeoutMs` passes. A runtime that
   * answers but could not load the user's module (`user_code_error`) is not ready.
   */
  async waitReady(timeoutMs: number): Promise<Readiness> {
    const deadline = Date.now() + timeoutMs;
    let delay = 10;
    for (;;) {
      if (this.#exit) return { ok: false, message: this.describeExit() };
      const health = await Promise.race([
        probeJson(this.endpoint, "/healthz", 2000),
        this.exited.then(() => undefined),
      ]);
      if (isObject(health) && health.status === "ok") {
        if (typeof health.user_code_error === "string" && health.user_code_error) {
          return { ok: false, message: health.user_code_error };
        }
        this.healthySince = Date.now();
        return { ok: true };
      }
      if (this.#exit) return { ok: false, message: this.describeExit() };
      if (Date.now() >= deadline) {
        return {
          ok: false,
          message: `the runtime did not answer /healthz within ${Math.round(timeoutMs / 1000)} s`,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 100);
    }
  }

  describeExit(): string {
    const exit = this.#exit;
    if (!exit) return "the process is running";
    return exit.signal
      ? `the process was killed by ${exit.signal}`
      : `the process exited with code ${exit.code}`;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.#exit) return;
    if (graceMs > 0 && this.isolation === "sandbox") {
      // bubblewrap does not pass signals on: ask the runtime inside directly.
      for (const pid of descendants(this.pid)) signal(pid, "SIGTERM");
    } else {
      this.#child.kill(graceMs > 0 ? "SIGTERM" : "SIGKILL");
    }
    if (graceMs > 0) {
      const timer = setTimeout(() => this.#child.kill("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(timer);
      return;
    }
    await this.exited;
  }
}

/** Every process below `pid` (Linux `/proc`), deepest last. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const visit = (parent: number) => {
    let children: string;
    try {
      children = readFileSync(`/proc/${parent}/task/${parent}/children`, "utf8");
    } catch {
      return;
    }
    for (const child of children.split(" ").filter(Boolean).map(Number)) {
      out.push(child);
      visit(child);
    }
  };
  visit(pid);
  return out;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
