/**
 * @module governance/audit-export
 * The audit trail as NDJSON text (docs/audit.md): every event of a run, or of every run of the
 * workspace in a time window, one line each with its audit columns and chain fields (hashes only:
 * no event data, no payload, no credential), then one head line over the runs' last events.
 * Read a page at a time, so an export of any size holds one page in memory; the caller writes
 * each chunk with backpressure.
 */
import { AUDIT_VERSION, type AuditHeadFields, eventLine, headHash, type RunHead } from "runagents/audit";
import { HttpError } from "../errors.js";
import { chainFields } from "../store/event-chain.js";
import type { RunRecord, Store, TimeWindow } from "../store/store.js";

const EVENT_PAGE = 500;
const RUN_PAGE = 200;

export interface AuditScope extends TimeWindow {
  /** One run's trail; the whole workspace's when absent. */
  runId?: string;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** `?from=` / `?to=`: an ISO 8601 date or date-time, normalised to UTC milliseconds; 400 otherwise. */
export function parseWindow(query: URLSearchParams): TimeWindow {
  const window: TimeWindow = {};
  for (const key of ["from", "to"] as const) {
    const raw = query.get(key);
    if (raw === null || raw.trim() === "") continue;
    const text = raw.trim();
    const ms = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
    if (!Number.isFinite(ms)) {
      throw new HttpError(400, `query parameter ${key} must be an ISO 8601 time, e.g. 2026-01-31T00:00:00Z`);
    }
    window[key] = new Date(ms).toISOString();
  }
  if (window.from !== undefined && window.to !== undefined && window.from >= window.to) {
    throw new HttpError(400, "query parameter from must be before to");
  }
  return window;
}

/** The export's chunks: a page of event lines at a time, then the head line. */
export async function* auditExport(store: Store, ws: string, scope: AuditScope): AsyncGenerator<string> {
  const heads: RunHead[] = [];
  let events = 0;
  const runs = scope.runId ? singleRun(store, ws, scope.runId) : workspaceRuns(store, ws, scope);
  for await (const run of runs) {
    let afterSeq = 0;
    let head: RunHead | undefined;
    for (;;) {
      const page = await store.listChainedEvents(ws, run.id, {
        ...windowOf(scope),
        afterSeq,
        limit: EVENT_PAGE,
      });
      if (page.length === 0) break;
      let chunk = "";
      for (const event of page) {
        const fields = chainFields({
          workspace: ws,
          runId: run.id,
          agentId: run.agentId,
          userId: run.userId,
          seq: event.seq,
          id: event.id,
          type: event.type,
          actor: event.actor,
          payloadHash: event.payloadHash,
          data: event.data,
          dataText: event.dataText,
          time: event.timestamp,
          prevHash: event.prevHash,
        });
        chunk += `${JSON.stringify(eventLine(fields, event.hash))}\n`;
        head = { runId: run.id, seq: event.seq, hash: event.hash };
      }
      events += page.length;
      afterSeq = (page.at(-1) as { seq: number }).seq;
      yield chunk;
      if (page.length < EVENT_PAGE) break;
    }
    if (head) heads.push(head);
  }
  const fields: AuditHeadFields = {
    v: AUDIT_VERSION,
    workspace: ws,
    run_id: scope.runId ?? "",
    from: scope.from ?? "",
    to: scope.to ?? "",
    events,
    runs: heads.length,
  };
  yield `${JSON.stringify({ kind: "head", ...fields, head: headHash(fields, heads) })}\n`;
}

const windowOf = (scope: AuditScope): TimeWindow => ({
  ...(scope.from ? { from: scope.from } : {}),
  ...(scope.to ? { to: scope.to } : {}),
});

async function* singleRun(store: Store, ws: string, runId: string): AsyncGenerator<RunRecord> {
  const run = await store.getRun(ws, runId);
  if (run) yield run;
}

async function* workspaceRuns(store: Store, ws: string, scope: AuditScope): AsyncGenerator<RunRecord> {
  let after: { createdAt: string; id: string } | undefined;
  for (;;) {
    const page = await store.listRunsInWindow(ws, {
      ...windowOf(scope),
      ...(after ? { after } : {}),
      limit: RUN_PAGE,
    });
    yield* page;
    if (page.length < RUN_PAGE) return;
    const last = page.at(-1) as RunRecord;
    after = { createdAt: last.createdAt, id: last.id };
  }
}
