/**
 * @module
 * `client.runs`: list (user/conversation filters, newest first, limit), get, events (type
 * filter, tail limit), timeline, wait (polls until COMPLETED or FAILED), export (api-contract §2.3.4; built client-side)
 * and auditExport (the server's tamper-evident NDJSON trail).
 */

import type { AuditLine } from "../audit/chain.js";
import { abortedError, RunAgentsTimeoutError } from "../errors.js";
import { type AuditExportOptions, streamAuditExport, windowQuery } from "./audit.js";
import type {
  Run,
  RunEvent,
  RunEventsOptions,
  RunExport,
  RunListOptions,
  RunTimelineEntry,
  RunWaitOptions,
} from "./governance-types.js";
import type { CallOptions, Query, Transport } from "./http.js";
import { urlPath } from "./http.js";
import { listOf } from "./parse.js";
import { toRun, toRunEvent } from "./parse-governance.js";
import { buildTimeline } from "./timeline.js";

/** The platform's cap on `GET /runs?limit=`; a larger limit fetches every run and cuts client-side. */
export const MAX_RUNS_LIMIT = 1000;

/** Only `COMPLETED` and `FAILED` end a run; `PAUSED_*` does not. */
export function isTerminalRunStatus(status: string): boolean {
  const normalized = status.trim().toUpperCase();
  return normalized === "COMPLETED" || normalized === "FAILED";
}

/** Keep runs of `user`/`conversation` (when given), newest first by updated (else created) time, `limit`. */
export function filterRuns(runs: readonly Run[], options: RunListOptions = {}): Run[] {
  const user = (options.user ?? "").trim();
  const conversation = (options.conversation ?? "").trim();
  const limit = options.limit ?? 20;
  const kept = runs.filter(
    (run) =>
      (user === "" || run.userId === user) && (conversation === "" || run.conversationId === conversation),
  );
  const key = (run: Run): string => run.updatedAt || run.createdAt;
  kept.sort((a, b) => (key(a) < key(b) ? 1 : key(a) > key(b) ? -1 : 0));
  return limit > 0 ? kept.slice(0, limit) : kept;
}

/** Keep events of `type` (case-insensitive), ordered by sequence, then the last `limit`. */
export function filterRunEvents(events: readonly RunEvent[], options: RunEventsOptions = {}): RunEvent[] {
  const type = (options.type ?? "").trim().toLowerCase();
  const limit = options.limit ?? 0;
  const kept = events.filter((event) => type === "" || event.type.toLowerCase() === type);
  kept.sort((a, b) => a.sequence - b.sequence);
  return limit > 0 && kept.length > limit ? kept.slice(-limit) : kept;
}

function sleep(ms: number, signals: readonly (AbortSignal | undefined)[]): Promise<void> {
  const active = signals.filter((s): s is AbortSignal => s !== undefined);
  const fired = active.find((s) => s.aborted);
  if (fired) return Promise.reject(abortedError(fired.reason));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      for (const s of active) s.removeEventListener("abort", onAbort);
      reject(abortedError(active.find((s) => s.aborted)?.reason));
    };
    const timer = setTimeout(() => {
      for (const s of active) s.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    for (const s of active) s.addEventListener("abort", onAbort, { once: true });
  });
}

export class RunsResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /**
   * GET /runs[?agent_id=&status=&user_id=&conversation_id=&limit=]: the platform filters and limits;
   * {@link filterRuns} applies the same rules again for platforms that do not.
   */
  async list(filters: RunListOptions = {}, options: CallOptions = {}): Promise<Run[]> {
    const query: Record<string, string | number> = {};
    const agent = (filters.agent ?? "").trim();
    const status = (filters.status ?? "").trim();
    const user = (filters.user ?? "").trim();
    const conversation = (filters.conversation ?? "").trim();
    const limit = filters.limit ?? 20;
    if (agent !== "") query.agent_id = agent;
    if (status !== "") query.status = status;
    if (user !== "") query.user_id = user;
    if (conversation !== "") query.conversation_id = conversation;
    if (limit > 0 && limit <= MAX_RUNS_LIMIT) query.limit = limit;
    const runs = listOf(await this.#t.request("GET", "/runs", { ...options, query }), toRun);
    return filterRuns(runs, filters);
  }

  /** GET /runs/{id} */
  async get(runId: string, options: CallOptions = {}): Promise<Run> {
    return toRun(await this.#t.request("GET", urlPath`/runs/${runId}`, options));
  }

  /**
   * GET /runs/{id}/events[?type=&limit=]: the platform filters by type and keeps the tail;
   * {@link filterRunEvents} applies the same rules again for platforms that do not.
   */
  async events(
    runId: string,
    filters: RunEventsOptions = {},
    options: CallOptions = {},
  ): Promise<RunEvent[]> {
    const type = (filters.type ?? "").trim().toUpperCase();
    const limit = filters.limit ?? 0;
    const query: Query = { ...(type ? { type } : {}), ...(limit > 0 ? { limit } : {}) };
    const events = listOf(
      await this.#t.request("GET", urlPath`/runs/${runId}/events`, { ...options, query }),
      toRunEvent,
    );
    return filterRunEvents(events, filters);
  }

  /** The run's operator timeline (GET run, then GET events). */
  async timeline(runId: string, options: CallOptions = {}): Promise<RunTimelineEntry[]> {
    const run = await this.get(runId, options);
    return buildTimeline(run, await this.events(runId, {}, options));
  }

  /** Run, events and timeline in one object. */
  async export(runId: string, options: CallOptions = {}): Promise<RunExport> {
    const run = await this.get(runId, options);
    const events = await this.events(runId, {}, options);
    return { run, events, timeline: buildTimeline(run, events) };
  }

  /** GET /runs/{id}/audit/export: the run's tamper-evident audit lines (events, then the head). */
  auditExport(
    runId: string,
    window: AuditExportOptions = {},
    options: CallOptions = {},
  ): AsyncGenerator<AuditLine, void, undefined> {
    return streamAuditExport(this.#t, urlPath`/runs/${runId}/audit/export`, windowQuery(window), options);
  }

  /**
   * Poll GET /runs/{id} every `intervalMs` until the run is COMPLETED or FAILED. The deadline is checked
   * after each poll; past it, throws RunAgentsTimeoutError. Paused runs keep being polled.
   */
  async wait(runId: string, options: RunWaitOptions & { signal?: AbortSignal } = {}): Promise<Run> {
    const timeoutMs = Math.max(options.timeoutMs ?? 300_000, 0);
    const intervalMs = Math.max(options.intervalMs ?? 2_000, 0);
    const deadline = performance.now() + timeoutMs;
    const call: CallOptions = options.signal ? { signal: options.signal } : {};
    for (;;) {
      const run = await this.get(runId, call);
      if (isTerminalRunStatus(run.status)) return run;
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new RunAgentsTimeoutError(`timed out waiting for run '${runId}' to finish`);
      await sleep(Math.min(intervalMs, remaining), [this.#t.signal, options.signal]);
    }
  }
}
