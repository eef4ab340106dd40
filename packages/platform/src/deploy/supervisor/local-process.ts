/**
 * @module deploy/supervisor/local-process
 * The local backend: every agent is a child process on a loopback port (see `launch.ts`).
 *
 * Per agent, operations (deploy, config restart, crash restart, stop) run one at a time.
 * - Start: build → spawn → ready → the process becomes the one requests go to; the previous one
 *   drains (its in-flight requests finish; at most `drainTimeoutMs`) and stops. A version that
 *   fails to build or start leaves the agent `Failed` with the reason and its last log lines; a
 *   process that was serving keeps serving (the message says so).
 * - Crash (a serving process exits on its own): `Restarting`, then a new process after 0.5 s,
 *   doubling to 30 s while restarts keep failing; the delay starts again at 0.5 s once a
 *   process has been up for 60 s.
 * - Identity: one agent token per agent and platform lifetime, shared by its processes;
 *   `stop({remove})` revokes it, a platform start replaces stale ones.
 * - Every status change is written to the agent document (`status`); the pids of live
 *   processes are kept in `<agentDir>/agent.pids`, so processes a crashed platform left behind
 *   are killed before the agent starts again.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { HttpError } from "../../errors.js";
import { issueAgentToken, revokeAgentTokens } from "../../governance/agent-identity.js";
import type { AgentPostAnswer, AgentPostRequest } from "../../governance/resume-worker.js";
import { type AgentEndpoint, readText, sendToAgent } from "../agent-http.js";
import { AgentLog } from "./agent-log.js";
import type { AgentProcess } from "./agent-process.js";
import { getDeployment, listDeployments, removeDeployment, writeAgentStatus } from "./deployments.js";
import { agentDirOf, ensureBuild, type LaunchContext, launch } from "./launch.js";
import { imageOnlyMessage, newSlot, type Slot, statusOf } from "./slot.js";
import { killLeftovers, pruneVersions, writePids } from "./slot-files.js";
import type { AgentBackend, AgentLease, AgentRef, AgentStatus, LogFollower } from "./types.js";

export interface LocalBackendOptions extends Omit<LaunchContext, "startTimeoutMs" | "npmTimeoutMs"> {
  startTimeoutMs?: number;
  npmTimeoutMs?: number;
  drainTimeoutMs?: number;
  stopGraceMs?: number;
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
  /** This replica's id, recorded in every status it writes (a platform of several replicas). */
  replica?: string;
}

export class LocalProcessBackend implements AgentBackend {
  readonly #ctx: LaunchContext;
  readonly #slots = new Map<string, Slot>();
  readonly #drainMs: number;
  readonly #graceMs: number;
  readonly #backoff: { initialMs: number; maxMs: number; resetAfterMs: number };
  #closed = false;
  readonly #replica: string | undefined;
  /** Agents served by a process the platform did not start (`runagents dev --governed`). */
  readonly #external = new Map<string, string>();
  /** Who follows each agent's log (`followLogs`), by agent key. */
  readonly #followers = new Map<string, Set<LogFollower>>();

  constructor(options: LocalBackendOptions) {
    this.#ctx = { startTimeoutMs: 30_000, npmTimeoutMs: 180_000, ...options };
    this.#drainMs = options.drainTimeoutMs ?? 30_000;
    this.#replica = options.replica;
    this.#graceMs = options.stopGraceMs ?? 5_000;
    this.#backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };
  }

  async start(ref: AgentRef): Promise<AgentStatus> {
    this.#external.delete(key(ref));
    const slot = this.#slot(ref);
    const deployment = await getDeployment(this.#ctx.store, ref);
    if (!deployment) {
      slot.failure = imageOnlyMessage;
      slot.note = "";
      this.#enqueue(slot, async () => {
        await this.#stopProcesses(slot, this.#graceMs);
        pruneVersions(slot);
      });
    } else {
      slot.failure = undefined;
      slot.note = `${slot.active ? "deploying" : "building"} version ${deployment.version}`;
      this.#enqueue(slot, () => this.#run(slot, deployment.version, "deploy"));
    }
    return this.#publish(slot);
  }

  async stop(ref: AgentRef, options: { remove?: boolean } = {}): Promise<void> {
    this.#external.delete(key(ref));
    const slot = this.#slots.get(key(ref));
    if (slot) {
      slot.removed = options.remove === true;
      await this.#enqueue(slot, () => this.#stopProcesses(slot, this.#graceMs));
      await slot.writes;
      await slot.log.close();
      this.#slots.delete(key(ref));
    }
    if (options.remove) {
      for (const follower of this.#followers.get(key(ref)) ?? [])
        follower.end(`agent ${ref.name} was deleted`);
      this.#followers.delete(key(ref));
      await revokeAgentTokens(this.#ctx.store, ref.workspace, ref.name);
      await removeDeployment(this.#ctx.store, ref);
      rmSync(agentDirOf(this.#ctx.dataDir, ref), { recursive: true, force: true });
    }
  }

  status(ref: AgentRef): AgentStatus | undefined {
    const slot = this.#slots.get(key(ref));
    return slot ? this.#statusOf(slot) : undefined;
  }

  logs(ref: AgentRef, tail: number): string[] {
    const slot = this.#slots.get(key(ref));
    if (slot) return slot.log.tail(tail);
    return new AgentLog(join(agentDirOf(this.#ctx.dataDir, ref), "agent.log")).tail(tail);
  }

  followLogs(ref: AgentRef, follower: LogFollower): () => void {
    const k = key(ref);
    let set = this.#followers.get(k);
    if (!set) {
      set = new Set();
      this.#followers.set(k, set);
    }
    set.add(follower);
    return () => {
      const current = this.#followers.get(k);
      current?.delete(follower);
      if (current?.size === 0) this.#followers.delete(k);
    };
  }

  attachExternal(ref: AgentRef, url: string): void {
    this.#external.set(key(ref), url.replace(/\/+$/, ""));
  }

  detachExternal(ref: AgentRef): void {
    this.#external.delete(key(ref));
  }

  endpointFor(workspace: string, name: string): AgentEndpoint | undefined {
    const external = this.#external.get(key({ workspace, name }));
    if (external) return { url: external };
    const proc = this.#slots.get(key({ workspace, name }))?.active;
    return proc && !proc.hasExited ? proc.endpoint : undefined;
  }

  isServing(workspace: string, name: string): boolean {
    return this.endpointFor(workspace, name) !== undefined;
  }

  async post(workspace: string, name: string, request: AgentPostRequest): Promise<AgentPostAnswer> {
    const lease = this.acquire({ workspace, name });
    try {
      const res = await sendToAgent({ method: "POST", target: lease.endpoint, ...request });
      return { status: res.statusCode ?? 502, text: await readText(res, request.timeoutMs) };
    } finally {
      lease.release();
    }
  }

  acquire(ref: AgentRef): AgentLease {
    const external = this.#external.get(key(ref));
    if (external) return { endpoint: { url: external }, version: 0, release: () => undefined };
    const slot = this.#slots.get(key(ref));
    const proc = slot?.active;
    if (!slot || !proc || proc.hasExited) {
      const status = slot ? this.#statusOf(slot) : undefined;
      const why = status ? `${status.phase}: ${status.message.split("\n")[0]}` : "it has no running process";
      throw new HttpError(503, `agent ${ref.name} is not running (${why})`, {
        headers: status?.phase === "Failed" ? {} : { "Retry-After": "1" },
      });
    }
    return { endpoint: proc.endpoint, version: proc.version, release: proc.enter() };
  }

  async restoreAll(): Promise<void> {
    for (const deployment of await listDeployments(this.#ctx.store)) {
      const ref = { workspace: deployment.workspace, name: deployment.agent };
      killLeftovers(agentDirOf(this.#ctx.dataDir, ref));
      const agent = await this.#ctx.store.getResource(ref.workspace, "agent", ref.name);
      if (!agent) {
        await this.stop(ref, { remove: true });
        continue;
      }
      this.#slot(ref).log.note("platform started: starting the agent again");
      await this.start(ref);
    }
  }

  /** Kills processes a crashed earlier platform left behind for the agent (before a start). */
  clearLeftovers(ref: AgentRef): void {
    if (!this.#slots.has(key(ref))) killLeftovers(agentDirOf(this.#ctx.dataDir, ref));
  }

  async stopAll(): Promise<void> {
    this.#closed = true;
    this.#external.clear();
    await Promise.all(
      [...this.#slots.values()].map(async (slot) => {
        slot.removed = true;
        await this.#stopProcesses(slot, this.#graceMs);
        // An operation in progress notices `removed` and stops what it started.
        await slot.queue;
        await slot.log.close();
      }),
    );
    this.#slots.clear();
  }

  #statusOf(slot: Slot): AgentStatus {
    const status = statusOf(slot, this.#ctx.isolation.mode);
    return this.#replica ? { ...status, replica: this.#replica } : status;
  }

  #slot(ref: AgentRef): Slot {
    let slot = this.#slots.get(key(ref));
    if (!slot) {
      const k = key(ref);
      slot = newSlot(ref, agentDirOf(this.#ctx.dataDir, ref), this.#backoff.initialMs, (line) => {
        for (const follower of this.#followers.get(k) ?? []) follower.line(line);
      });
      this.#slots.set(key(ref), slot);
    }
    return slot;
  }

  #enqueue(slot: Slot, work: () => Promise<void>): Promise<void> {
    const run = slot.queue.then(async () => {
      try {
        await work();
      } catch (err) {
        this.#ctx.log.error("agent supervisor error", {
          workspace: slot.ref.workspace,
          agent: slot.ref.name,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    });
    slot.queue = run;
    return run;
  }

  /** Writes the current status (in order) and returns it. */
  #publish(slot: Slot): Promise<AgentStatus> {
    const status = this.#statusOf(slot);
    if (slot.removed || this.#closed) return Promise.resolve(status);
    slot.writes = slot.writes
      .then(() => writeAgentStatus(this.#ctx.store, slot.ref, status))
      .then(
        () => undefined,
        (err: unknown) =>
          this.#ctx.log.warn("could not record agent status", {
            agent: slot.ref.name,
            error: err instanceof Error ? err.message : String(err),
          }),
      );
    return slot.writes.then(() => status);
  }

  async #token(slot: Slot): Promise<string> {
    if (!slot.token) {
      await revokeAgentTokens(this.#ctx.store, slot.ref.workspace, slot.ref.name);
      slot.token = await issueAgentToken(this.#ctx.store, slot.ref.workspace, slot.ref.name);
    }
    return slot.token;
  }

  /**
   * Builds (or reuses) `version` and starts a process for it. A deploy that fails leaves the
   * agent Failed; a crash restart that fails is tried again later. On success the process serves
   * and the one it replaces drains.
   */
  async #run(slot: Slot, version: number, mode: "deploy" | "restart"): Promise<void> {
    if (slot.removed || (mode === "restart" && slot.active)) return;
    if (mode === "deploy") {
      clearTimeout(slot.timer);
      slot.timer = undefined;
    }
    slot.building = version;
    try {
      let build: Awaited<ReturnType<typeof ensureBuild>>;
      try {
        build = await ensureBuild(this.#ctx, slot.ref, version, slot.log);
      } catch (err) {
        slot.failure = `version ${version} failed to build: ${(err as Error).message}`;
        slot.log.note(slot.failure);
        await this.#publish(slot);
        return;
      }
      if (mode === "deploy") {
        slot.note = `starting version ${version}`;
        await this.#publish(slot);
      }
      const token = await this.#token(slot);
      const result = await launch(this.#ctx, slot.ref, { version, build, token, log: slot.log });
      if (slot.removed || (mode === "restart" && slot.active)) {
        if (result.ok) await result.process.stop(0);
        return;
      }
      if (!result.ok) {
        if (mode === "restart") {
          this.#scheduleRestart(slot, version, `restart failed: ${result.message.split("\n")[0]}`, []);
          return;
        }
        slot.failure = `version ${version} failed to start: ${result.message}`;
        slot.log.note(`version ${version} failed to start`);
        await this.#publish(slot);
        return;
      }
      const proc = result.process;
      const previous = slot.active;
      slot.active = proc;
      slot.failure = undefined;
      slot.crash = undefined;
      slot.note = "";
      if (mode === "deploy") {
        slot.restarts = 0;
        slot.backoffMs = this.#backoff.initialMs;
      }
      proc.exited.then(() => this.#onExit(slot, proc));
      writePids(slot);
      await this.#publish(slot);
      if (previous) void this.#retire(slot, previous);
      else pruneVersions(slot);
    } finally {
      slot.building = undefined;
    }
  }

  /** Lets `proc` finish its in-flight requests, then stops it. */
  async #retire(slot: Slot, proc: AgentProcess): Promise<void> {
    proc.stopping = true;
    slot.others.add(proc);
    await proc.drained(this.#drainMs);
    await proc.stop(this.#graceMs);
    slot.others.delete(proc);
    slot.log.note(`stopped version ${proc.version} (pid ${proc.pid})`);
    writePids(slot);
    if (!slot.removed) pruneVersions(slot);
  }

  #onExit(slot: Slot, proc: AgentProcess): void {
    if (proc.stopping || slot.removed || this.#closed || slot.active !== proc) return;
    slot.active = undefined;
    writePids(slot);
    const upFor = Date.now() - (proc.healthySince ?? Date.now());
    if (upFor >= this.#backoff.resetAfterMs) slot.backoffMs = this.#backoff.initialMs;
    this.#scheduleRestart(
      slot,
      proc.version,
      `${proc.describeExit()} (pid ${proc.pid})`,
      proc.recent.slice(-10),
    );
  }

  #scheduleRestart(slot: Slot, version: number, reason: string, tail: string[]): void {
    const delay = slot.backoffMs;
    slot.backoffMs = Math.min(slot.backoffMs * 2, this.#backoff.maxMs);
    slot.restarts++;
    this.#ctx.metrics?.observeAgentRestart();
    slot.crash = `${reason}; restarting in ${delay / 1000} s (restart ${slot.restarts})${tail.length > 0 ? `\nlast log lines:\n${tail.join("\n")}` : ""}`;
    slot.log.note(`${reason}; restarting in ${delay / 1000} s`);
    void this.#publish(slot);
    clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      void this.#enqueue(slot, () => this.#run(slot, version, "restart"));
    }, delay);
  }

  async #stopProcesses(slot: Slot, graceMs: number): Promise<void> {
    clearTimeout(slot.timer);
    slot.timer = undefined;
    const all = [slot.active, ...slot.others].filter((p): p is AgentProcess => p !== undefined);
    slot.active = undefined;
    await Promise.all(all.map((p) => p.stop(graceMs)));
    slot.others.clear();
    writePids(slot);
    if (!slot.removed) await this.#publish(slot);
  }
}

const key = (ref: AgentRef): string => `${ref.workspace}/${ref.name}`;
