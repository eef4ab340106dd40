/**
 * @module store/postgres
 * The PostgreSQL store (`RUNAGENTS_DATABASE_URL`): the same Store, records and audit chain as the
 * SQLite one, on a database several platform processes may share.
 *
 * - Opening returns at once; migrations run in the background behind `pg_advisory_lock` (per
 *   schema), once, however many processes start together, and every method waits for them. A
 *   database that cannot be reached or migrated fails the first call with a one-line message.
 * - Event appends are group-committed (event-append.ts), one batch in flight per process, and a
 *   batch is one statement (one round trip): it is sealed against each run's chain tip as this
 *   process last saw it, and `runagents_append` (postgres-migrations.ts, version 5) checks those
 *   tips under the runs' row locks (in id order, so batches never deadlock) before inserting. A
 *   batch whose tip moved (another process appended) is sealed again under the locks. Appends to
 *   one run from any process are serialised, so seqs stay gapless and the chain unbroken; a run's
 *   status and its events change in the same statement (`updateRunWithEvents`).
 * - The workspace feed: appends insert feed rows without a position (no lock shared by the
 *   replicas); readers first number the committed ones, in order, under a per-schema lock held
 *   to commit (`runagents_sequence_feed`), so positions are committed in increasing order and a
 *   reader past position N never misses an event.
 * - Resource writes are single statements: optimistic versions are checked by the write itself
 *   (`WHERE version = $n`, `ON CONFLICT DO NOTHING` for "must not exist").
 * - The read cache (read-cache.ts) follows other processes' writes: triggers notify
 *   `runagents_store` at commit with the resource written (the whole cache goes for API keys),
 *   and a dedicated connection LISTENs. While that connection is down, nothing is served from
 *   the cache.
 * - Event appends notify `runagents_events` in their transaction: the same listening connection
 *   wakes this process's live feeds (`onEventsAppended`) for events other processes committed.
 * - Claims (`claimResources`) take due rows `FOR UPDATE SKIP LOCKED`, so concurrent claimers on
 *   any number of processes each get different rows; a claim changes no document and notifies no one.
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { nowIso } from "../time.js";
import type { SecretBox } from "./crypto.js";
import {
  AppendQueue,
  type ChainTip,
  type PendingAppend,
  type SealedAppends,
  sealAppends,
} from "./event-append.js";
import { PlacementListeners } from "./placement.js";
import { postgresPlacement } from "./placement-postgres.js";
import { EVENTS_CHANNEL, NOTIFY_CHANNEL, POSTGRES_MIGRATIONS } from "./postgres-migrations.js";
import { ReadCache } from "./read-cache.js";
import { ResourceChanges } from "./resource-changes.js";
import {
  type ApiKeyRow,
  apiKeyRow,
  type EventRow,
  FrozenRecords,
  newRunRow,
  type ResourceRow,
  type RunRow,
  toApiKey,
  toChainedEvent,
  toEvent,
  toResource,
  toRun,
} from "./rows.js";
import {
  type ApiKeyRecord,
  type ClaimOptions,
  type Doc,
  type FeedEventRecord,
  type NewRun,
  type ResourceKind,
  type RunFilter,
  type RunRecord,
  type Store,
  VersionConflictError,
} from "./store.js";

/** Connections per platform process; N replicas hold N times this (plus one listener each). */
export const DEFAULT_POOL_SIZE = 10;
/** How long a process waits before listening again after its listening connection broke. */
const RELISTEN_MS = 1000;

export interface PostgresStoreOptions {
  poolSize?: number;
}

type EventsOptions = NonNullable<Parameters<Store["listEvents"]>[2]>;

/** SQLSTATE of `runagents_append` when a run's chain tip is not the one the batch was sealed against. */
const STALE_TIP = "RA001";

export interface PostgresStore extends Store {
  /**
   * Resolves once every cache invalidation committed by other processes before the call has been
   * received: a read after it sees their earlier writes.
   */
  synced(): Promise<void>;
}

export class PostgresStoreError extends Error {
  override name = "PostgresStoreError";
}

export function openPostgresStore(
  url: string,
  box: SecretBox,
  options: PostgresStoreOptions = {},
): PostgresStore {
  // Our own commits' notifications are recognised by this id: every connection of the pool sets
  // it as `runagents.instance`, and the trigger sends it back.
  const instance = `runagents-${randomUUID().slice(0, 8)}`;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    application_name: "runagents-platform",
  });
  pool.on("connect", (client) => {
    // Queued ahead of anything the pool hands this connection out for.
    client.query("SELECT set_config('runagents.instance', $1, false)", [instance]).catch(() => {});
  });
  // An idle connection that breaks is dropped by the pool; the next query opens another.
  pool.on("error", () => {});

  let schema = "";
  let listening = false;
  let remoteVersion = 0;
  // Bumped by every write of ours and every notification: a read that started before a bump
  // must not fill the cache with what it found.
  let generation = 0;
  let closed = false;
  let listener: pg.Client | undefined;
  const cache = new ReadCache(() => (listening ? remoteVersion : ++remoteVersion));
  const invalidate = () => {
    remoteVersion++;
    generation++;
  };
  const remoteAppends = new Set<(workspaces: ReadonlySet<string>) => void>();
  /** Another process committed events: wake this one's live feeds of those workspaces. */
  const eventsNoticed = (payload: string) => {
    const [from, writer, ...rest] = payload.split(" ");
    if (from !== schema || writer === instance) return;
    let workspaces: ReadonlySet<string>;
    try {
      workspaces = new Set(JSON.parse(rest.join(" ")) as string[]);
    } catch {
      return;
    }
    for (const listener of remoteAppends) listener(workspaces);
  };
  /** A notification (postgres-migrations.ts): forget what another process changed. */
  const placements = new PlacementListeners();
  const noticed = (payload: string) => {
    const [from, writer, ...rest] = payload.split(" ");
    if (from !== schema) return;
    const changed = rest.join(" ");
    // Placement changes are everyone's news, this process's own included.
    if (changed === "placement") return placements.changed();
    if (writer === instance) return;
    const key = changed === "*" ? undefined : (JSON.parse(changed) as [string, ResourceKind, string]);
    if (!key) return invalidate();
    generation++;
    cache.forgetRow(...key);
  };
  /** Opens the listening connection; when it breaks, caching stops until another one listens. */
  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: url, application_name: "runagents-platform" });
    client.on("notification", (message) =>
      message.channel === EVENTS_CHANNEL
        ? eventsNoticed(message.payload ?? "")
        : noticed(message.payload ?? ""),
    );
    let lost = false;
    const lose = () => {
      if (lost) return;
      lost = true;
      listening = false;
      client.end().catch(() => {});
      if (!closed) setTimeout(() => void listen().catch(() => {}), RELISTEN_MS).unref();
    };
    client.on("error", lose);
    client.on("end", lose);
    listener = client;
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    if (lost || closed) return;
    // Whatever was written while nobody listened is unknown: start from an empty cache. (Live
    // feeds that missed a wake-up meanwhile read again at their next keep-alive.)
    invalidate();
    listening = true;
  };

  const ready = (async () => {
    try {
      schema = await migratePostgres(pool);
      await listen();
    } catch (error) {
      throw new PostgresStoreError(`PostgreSQL store: ${(error as Error).message}`);
    }
  })();
  ready.catch(() => {});

  const query = async <R extends object>(sql: string, params: unknown[] = []): Promise<R[]> => {
    await ready;
    return (await pool.query(sql, params)).rows as R[];
  };
  const transaction = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    await ready;
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      client.release();
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      client.release(true);
      throw error;
    }
  };
  const wrote = () => {
    generation++;
  };

  const changes = new ResourceChanges();
  /**
   * Each run's chain tip (last seq and hash) and row as this process last wrote or read them:
   * a batch is sealed against them and sent as one statement that checks them under the runs'
   * locks (`runagents_append`). When another process appended meanwhile, the check fails and
   * the batch is sealed again against tips read under the locks.
   */
  const tips = new Map<string, ChainTip>();
  const rememberTip = (tip: ChainTip) => {
    if (!tip.row) return;
    if (tips.size >= 10_000 && !tips.has(tip.row.id)) tips.clear();
    tips.set(tip.row.id, tip);
  };
  const loadTips = async (client: pg.Pool | pg.PoolClient, ids: string[]) => {
    const { rows } = await client.query<RunRow & { last_seq: number | null; last_hash: string | null }>(
      `SELECT r.*, e.seq AS last_seq, e.hash AS last_hash FROM runs r
       LEFT JOIN LATERAL (SELECT seq, hash FROM run_events WHERE run_id = r.id ORDER BY seq DESC LIMIT 1) e
         ON true
       WHERE r.id = ANY($1)`,
      [ids],
    );
    for (const id of ids) tips.delete(id);
    for (const { last_seq, last_hash, ...row } of rows) {
      rememberTip({
        seq: last_seq ?? 0,
        hash: last_hash ?? "",
        agentId: row.agent_id,
        userId: row.user_id,
        status: row.status,
        row,
      });
    }
  };
  const commitAppends = async (items: PendingAppend[]) => {
    await ready;
    const ids = [...new Set(items.map((item) => item.runId))].sort();
    const unknown = ids.filter((id) => !tips.has(id));
    if (unknown.length > 0) await loadTips(pool, unknown);
    try {
      return await appendBatch(pool, items, ids);
    } catch (error) {
      if ((error as { code?: string }).code !== STALE_TIP) throw error;
    }
    // Another process appended to one of these runs meanwhile: again, under the runs' locks.
    return transaction(async (client) => {
      await client.query("SELECT 1 FROM runs WHERE id = ANY($1) ORDER BY id FOR UPDATE", [ids]);
      await loadTips(client, ids);
      return appendBatch(client, items, ids);
    });
  };
  /** Seals `items` against the known tips and commits them in one statement. */
  const appendBatch = async (client: pg.Pool | pg.PoolClient, items: PendingAppend[], ids: string[]) => {
    const tipOf = (ws: string, runId: string) => {
      const tip = tips.get(runId);
      return tip?.row?.workspace === ws ? tip : undefined;
    };
    const sealed = sealAppends(items, tipOf);
    const expected = ids.map((id) => tips.get(id)).filter((tip) => tip?.row !== undefined) as ChainTip[];
    const column = <K extends keyof EventRow>(name: K) => sealed.rows.map((row) => row[name]);
    const { rows: updatedRows } = await client.query<RunRow>(
      `SELECT * FROM runagents_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
         $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
      [
        expected.map((tip) => tip.row?.id),
        expected.map((tip) => tip.seq),
        expected.map((tip) => tip.hash),
        expected.map((tip) => tip.row?.status),
        column("run_id"),
        column("seq"),
        column("id"),
        column("type"),
        column("actor"),
        column("payload_hash"),
        column("data"),
        column("created_at"),
        column("prev_hash"),
        column("hash"),
        sealed.workspaces,
        ...runUpdates(sealed),
        EVENTS_CHANNEL,
        `${schema} ${instance} ${JSON.stringify([...new Set(sealed.workspaces)])}`,
      ],
    );
    // Committed: the new tips, for the next batch.
    const byId = new Map(updatedRows.map((row) => [row.id, row]));
    for (const row of sealed.rows) {
      const tip = tips.get(row.run_id);
      if (tip) rememberTip({ ...tip, seq: row.seq, hash: row.hash });
    }
    for (const row of updatedRows) {
      const tip = tips.get(row.id);
      if (tip) rememberTip({ ...tip, status: row.status, row });
    }
    return sealed.results.map((result) =>
      "run" in result && result.run ? { ...result, run: byId.get(result.run.id) ?? result.run } : result,
    );
  };
  const appends = new AppendQueue(commitAppends);
  /** A run row this process wrote: the tip's status follows it. */
  const updatedTip = (row: RunRow) => {
    const tip = tips.get(row.id);
    if (tip) rememberTip({ ...tip, status: row.status, row });
  };

  const createRun = async (run: NewRun): Promise<RunRecord> => {
    const row = newRunRow(run);
    await query(
      `INSERT INTO runs (id, workspace, agent_id, user_id, conversation_id, status, blocked_action_id,
           initial_message, invoke_url, owner, user_auth, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [
        row.id,
        row.workspace,
        row.agent_id,
        row.user_id,
        row.conversation_id,
        row.status,
        row.blocked_action_id,
        row.initial_message,
        row.invoke_url,
        row.owner,
        row.user_auth,
        row.created_at,
        row.updated_at,
      ],
    );
    // No events yet: the first append needs no query for the tip.
    rememberTip({ seq: 0, hash: "", agentId: row.agent_id, userId: row.user_id, status: row.status, row });
    return toRun(row);
  };

  const readRow = async (ws: string, kind: ResourceKind, name: string): Promise<ResourceRow | null> => {
    await ready;
    const cached = cache.getRow(ws, kind, name) as ResourceRow | null | undefined;
    if (cached !== undefined) return cached;
    const seen = generation;
    const [row = null] = await query<ResourceRow>(
      "SELECT * FROM resources WHERE workspace = $1 AND kind = $2 AND name = $3",
      [ws, kind, name],
    );
    if (seen === generation) cache.setRow(ws, kind, name, row);
    return row;
  };
  const frozen = new FrozenRecords();
  /** Drops the row before a write of ours; returns the generation to hand to `afterWrite`. */
  const beforeWrite = async (ws: string, kind: ResourceKind, name: string): Promise<number> => {
    await ready;
    wrote();
    cache.forgetRow(ws, kind, name);
    return generation;
  };
  /**
   * Caches what our write stored, unless another write (ours or another process's) came in
   * meanwhile: then the row is only dropped, and the next read fetches the winner.
   */
  const afterWrite = (
    seen: number,
    ws: string,
    kind: ResourceKind,
    name: string,
    row: ResourceRow | null,
  ) => {
    const fresh = seen === generation;
    wrote();
    cache.forgetRow(ws, kind, name);
    if (fresh) cache.setRow(ws, kind, name, row);
  };

  /** Gives the committed feed rows that have none their positions (postgres-migrations.ts, version 5). */
  const sequenceFeed = () => query("SELECT runagents_sequence_feed()");

  return {
    ...postgresPlacement(query, placements),
    async getResource<T extends Doc>(ws: string, kind: ResourceKind, name: string) {
      const row = await readRow(ws, kind, name);
      return row ? toResource<T>(row) : undefined;
    },
    async readResource<T extends Doc>(ws: string, kind: ResourceKind, name: string) {
      const row = await readRow(ws, kind, name);
      return row ? frozen.of<T>(row) : undefined;
    },
    async listResources<T extends Doc>(ws: string, kind: ResourceKind) {
      await ready;
      let rows = cache.getList(ws, kind) as readonly ResourceRow[] | undefined;
      if (!rows) {
        const seen = generation;
        rows = await query<ResourceRow>(
          "SELECT * FROM resources WHERE workspace = $1 AND kind = $2 ORDER BY name",
          [ws, kind],
        );
        if (seen === generation) cache.setList(ws, kind, rows);
      }
      return rows.map((row) => toResource<T>(row));
    },
    async putResource<T extends Doc>(
      ws: string,
      kind: ResourceKind,
      name: string,
      doc: T,
      options: { expectedVersion?: number; dueAt?: number } = {},
    ) {
      const seen = await beforeWrite(ws, kind, name);
      const key = [ws, kind, name, JSON.stringify(doc), nowIso()];
      const expected = options.expectedVersion;
      let written: (ResourceRow & { created?: boolean }) | undefined;
      if (expected === undefined) {
        [written] = await query<ResourceRow & { created: boolean }>(
          `INSERT INTO resources (workspace, kind, name, doc, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, 1, $5, $5)
           ON CONFLICT (workspace, kind, name) DO UPDATE SET
             doc = excluded.doc, version = resources.version + 1, updated_at = excluded.updated_at
           RETURNING *, (xmax = 0) AS created`,
          key,
        );
      } else if (expected === 0) {
        [written] = await query<ResourceRow>(
          `INSERT INTO resources (workspace, kind, name, doc, version, created_at, updated_at)
           VALUES ($1, $2, $3, $4, 1, $5, $5) ON CONFLICT DO NOTHING RETURNING *, true AS created`,
          key,
        );
      } else {
        [written] = await query<ResourceRow>(
          `UPDATE resources SET doc = $4, version = version + 1, updated_at = $5
           WHERE workspace = $1 AND kind = $2 AND name = $3 AND version = $6 RETURNING *, false AS created`,
          [...key, expected],
        );
      }
      if (!written) {
        const [current] = await query<{ version: number }>(
          "SELECT version FROM resources WHERE workspace = $1 AND kind = $2 AND name = $3",
          [ws, kind, name],
        );
        throw new VersionConflictError(expected as number, current?.version ?? 0);
      }
      const { created, ...row } = written;
      if (options.dueAt !== undefined) {
        await query("UPDATE resources SET due_at = $4 WHERE workspace = $1 AND kind = $2 AND name = $3", [
          ws,
          kind,
          name,
          options.dueAt,
        ]);
      }
      afterWrite(seen, ws, kind, name, row);
      changes.emit(ws, kind, name);
      return { record: toResource<T>(row), created: created === true };
    },
    async incrementResource<T extends Doc>(
      ws: string,
      kind: ResourceKind,
      name: string,
      doc: Partial<T>,
      add: Record<string, number>,
    ) {
      const seen = await beforeWrite(ws, kind, name);
      // One statement: the row lock it takes serialises increments from every process.
      const [row] = await query<ResourceRow>(
        `INSERT INTO resources (workspace, kind, name, doc, version, created_at, updated_at)
         VALUES ($1, $2, $3, ($4::jsonb || $5::jsonb)::text, 1, $6, $6)
         ON CONFLICT (workspace, kind, name) DO UPDATE SET
           doc = (resources.doc::jsonb || $4::jsonb || COALESCE((
             SELECT jsonb_object_agg(a.key, COALESCE(
               CASE WHEN jsonb_typeof(resources.doc::jsonb -> a.key) = 'number'
                 THEN (resources.doc::jsonb ->> a.key)::numeric END, 0) + a.value::numeric)
             FROM jsonb_each_text($5::jsonb) AS a), '{}'::jsonb))::text,
           version = resources.version + 1, updated_at = excluded.updated_at
         RETURNING workspace, kind, name, doc, version, created_at, updated_at`,
        [ws, kind, name, JSON.stringify(doc), JSON.stringify(add), nowIso()],
      );
      if (!row) throw new PostgresStoreError(`PostgreSQL store: increment of ${kind} ${name} wrote nothing`);
      afterWrite(seen, ws, kind, name, row);
      return toResource<T>(row);
    },
    async claimResources<T extends Doc>(
      ws: string,
      kind: ResourceKind,
      owner: string,
      options: ClaimOptions,
    ) {
      const now = options.now ?? Date.now();
      // SKIP LOCKED: a row another process is claiming right now is left to it, not waited for;
      // once its claim commits, the re-checked condition (claim_until <= now) excludes it here.
      const rows = await query<ResourceRow & { due_at: string }>(
        `UPDATE resources r SET claim_owner = $3, claim_until = $4::bigint + $5::bigint
         FROM (SELECT workspace, kind, name FROM resources
               WHERE workspace = $1 AND kind = $2 AND due_at <= $4 AND claim_until <= $4
                 AND ($7::text IS NULL OR name = $7)
               ORDER BY due_at, name LIMIT $6 FOR UPDATE SKIP LOCKED) c
         WHERE r.workspace = c.workspace AND r.kind = c.kind AND r.name = c.name
         RETURNING r.workspace, r.kind, r.name, r.doc, r.version, r.created_at, r.updated_at, r.due_at`,
        [ws, kind, owner, now, options.leaseMs, options.limit, options.name ?? null],
      );
      return rows
        .sort(
          (a, b) => Number(a.due_at) - Number(b.due_at) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
        )
        .map((row) => toResource<T>(row));
    },
    async renewClaim(ws, kind, name, owner, leaseMs) {
      const rows = await query(
        `UPDATE resources SET claim_until = $5 WHERE workspace = $1 AND kind = $2 AND name = $3
           AND claim_owner = $4 RETURNING 1`,
        [ws, kind, name, owner, Date.now() + leaseMs],
      );
      return rows.length > 0;
    },
    async releaseClaim(ws, kind, name, owner, options = {}) {
      await query(
        `UPDATE resources SET claim_owner = '', claim_until = 0, due_at = COALESCE($5::bigint, due_at)
         WHERE workspace = $1 AND kind = $2 AND name = $3 AND claim_owner = $4`,
        [ws, kind, name, owner, options.dueAt ?? null],
      );
    },
    async releaseClaims(owner) {
      if (owner === "") return 0;
      await ready;
      const { rowCount } = await pool.query(
        "UPDATE resources SET claim_owner = '', claim_until = 0 WHERE claim_owner <> '' AND ($1::text IS NULL OR claim_owner = $1)",
        [owner],
      );
      return rowCount ?? 0;
    },
    async deleteResource(ws, kind, name) {
      const seen = await beforeWrite(ws, kind, name);
      const { rowCount } = await pool.query(
        "DELETE FROM resources WHERE workspace = $1 AND kind = $2 AND name = $3",
        [ws, kind, name],
      );
      afterWrite(seen, ws, kind, name, null);
      if ((rowCount ?? 0) > 0) changes.emit(ws, kind, name);
      return (rowCount ?? 0) > 0;
    },

    createRun,
    async createRunWithEvents(run, events) {
      const created = await createRun(run);
      const records = await Promise.all(
        events.map((event) => appends.push(created.workspace, created.id, event)),
      );
      return {
        run: { ...created, updatedAt: records.at(-1)?.timestamp ?? created.updatedAt },
        events: records,
      };
    },
    async getRun(ws, id) {
      const [row] = await query<RunRow>("SELECT * FROM runs WHERE id = $1 AND workspace = $2", [id, ws]);
      return row ? toRun(row) : undefined;
    },
    async listRuns(ws, filter: RunFilter = {}) {
      const args: unknown[] = [ws];
      const clauses = ["workspace = $1"];
      const where = (column: string, value: unknown, many = false) => {
        args.push(value);
        clauses.push(many ? `${column} = ANY($${args.length})` : `${column} = $${args.length}`);
      };
      if (filter.agentId) where("agent_id", filter.agentId);
      if (filter.status && filter.status.length > 0) where("status", filter.status, true);
      if (filter.userId) where("user_id", filter.userId);
      if (filter.conversationId) where("conversation_id", filter.conversationId);
      args.push(filter.limit ?? null);
      const rows = await query<RunRow>(
        `SELECT * FROM runs WHERE ${clauses.join(" AND ")} ORDER BY updated_at DESC, id LIMIT $${args.length}`,
        args,
      );
      return rows.map(toRun);
    },
    async listRunsWithStatus(status) {
      if (status.length === 0) return [];
      const rows = await query<RunRow>("SELECT * FROM runs WHERE status = ANY($1) ORDER BY created_at, id", [
        status,
      ]);
      return rows.map(toRun);
    },
    async updateRun(ws, id, patch, ifStatus) {
      const [row] = await query<RunRow>(
        `UPDATE runs SET status = COALESCE($3, status), blocked_action_id = COALESCE($4, blocked_action_id),
           initial_message = COALESCE($5, initial_message), invoke_url = COALESCE($6, invoke_url),
           owner = COALESCE($7, owner), updated_at = $8
         WHERE id = $1 AND workspace = $2 AND ($9::text[] IS NULL OR status = ANY($9::text[]))
         RETURNING *`,
        [
          id,
          ws,
          patch.status ?? null,
          patch.blockedActionId ?? null,
          patch.initialMessage ?? null,
          patch.invokeUrl ?? null,
          patch.owner ?? null,
          nowIso(),
          ifStatus ?? null,
        ],
      );
      if (!row) return undefined;
      updatedTip(row);
      return toRun(row);
    },
    appendEvent(ws, runId, event) {
      return appends.push(ws, runId, event);
    },
    async updateRunWithEvents(ws, id, patch, ifStatus, events) {
      const done = await appends.pushUpdate(ws, id, events, { patch, ifStatus });
      return done && { run: toRun(done.run), events: done.records };
    },
    async listEvents(ws, runId, options: EventsOptions = {}) {
      // One query: the run's workspace is checked by the same statement.
      const args: unknown[] = [runId, options.afterSeq ?? 0, ws];
      let where = "run_id = $1 AND seq > $2 AND EXISTS (SELECT 1 FROM runs WHERE id = $1 AND workspace = $3)";
      if (options.type) {
        args.push(options.type);
        where += ` AND type = $${args.length}`;
      }
      if (options.tail !== undefined) {
        args.push(options.tail);
        const rows = await query<EventRow>(
          `SELECT * FROM run_events WHERE ${where} ORDER BY seq DESC LIMIT $${args.length}`,
          args,
        );
        return rows.reverse().map((row) => toEvent(row));
      }
      args.push(options.limit ?? null);
      const rows = await query<EventRow>(
        `SELECT * FROM run_events WHERE ${where} ORDER BY seq LIMIT $${args.length}`,
        args,
      );
      return rows.map((row) => toEvent(row));
    },
    async listFeed(ws, filter) {
      await sequenceFeed();
      const where = ["f.workspace = $1", "f.position > $2"];
      const args: unknown[] = [ws, filter.after];
      if (filter.runId) {
        args.push(filter.runId);
        where.push(`f.run_id = $${args.length}`);
      }
      if (filter.agentId) {
        args.push(filter.agentId);
        where.push(`r.agent_id = $${args.length}`);
      }
      if (filter.runUser) {
        args.push(filter.runUser.id, filter.runUser.auth);
        where.push(`r.user_id = $${args.length - 1} AND r.user_auth = $${args.length}`);
      }
      if (filter.types && filter.types.length > 0) {
        args.push(filter.types);
        where.push(`e.type = ANY($${args.length})`);
      }
      args.push(filter.limit);
      const rows = await query<EventRow & { position: string; agent_id: string }>(
        `SELECT f.position, r.agent_id, e.* FROM event_feed f
         JOIN run_events e ON e.run_id = f.run_id AND e.seq = f.seq
         JOIN runs r ON r.id = f.run_id
         WHERE ${where.join(" AND ")} ORDER BY f.position LIMIT $${args.length}`,
        args,
      );
      return rows.map(
        (row): FeedEventRecord => ({
          ...toEvent(row),
          position: Number(row.position),
          agentId: row.agent_id,
        }),
      );
    },
    async lastFeedPosition() {
      await sequenceFeed();
      const [row] = await query<{ last: string | null }>("SELECT MAX(position) AS last FROM event_feed");
      return Number(row?.last ?? 0);
    },
    onEventsAppended(listener) {
      const local = appends.onAppended(listener);
      remoteAppends.add(listener);
      return () => {
        local();
        remoteAppends.delete(listener);
      };
    },
    onResourceChanged(listener) {
      return changes.on(listener);
    },
    async listChainedEvents(ws, runId, options) {
      const rows = await query<EventRow>(
        `SELECT * FROM run_events WHERE run_id = $1 AND seq > $2 AND created_at >= $3 AND created_at < $4
           AND EXISTS (SELECT 1 FROM runs WHERE id = $1 AND workspace = $6)
         ORDER BY seq LIMIT $5`,
        [runId, options.afterSeq, options.from ?? "", options.to ?? "\uffff", options.limit, ws],
      );
      return rows.map(toChainedEvent);
    },
    async listRunsInWindow(ws, options) {
      const after = options.after ?? { createdAt: "", id: "" };
      const rows = await query<RunRow>(
        `SELECT * FROM runs WHERE workspace = $1 AND (created_at, id) > ($2, $3) AND created_at < $4
           AND updated_at >= $5
         ORDER BY created_at, id LIMIT $6`,
        [ws, after.createdAt, after.id, options.to ?? "\uffff", options.from ?? "", options.limit],
      );
      return rows.map(toRun);
    },

    async putSecret(ws, name, values) {
      await query(
        `INSERT INTO secrets (workspace, name, sealed, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (workspace, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
        [ws, name, box.seal(JSON.stringify(values)), nowIso()],
      );
    },
    async getSecret(ws, name) {
      const [row] = await query<{ sealed: string }>(
        "SELECT sealed FROM secrets WHERE workspace = $1 AND name = $2",
        [ws, name],
      );
      return row ? (JSON.parse(box.open(row.sealed)) as Record<string, string>) : undefined;
    },
    async deleteSecretsWithPrefix(ws, prefix) {
      await ready;
      const { rowCount } = await pool.query(
        "DELETE FROM secrets WHERE workspace = $1 AND starts_with(name, $2)",
        [ws, prefix],
      );
      return rowCount ?? 0;
    },
    async deleteSecret(ws, name) {
      await query("DELETE FROM secrets WHERE workspace = $1 AND name = $2", [ws, name]);
    },

    async createApiKey(key) {
      const row = apiKeyRow(key);
      await changeApiKeys(
        `INSERT INTO api_keys (id, workspace, name, prefix, last4, hash, created_at, last_used_at, expires_at,
           act_for_users, role, groups)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [
          row.id,
          row.workspace,
          row.name,
          row.prefix,
          row.last4,
          row.hash,
          row.created_at,
          row.last_used_at,
          row.expires_at,
          row.act_for_users,
          row.role,
          row.groups,
        ],
      );
    },
    async listApiKeys(ws) {
      const rows =
        ws === undefined
          ? await query<ApiKeyRow>("SELECT * FROM api_keys ORDER BY created_at")
          : await query<ApiKeyRow>("SELECT * FROM api_keys WHERE workspace = $1 ORDER BY created_at", [ws]);
      return rows.map(toApiKey);
    },
    async listWorkspaces(kind?: ResourceKind) {
      await ready;
      if (kind) {
        const rows = await query<{ workspace: string }>(
          "SELECT DISTINCT workspace FROM resources WHERE kind = $1 ORDER BY 1",
          [kind],
        );
        return rows.map((r) => r.workspace);
      }
      const rows = await query<{ workspace: string }>(
        "SELECT workspace FROM resources UNION SELECT workspace FROM runs UNION SELECT workspace FROM api_keys ORDER BY 1",
      );
      return rows.map((r) => r.workspace);
    },
    async countApiKeys() {
      await ready;
      let count = cache.apiKeyCount;
      if (count === undefined) {
        const seen = generation;
        const [row] = await query<{ n: number }>("SELECT COUNT(*)::int AS n FROM api_keys");
        count = row?.n ?? 0;
        if (seen === generation) cache.apiKeyCount = count;
      }
      return count;
    },
    async findApiKeyByHash(hash) {
      await ready;
      let key = cache.getApiKey(hash) as ApiKeyRecord | null | undefined;
      if (key === undefined) {
        const seen = generation;
        const [row] = await query<ApiKeyRow>("SELECT * FROM api_keys WHERE hash = $1", [hash]);
        key = row ? toApiKey(row) : null;
        if (seen === generation) cache.setApiKey(hash, key);
      }
      return key ? { ...key, groups: [...key.groups] } : undefined;
    },
    async updateApiKey(id, patch) {
      await changeApiKeys(
        `UPDATE api_keys SET hash = COALESCE($2, hash), last4 = COALESCE($3, last4),
           last_used_at = COALESCE($4, last_used_at), expires_at = COALESCE($5, expires_at)
         WHERE id = $1`,
        [id, patch.hash ?? null, patch.last4 ?? null, patch.lastUsedAt ?? null, patch.expiresAt ?? null],
      );
    },
    async deleteApiKey(ws, id) {
      return (await changeApiKeys("DELETE FROM api_keys WHERE id = $1 AND workspace = $2", [id, ws])) > 0;
    },

    async synced() {
      await ready;
      // Notifications arrive on the listening connection ahead of the answer to a later query.
      if (listening) await listener?.query("SELECT 1");
    },

    async close() {
      await appends.flush()?.catch(() => {});
      closed = true;
      listening = false;
      await Promise.allSettled([listener?.end(), pool.end()]);
    },
  };

  /** A write to API keys: drops the cached keys before and after it. Returns the rows changed. */
  async function changeApiKeys(sql: string, params: unknown[]): Promise<number> {
    await ready;
    wrote();
    cache.forgetApiKeys();
    try {
      return (await pool.query(sql, params)).rowCount ?? 0;
    } finally {
      wrote();
      cache.forgetApiKeys();
    }
  }
}

/** The `runs` update of a sealed batch, as columns: `updated_at` of every run touched, and the
 * other columns (null: unchanged) of the runs an item's `update` changed. */
function runUpdates(sealed: SealedAppends): (string | null)[][] {
  const columns: (string | null)[][] = [[], [], [], [], [], [], []];
  for (const [id, at] of sealed.touched) {
    const row = sealed.updated.get(id);
    const patch = sealed.patches.get(id);
    const values = [id, row?.updated_at ?? at, patch?.status, patch?.blockedActionId, patch?.initialMessage];
    values.push(patch?.invokeUrl, patch?.owner);
    for (const [i, value] of values.entries()) columns[i]?.push(value ?? null);
  }
  return columns;
}

/**
 * Runs the migrations not yet applied to the connection's schema (its `current_schema()`, from
 * the search_path), holding an advisory lock on that schema meanwhile. Returns the schema.
 */
export async function migratePostgres(pool: pg.Pool): Promise<string> {
  const client = await pool.connect();
  try {
    const [found] = (await client.query<{ schema: string | null }>("SELECT current_schema() AS schema")).rows;
    const schema = found?.schema;
    if (!schema) throw new Error("no schema to use: the search_path names no existing schema");
    const lock = `runagents_migrations:${schema}`;
    await client.query("SELECT pg_advisory_lock(hashtext($1))", [lock]);
    try {
      await client.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
      );
      const applied = new Set(
        (await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map(
          (row) => row.version,
        ),
      );
      for (const migration of POSTGRES_MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", [
            migration.version,
            nowIso(),
          ]);
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK");
          throw error;
        }
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext($1))", [lock]);
    }
    return schema;
  } finally {
    client.release();
  }
}
