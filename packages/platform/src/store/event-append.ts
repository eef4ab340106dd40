/**
 * @module store/event-append
 * Event appends as both SQL stores make them. Group commit: appends made in the same turn of the
 * event loop share one transaction (`AppendQueue`); inside it, each run's chain tip (last seq and
 * hash) and its agent and user are read once, and every event gets the next seq and its hash
 * (`sealAppends`). Every caller still awaits its own event; an append to an unknown run fails
 * alone. An item may also carry a run update with a status compare-and-set (`pushUpdate`, for
 * `Store.updateRunWithEvents`): judged against the run's status in the same transaction, it
 * writes its events and the run's new columns together, or nothing. Asynchronous commits
 * (PostgreSQL) run one at a time per queue: appends to a run commit in call order.
 */
import { nowIso } from "../time.js";
import { sealEvent } from "./event-chain.js";
import { type EventRow, patchRunRow, type RunPatch, type RunRow, timeOrderedUuid, toEvent } from "./rows.js";
import { type NewRunEvent, RunEndedError, type RunEventRecord } from "./store.js";

export interface PendingAppend {
  ws: string;
  runId: string;
  /** Appended in this order, all or none. */
  events: readonly NewRunEvent[];
  /**
   * Applied to the run in the same transaction as `events`, only while its status is one of
   * `ifStatus` (when given); otherwise nothing of this item is written (`{ lost: true }`).
   */
  update?: { patch: RunPatch; ifStatus?: readonly string[] };
  /**
   * A new run's row, which the store inserts in the same transaction, before `events` (its first:
   * its chain starts empty). Only stores that handle it are given such items (SQLite).
   */
  create?: RunRow;
}

/** A run's chain tip as its transaction sees it: the last event's seq and hash, 0 and "" when none. */
export interface ChainTip {
  seq: number;
  hash: string;
  agentId: string;
  userId: string;
  /** The run's status in the same transaction (for `whileActive` appends). */
  status?: string;
  /** The run's row in the same transaction (needed by items with an `update`). */
  row?: RunRow;
}

const ENDED = new Set(["COMPLETED", "FAILED"]);

export type AppendResult = { records: RunEventRecord[]; run?: RunRow } | { lost: true } | { error: unknown };

export interface SealedAppends {
  /** The rows to insert, in order. */
  rows: EventRow[];
  /** Each row's workspace (the rows have none of their own): for the workspace event feed. */
  workspaces: string[];
  /** One per item, in the items' order. */
  results: AppendResult[];
  /** The runs appended to, with their new `updated_at`. */
  touched: Map<string, string>;
  /** The runs whose row an item's `update` changed, by id: their new rows (write these too). */
  updated: Map<string, RunRow>;
  /** The same runs' patches (merged, in order): what the updates changed. */
  patches: Map<string, RunPatch>;
}

/** What a queued item resolves with: undefined when its `update` did not apply. */
type Committed = { records: RunEventRecord[]; run?: RunRow } | undefined;

export const runKey = (ws: string, runId: string): string => `${ws}\0${runId}`;

/** Seals a batch: `tipOf` is asked once per run (undefined: no such run in that workspace). */
export function sealAppends(
  items: readonly PendingAppend[],
  tipOf: (ws: string, runId: string) => ChainTip | undefined,
): SealedAppends {
  const tips = new Map<string, ChainTip | undefined>();
  const rows: EventRow[] = [];
  const workspaces: string[] = [];
  const touched = new Map<string, string>();
  const updated = new Map<string, RunRow>();
  const patches = new Map<string, RunPatch>();
  const results = items.map((item): AppendResult => {
    const key = runKey(item.ws, item.runId);
    if (item.create && !tips.has(key)) {
      const row = item.create;
      tips.set(key, {
        seq: 0,
        hash: "",
        agentId: row.agent_id,
        userId: row.user_id,
        status: row.status,
        row,
      });
    } else if (!tips.has(key)) {
      const found = tipOf(item.ws, item.runId);
      tips.set(key, found && { ...found });
    }
    const tip = tips.get(key);
    if (!tip) return item.update ? { lost: true } : { error: new Error(`run ${item.runId} not found`) };
    const status = tip.row?.status ?? tip.status;
    if (item.update?.ifStatus && !item.update.ifStatus.includes(status ?? "")) return { lost: true };
    const ended = status !== undefined && ENDED.has(status);
    if (ended && item.events.some((event) => event.whileActive)) {
      return { error: new RunEndedError(item.runId, status) };
    }
    if (item.update && !tip.row) return { error: new Error(`run ${item.runId}: no row to update`) };
    const records = item.events.map((event) => {
      const row = sealRow(item, event, tip);
      rows.push(row);
      workspaces.push(item.ws);
      touched.set(item.runId, row.created_at);
      return toEvent(row, event.data ?? {});
    });
    if (!item.update || !tip.row) return { records };
    const next = patchRunRow(tip.row, item.update.patch);
    next.updated_at = touched.get(item.runId) ?? next.updated_at;
    tip.row = next;
    tip.status = next.status;
    updated.set(item.runId, next);
    patches.set(item.runId, { ...patches.get(item.runId), ...definedOnly(item.update.patch) });
    touched.set(item.runId, next.updated_at);
    return { records, run: next };
  });
  return { rows, workspaces, results, touched, updated, patches };
}

const definedOnly = (patch: RunPatch): RunPatch =>
  Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as RunPatch;

/** The next row of `tip`'s chain for `event`; advances the tip. */
function sealRow(item: PendingAppend, event: NewRunEvent, tip: ChainTip): EventRow {
  const data = event.data ?? {};
  const row: EventRow = {
    run_id: item.runId,
    seq: tip.seq + 1,
    id: timeOrderedUuid(),
    type: event.type,
    actor: event.actor ?? "",
    payload_hash: event.payloadHash ?? "",
    data: JSON.stringify(data),
    created_at: nowIso(),
    prev_hash: tip.hash,
    hash: "",
  };
  row.hash = sealEvent({
    workspace: item.ws,
    runId: row.run_id,
    agentId: tip.agentId,
    userId: tip.userId,
    seq: row.seq,
    id: row.id,
    type: row.type,
    actor: row.actor,
    payloadHash: row.payload_hash,
    data,
    dataText: row.data,
    time: row.created_at,
    prevHash: row.prev_hash,
  });
  tip.seq = row.seq;
  tip.hash = row.hash;
  return row;
}

/**
 * Collects the appends of one event-loop turn and commits them together with `commit` (sync for
 * SQLite, async for PostgreSQL). A commit that throws fails every append of its batch.
 */
export class AppendQueue {
  #queued: PendingAppend[] = [];
  /** The callers of `#queued`, index for index (kept apart: no copy of each item). */
  #waiting: { resolve: (r: Committed) => void; reject: (e: unknown) => void }[] = [];
  readonly #listeners = new Set<(workspaces: ReadonlySet<string>) => void>();
  /** The asynchronous commit in flight: the next batch waits for it (and grows meanwhile). */
  #busy: Promise<void> | undefined;

  constructor(
    private readonly commit: (items: PendingAppend[]) => AppendResult[] | Promise<AppendResult[]>,
  ) {}

  push(ws: string, runId: string, event: NewRunEvent): Promise<RunEventRecord> {
    return this.#enqueue({ ws, runId, events: [event] }).then((done) => {
      const [record] = done?.records ?? [];
      if (!record) throw new Error(`run ${runId}: the event was not appended`);
      return record;
    });
  }

  /**
   * Appends `events` and applies `update` to the run in one transaction, only while the run's
   * status is one of `update.ifStatus`: undefined (nothing written) when it is not.
   */
  pushUpdate(
    ws: string,
    runId: string,
    events: readonly NewRunEvent[],
    update: NonNullable<PendingAppend["update"]>,
  ): Promise<{ records: RunEventRecord[]; run: RunRow } | undefined> {
    return this.#enqueue({ ws, runId, events, update }).then((done) =>
      done?.run ? { records: done.records, run: done.run } : undefined,
    );
  }

  /** A new run's row and its first `events`, in one transaction (see `PendingAppend.create`). */
  pushCreate(row: RunRow, events: readonly NewRunEvent[]): Promise<RunEventRecord[]> {
    return this.#enqueue({ ws: row.workspace, runId: row.id, events, create: row }).then((done) => {
      if (!done) throw new Error(`run ${row.id}: not created`);
      return done.records;
    });
  }

  #enqueue(item: PendingAppend): Promise<Committed> {
    return new Promise<Committed>((resolve, reject) => {
      if (this.#queued.length === 0 && !this.#busy) setImmediate(() => void this.flush());
      this.#queued.push(item);
      this.#waiting.push({ resolve, reject });
    });
  }

  /** Called after each commit with the workspaces that got events; returns the unsubscribe. */
  onAppended(listener: (workspaces: ReadonlySet<string>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Commits what is queued now (synchronously when `commit` is synchronous). Asynchronous commits
   * run one at a time: what is queued while one is in flight goes in the next batch, so appends to
   * a run commit in call order, and a batch grows with the load. The promise settles once
   * everything queued before the call is committed.
   */
  flush(): Promise<void> | undefined {
    if (this.#busy) return this.#busy.then(() => this.flush());
    const items = this.#queued;
    const waiting = this.#waiting;
    if (items.length === 0) return undefined;
    this.#queued = [];
    this.#waiting = [];
    const settle = (results: AppendResult[]) => {
      const workspaces = new Set<string>();
      results.forEach((result, i) => {
        const item = items[i];
        const caller = waiting[i];
        if (!item || !caller) return;
        if ("records" in result) {
          if (result.records.length > 0) workspaces.add(item.ws);
          caller.resolve(result);
        } else if ("lost" in result) caller.resolve(undefined);
        else caller.reject(result.error);
      });
      if (workspaces.size > 0) for (const listener of this.#listeners) listener(workspaces);
    };
    const failAll = (error: unknown) => {
      for (const caller of waiting) caller.reject(error);
    };
    let outcome: AppendResult[] | Promise<AppendResult[]>;
    try {
      outcome = this.commit(items);
    } catch (error) {
      failAll(error);
      return undefined;
    }
    if (!(outcome instanceof Promise)) {
      settle(outcome);
      return undefined;
    }
    const busy = outcome
      .then(settle, failAll)
      .catch(() => {})
      .finally(() => {
        this.#busy = undefined;
        if (this.#queued.length > 0) void this.flush();
      });
    this.#busy = busy;
    return busy;
  }
}
