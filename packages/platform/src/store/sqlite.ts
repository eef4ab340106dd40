/**
 * @module store/sqlite
 * The embedded default store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so
 * each method is one short transaction; `BEGIN IMMEDIATE` makes event sequencing safe even with
 * several processes on the same file. Event appends are group-committed (see `appendEvent`).
 * Resource reads and the API-key count go through a read-through cache that every write of this
 * store updates and that notices other connections' commits (see `read-cache.ts` for the exact
 * consistency guarantee). Run rows and each run's chain tip are kept too: a statement that writes
 * `runs` or `run_events` must go through `stmt()` (which drops both when it runs) unless it keeps
 * them up to date itself, as the run and append writes here do.
 */
import { chmodSync, closeSync, existsSync, openSync } from "node:fs";
import Database from "better-sqlite3";
import { nowIso } from "../time.js";
import { createCheckpointer } from "./checkpointer.js";
import type { SecretBox } from "./crypto.js";
import {
  AppendQueue,
  type AppendResult,
  type ChainTip,
  type PendingAppend,
  sealAppends,
} from "./event-append.js";
import { MIGRATIONS } from "./migrations.js";
import { sqlitePlacement } from "./placement-sqlite.js";
import { ReadCache } from "./read-cache.js";
import { ResourceChanges } from "./resource-changes.js";
import {
  type ApiKeyRow,
  apiKeyRow,
  type EventRow,
  FrozenRecords,
  newRunRow,
  nextResourceRow,
  patchRunRow,
  type ResourceRow,
  type RunPatch,
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
  type Store,
  VersionConflictError,
} from "./store.js";

/** SQL that writes the runs table or the events (see `stmt` in {@link openSqliteStore}). */
const WRITES_RUNS_OR_EVENTS =
  /\b(?:(?:INSERT|REPLACE)(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+["`]?(?:runs|run_events)\b/i;

/** `statement`, calling `after` each time it runs (a write whose effect the caches cannot follow). */
function invalidating(statement: Database.Statement, after: () => void): Database.Statement {
  return new Proxy(statement, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (key !== "run" && key !== "get" && key !== "all" && key !== "iterate") return value;
      return (...args: unknown[]) => {
        try {
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        } finally {
          after();
        }
      };
    },
  });
}

/**
 * The database and its `-wal` / `-shm` files are readable by the platform's user only. SQLite
 * creates the WAL files with the database file's permissions, so the database is made 0600 before
 * WAL mode is switched on; files left 0644 by older versions are tightened too.
 */
function restrictDatabaseFiles(file: string): void {
  if (file === ":memory:" || file === "") return;
  closeSync(openSync(file, "a", 0o600));
  for (const path of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(path)) chmodSync(path, 0o600);
}

export function openSqliteStore(file: string, box: SecretBox): Store {
  restrictDatabaseFiles(file);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  // WAL + NORMAL never corrupts the database; a power cut may lose the last commits, a crash does not.
  db.pragma("synchronous = NORMAL");
  migrate(db);
  const dataVersion = db.prepare("PRAGMA data_version").pluck();
  const cache = new ReadCache(() => dataVersion.get() as number);
  const checkpointer = createCheckpointer(file, (pages) => db.pragma(`wal_autocheckpoint = ${pages}`));
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  /**
   * A cached statement. One that writes `runs` or `run_events` drops the cached runs and chain tips
   * each time it runs: only the writes below that keep those caches up to date themselves use
   * {@link prepared} directly.
   */
  const stmt = (sql: string): Database.Statement => {
    const statement = prepared(sql);
    return WRITES_RUNS_OR_EVENTS.test(sql) ? invalidating(statement, forgetRunsAndTips) : statement;
  };
  const forgetRunsAndTips = (): void => {
    cache.forgetRuns();
    tips.clear();
  };
  /** The run row by id, through the cache. */
  const runRow = (ws: string, id: string): RunRow | undefined => {
    let row = cache.getRun(id) as RunRow | undefined;
    if (row === undefined) {
      row = prepared("SELECT * FROM runs WHERE id = ?").get(id) as RunRow | undefined;
      if (row) cache.setRun(id, row);
    }
    return row?.workspace === ws ? row : undefined;
  };

  /**
   * Each run's chain tip after this connection's last commit, valid while no other connection has
   * committed (`PRAGMA data_version`, read inside the append's IMMEDIATE transaction, so no other
   * writer can get in between): the next batch then needs no query for it.
   */
  const tips = new Map<string, ChainTip & { ws: string }>();
  let tipsVersion = -1;

  /** Stores a run row's mutable columns (the caller keeps the cache up to date). */
  const writeRunRow = (row: RunRow): void => {
    prepared(
      `UPDATE runs SET status = @status, blocked_action_id = @blocked_action_id,
         initial_message = @initial_message, invoke_url = @invoke_url, owner = @owner,
         updated_at = @updated_at
       WHERE id = @id`,
    ).run(row);
  };

  const insertRun = (row: RunRow): void => {
    prepared(
      `INSERT INTO runs (id, workspace, agent_id, user_id, conversation_id, status, blocked_action_id,
         initial_message, invoke_url, owner, user_auth, created_at, updated_at)
       VALUES (@id, @workspace, @agent_id, @user_id, @conversation_id, @status, @blocked_action_id,
         @initial_message, @invoke_url, @owner, @user_auth, @created_at, @updated_at)`,
    ).run(row);
  };

  // Group commit (event-append.ts): one IMMEDIATE transaction per turn's appends.
  const appendBatch = db.transaction((all: PendingAppend[]) => {
    const version = dataVersion.get() as number;
    if (version !== tipsVersion) {
      tips.clear();
      cache.forgetRuns();
      tipsVersion = version;
    }
    // New runs' rows first (their events refer to them); a row that cannot be inserted (its id is
    // taken) fails its own item only: a failed INSERT undoes that statement, not the transaction.
    let refused: Map<PendingAppend, unknown> | undefined;
    const created = new Map<string, RunRow>();
    let now: string | undefined;
    for (const item of all) {
      if (!item.create) continue;
      // Created as committed: at the time its first events are sealed (so usually no update).
      now ??= nowIso();
      item.create.created_at = now;
      item.create.updated_at = now;
      try {
        insertRun(item.create);
        created.set(item.runId, item.create);
        cache.setRun(item.runId, item.create);
      } catch (error) {
        if (!String((error as { code?: unknown }).code).startsWith("SQLITE_CONSTRAINT")) throw error;
        refused ??= new Map();
        refused.set(item, error);
      }
    }
    const items = refused ? all.filter((item) => !refused.has(item)) : all;
    const sealed = sealAppends(items, (ws, runId) => {
      const run = runRow(ws, runId);
      if (!run) return undefined;
      const known = tips.get(runId);
      if (known) return { ...known, status: run.status, row: run };
      const last = prepared(
        "SELECT seq, hash FROM run_events WHERE run_id = ? ORDER BY seq DESC LIMIT 1",
      ).get(runId) as { seq: number; hash: string } | undefined;
      return {
        seq: last?.seq ?? 0,
        hash: last?.hash ?? "",
        agentId: run.agent_id,
        userId: run.user_id,
        status: run.status,
        row: run,
      };
    });
    const insert = prepared(
      `INSERT INTO run_events (run_id, seq, id, type, actor, payload_hash, data, created_at, prev_hash, hash)
       VALUES (@run_id, @seq, @id, @type, @actor, @payload_hash, @data, @created_at, @prev_hash, @hash)`,
    );
    const feedInsert = prepared("INSERT INTO event_feed (workspace, run_id, seq) VALUES (?, ?, ?)");
    sealed.rows.forEach((row, i) => {
      insert.run(row);
      feedInsert.run(sealed.workspaces[i], row.run_id, row.seq);
    });
    for (const [runId, at] of sealed.touched) {
      if (sealed.updated.has(runId)) continue;
      // A run created in this batch was inserted with its creation time: usually that of its events.
      if (created.get(runId)?.updated_at === at) continue;
      prepared("UPDATE runs SET updated_at = ? WHERE id = ?").run(at, runId);
    }
    for (const row of sealed.updated.values()) writeRunRow(row);
    if (refused) {
      const results = sealed.results;
      let next = 0;
      sealed.results = all.map((item) =>
        refused.has(item) ? { error: refused.get(item) } : (results[next++] as AppendResult),
      );
    }
    return sealed;
  });
  const changes = new ResourceChanges();
  const appends = new AppendQueue((items) => {
    let sealed: ReturnType<typeof sealAppends>;
    try {
      sealed = appendBatch.immediate(items);
    } catch (error) {
      forgetRunsAndTips();
      throw error;
    }
    // Committed: the new tips, and the runs' new updated_at, for the next batch and readers.
    sealed.rows.forEach((row, i) => {
      const ws = sealed.workspaces[i] as string;
      const run = runRow(ws, row.run_id);
      if (!run) return;
      if (tips.size >= 10_000 && !tips.has(row.run_id)) tips.clear();
      tips.set(row.run_id, { ws, seq: row.seq, hash: row.hash, agentId: run.agent_id, userId: run.user_id });
    });
    for (const [runId, at] of sealed.touched) {
      const cached = cache.peekRun(runId) as RunRow | undefined;
      if (cached) cache.setRun(runId, { ...cached, updated_at: at });
    }
    for (const [runId, row] of sealed.updated) cache.setRun(runId, row);
    checkpointer.committed();
    return sealed.results;
  });

  /** The stored row, read from the database (not the cache). */
  const selectRow = (ws: string, kind: ResourceKind, name: string): ResourceRow | undefined =>
    stmt("SELECT * FROM resources WHERE workspace = ? AND kind = ? AND name = ?").get(ws, kind, name) as
      | ResourceRow
      | undefined;
  const upsertRow = (row: ResourceRow): void => {
    stmt(
      `INSERT INTO resources (workspace, kind, name, doc, version, created_at, updated_at)
       VALUES (@workspace, @kind, @name, @doc, @version, @created_at, @updated_at)
       ON CONFLICT (workspace, kind, name) DO UPDATE SET
         doc = excluded.doc, version = excluded.version, updated_at = excluded.updated_at`,
    ).run(row);
  };

  const putResource = db.transaction(
    (
      ws: string,
      kind: ResourceKind,
      name: string,
      doc: Doc,
      expectedVersion: number | undefined,
      dueAt: number | undefined,
    ) => {
      const existing = selectRow(ws, kind, name);
      const current = existing?.version ?? 0;
      if (expectedVersion !== undefined && expectedVersion !== current) {
        throw new VersionConflictError(expectedVersion, current);
      }
      const row = nextResourceRow(ws, kind, name, doc, existing);
      upsertRow(row);
      if (dueAt !== undefined) {
        stmt("UPDATE resources SET due_at = ? WHERE workspace = ? AND kind = ? AND name = ?").run(
          dueAt,
          ws,
          kind,
          name,
        );
      }
      return { row, created: !existing };
    },
  );

  const incrementResource = db.transaction(
    (ws: string, kind: ResourceKind, name: string, doc: Doc, add: Record<string, number>) => {
      const existing = selectRow(ws, kind, name);
      const stored = existing ? (JSON.parse(existing.doc) as Doc) : {};
      const next: Doc = { ...stored, ...doc };
      for (const [field, amount] of Object.entries(add)) {
        const before = stored[field];
        next[field] = (typeof before === "number" ? before : 0) + amount;
      }
      const row = nextResourceRow(ws, kind, name, next, existing);
      upsertRow(row);
      return row;
    },
  );

  const claimResources = db.transaction(
    (ws: string, kind: ResourceKind, owner: string, options: ClaimOptions, now: number) => {
      const rows = stmt(
        `SELECT * FROM resources WHERE workspace = ? AND kind = ? AND due_at <= ? AND claim_until <= ?
           AND (? IS NULL OR name = ?)
         ORDER BY due_at, name LIMIT ?`,
      ).all(ws, kind, now, now, options.name ?? null, options.name ?? null, options.limit) as ResourceRow[];
      const claim = stmt(
        "UPDATE resources SET claim_owner = ?, claim_until = ? WHERE workspace = ? AND kind = ? AND name = ?",
      );
      for (const row of rows) claim.run(owner, now + options.leaseMs, ws, kind, row.name);
      return rows;
    },
  );

  const updateRun = db.transaction(
    (ws: string, id: string, patch: RunPatch, ifStatus: string[] | undefined) => {
      const row = prepared("SELECT * FROM runs WHERE id = ? AND workspace = ?").get(id, ws) as
        | RunRow
        | undefined;
      if (!row || (ifStatus && !ifStatus.includes(row.status))) return undefined;
      const next = patchRunRow(row, patch);
      writeRunRow(next);
      return next;
    },
  );

  const readRow = (ws: string, kind: ResourceKind, name: string): ResourceRow | null => {
    let row = cache.getRow(ws, kind, name) as ResourceRow | null | undefined;
    if (row === undefined) {
      row = selectRow(ws, kind, name) ?? null;
      cache.setRow(ws, kind, name, row);
    }
    return row;
  };
  const frozen = new FrozenRecords();

  return {
    ...sqlitePlacement(db, stmt),
    async getResource<T extends Doc>(ws: string, kind: ResourceKind, name: string) {
      const row = readRow(ws, kind, name);
      return row ? toResource<T>(row) : undefined;
    },
    async readResource<T extends Doc>(ws: string, kind: ResourceKind, name: string) {
      const row = readRow(ws, kind, name);
      return row ? frozen.of<T>(row) : undefined;
    },
    async listResources<T extends Doc>(ws: string, kind: ResourceKind) {
      let rows = cache.getList(ws, kind) as readonly ResourceRow[] | undefined;
      if (!rows) {
        rows = stmt("SELECT * FROM resources WHERE workspace = ? AND kind = ? ORDER BY name").all(
          ws,
          kind,
        ) as ResourceRow[];
        cache.setList(ws, kind, rows);
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
      let outcome: { row: ResourceRow; created: boolean };
      try {
        outcome = putResource.immediate(ws, kind, name, doc, options.expectedVersion, options.dueAt);
      } catch (error) {
        cache.forgetRow(ws, kind, name);
        throw error;
      }
      cache.forgetRow(ws, kind, name);
      cache.setRow(ws, kind, name, outcome.row);
      checkpointer.committed();
      changes.emit(ws, kind, name);
      return { record: toResource<T>(outcome.row), created: outcome.created };
    },
    async incrementResource<T extends Doc>(
      ws: string,
      kind: ResourceKind,
      name: string,
      doc: Partial<T>,
      add: Record<string, number>,
    ) {
      cache.forgetRow(ws, kind, name);
      const row = incrementResource.immediate(ws, kind, name, doc, add);
      cache.setRow(ws, kind, name, row);
      checkpointer.committed();
      return toResource<T>(row);
    },
    async claimResources<T extends Doc>(
      ws: string,
      kind: ResourceKind,
      owner: string,
      options: ClaimOptions,
    ) {
      const now = options.now ?? Date.now();
      // Workers poll often and usually find nothing: look before taking the write lock.
      const any = stmt(
        `SELECT 1 FROM resources WHERE workspace = ? AND kind = ? AND due_at <= ? AND claim_until <= ? LIMIT 1`,
      ).get(ws, kind, now, now);
      if (!any) return [];
      const rows = claimResources.immediate(ws, kind, owner, options, now);
      return rows.map((row) => toResource<T>(row));
    },
    async renewClaim(ws, kind, name, owner, leaseMs) {
      return (
        stmt(
          `UPDATE resources SET claim_until = ? WHERE workspace = ? AND kind = ? AND name = ? AND claim_owner = ?`,
        ).run(Date.now() + leaseMs, ws, kind, name, owner).changes > 0
      );
    },
    async releaseClaim(ws, kind, name, owner, options = {}) {
      stmt(
        `UPDATE resources SET claim_owner = '', claim_until = 0, due_at = COALESCE(?, due_at)
         WHERE workspace = ? AND kind = ? AND name = ? AND claim_owner = ?`,
      ).run(options.dueAt ?? null, ws, kind, name, owner);
    },
    async releaseClaims(owner) {
      if (owner === "") return 0;
      return stmt(
        "UPDATE resources SET claim_owner = '', claim_until = 0 WHERE claim_owner <> '' AND (? IS NULL OR claim_owner = ?)",
      ).run(owner, owner).changes;
    },
    async deleteResource(ws, kind, name) {
      cache.forgetRow(ws, kind, name);
      const deleted =
        stmt("DELETE FROM resources WHERE workspace = ? AND kind = ? AND name = ?").run(ws, kind, name)
          .changes > 0;
      cache.setRow(ws, kind, name, null);
      if (deleted) changes.emit(ws, kind, name);
      return deleted;
    },

    async createRun(run: NewRun) {
      const row = newRunRow(run);
      insertRun(row);
      cache.setRun(row.id, row);
      return toRun(row);
    },
    async createRunWithEvents(run, events) {
      // In the group commit with the turn's appends: no commit of its own.
      const row = newRunRow(run);
      const records = await appends.pushCreate(row, events);
      return {
        run: toRun({ ...row, updated_at: records.at(-1)?.timestamp ?? row.updated_at }),
        events: records,
      };
    },
    async getRun(ws, id) {
      const row = runRow(ws, id);
      return row ? toRun(row) : undefined;
    },
    async listRuns(ws, filter = {}) {
      const clauses = ["workspace = ?"];
      const args: unknown[] = [ws];
      if (filter.agentId) {
        clauses.push("agent_id = ?");
        args.push(filter.agentId);
      }
      if (filter.status && filter.status.length > 0) {
        clauses.push(`status IN (${filter.status.map(() => "?").join(", ")})`);
        args.push(...filter.status);
      }
      if (filter.userId) {
        clauses.push("user_id = ?");
        args.push(filter.userId);
      }
      if (filter.conversationId) {
        clauses.push("conversation_id = ?");
        args.push(filter.conversationId);
      }
      const limit = filter.limit === undefined ? "" : " LIMIT ?";
      if (filter.limit !== undefined) args.push(filter.limit);
      const rows = stmt(
        `SELECT * FROM runs WHERE ${clauses.join(" AND ")} ORDER BY updated_at DESC, id${limit}`,
      ).all(...args) as RunRow[];
      return rows.map(toRun);
    },
    async listRunsWithStatus(status) {
      if (status.length === 0) return [];
      const marks = status.map(() => "?").join(", ");
      return (
        stmt(`SELECT * FROM runs WHERE status IN (${marks}) ORDER BY created_at, id`).all(
          ...status,
        ) as RunRow[]
      ).map(toRun);
    },
    async updateRun(ws, id, patch, ifStatus) {
      let next: RunRow | undefined;
      try {
        next = updateRun.immediate(ws, id, patch, ifStatus);
      } catch (error) {
        cache.forgetRuns();
        throw error;
      }
      if (!next) return undefined;
      cache.setRun(id, next);
      return toRun(next);
    },
    appendEvent(ws, runId, event) {
      return appends.push(ws, runId, event);
    },
    async updateRunWithEvents(ws, id, patch, ifStatus, events) {
      const done = await appends.pushUpdate(ws, id, events, { patch, ifStatus });
      return done && { run: toRun(done.run), events: done.records };
    },
    async listEvents(ws, runId, options = {}) {
      if (!runRow(ws, runId)) return [];
      const afterSeq = options.afterSeq ?? 0;
      const where = `run_id = ? AND seq > ?${options.type ? " AND type = ?" : ""}`;
      const args: unknown[] = options.type ? [runId, afterSeq, options.type] : [runId, afterSeq];
      let rows: EventRow[];
      if (options.tail !== undefined) {
        rows = (
          stmt(`SELECT * FROM run_events WHERE ${where} ORDER BY seq DESC LIMIT ?`).all(
            ...args,
            options.tail,
          ) as EventRow[]
        ).reverse();
      } else if (options.limit === undefined) {
        // No `LIMIT ?` bound to -1: SQLite runs that form about three times slower (a run's events
        // of one type, e.g. the usage tally after every invoke: ~18 µs with it, ~6 without).
        rows = stmt(`SELECT * FROM run_events WHERE ${where} ORDER BY seq`).all(...args) as EventRow[];
      } else {
        rows = stmt(`SELECT * FROM run_events WHERE ${where} ORDER BY seq LIMIT ?`).all(
          ...args,
          options.limit,
        ) as EventRow[];
      }
      return rows.map((row) => toEvent(row));
    },

    async listFeed(ws, filter) {
      const where = ["f.workspace = ?", "f.position > ?"];
      const args: unknown[] = [ws, filter.after];
      if (filter.runId) {
        where.push("f.run_id = ?");
        args.push(filter.runId);
      }
      if (filter.agentId) {
        where.push("r.agent_id = ?");
        args.push(filter.agentId);
      }
      if (filter.runUser) {
        where.push("r.user_id = ? AND r.user_auth = ?");
        args.push(filter.runUser.id, filter.runUser.auth);
      }
      if (filter.types && filter.types.length > 0) {
        where.push(`e.type IN (${filter.types.map(() => "?").join(", ")})`);
        args.push(...filter.types);
      }
      const rows = db
        .prepare(
          `SELECT f.position, r.agent_id, e.* FROM event_feed f
           JOIN run_events e ON e.run_id = f.run_id AND e.seq = f.seq
           JOIN runs r ON r.id = f.run_id
           WHERE ${where.join(" AND ")} ORDER BY f.position LIMIT ?`,
        )
        .all(...args, filter.limit) as (EventRow & { position: number; agent_id: string })[];
      return rows.map(
        (row): FeedEventRecord => ({ ...toEvent(row), position: row.position, agentId: row.agent_id }),
      );
    },
    async lastFeedPosition() {
      const row = stmt("SELECT MAX(position) AS last FROM event_feed").get() as { last: number | null };
      return row.last ?? 0;
    },
    onEventsAppended(listener) {
      return appends.onAppended(listener);
    },
    onResourceChanged(listener) {
      return changes.on(listener);
    },

    async listChainedEvents(ws, runId, options) {
      if (!runRow(ws, runId)) return [];
      const rows = stmt(
        `SELECT * FROM run_events WHERE run_id = ? AND seq > ? AND created_at >= ? AND created_at < ?
         ORDER BY seq LIMIT ?`,
      ).all(runId, options.afterSeq, options.from ?? "", options.to ?? "\uffff", options.limit) as EventRow[];
      return rows.map(toChainedEvent);
    },
    async listRunsInWindow(ws, options) {
      const after = options.after ?? { createdAt: "", id: "" };
      const rows = stmt(
        `SELECT * FROM runs WHERE workspace = ? AND (created_at, id) > (?, ?) AND created_at < ? AND updated_at >= ?
         ORDER BY created_at, id LIMIT ?`,
      ).all(
        ws,
        after.createdAt,
        after.id,
        options.to ?? "\uffff",
        options.from ?? "",
        options.limit,
      ) as RunRow[];
      return rows.map(toRun);
    },

    async putSecret(ws, name, values) {
      stmt(
        `INSERT INTO secrets (workspace, name, sealed, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (workspace, name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
      ).run(ws, name, box.seal(JSON.stringify(values)), nowIso());
    },
    async getSecret(ws, name) {
      const row = stmt("SELECT sealed FROM secrets WHERE workspace = ? AND name = ?").get(ws, name) as
        | { sealed: string }
        | undefined;
      return row ? (JSON.parse(box.open(row.sealed)) as Record<string, string>) : undefined;
    },
    async deleteSecretsWithPrefix(ws, prefix) {
      const pattern = `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return stmt("DELETE FROM secrets WHERE workspace = ? AND name LIKE ? ESCAPE '\\'").run(ws, pattern)
        .changes;
    },
    async deleteSecret(ws, name) {
      stmt("DELETE FROM secrets WHERE workspace = ? AND name = ?").run(ws, name);
    },

    async createApiKey(key) {
      cache.forgetApiKeys();
      stmt(
        `INSERT INTO api_keys (id, workspace, name, prefix, last4, hash, created_at, last_used_at, expires_at,
           act_for_users, role, groups)
         VALUES (@id, @workspace, @name, @prefix, @last4, @hash, @created_at, @last_used_at, @expires_at,
           @act_for_users, @role, @groups)`,
      ).run(apiKeyRow(key));
    },
    async listApiKeys(ws) {
      const rows = (
        ws === undefined
          ? stmt("SELECT * FROM api_keys ORDER BY created_at").all()
          : stmt("SELECT * FROM api_keys WHERE workspace = ? ORDER BY created_at").all(ws)
      ) as ApiKeyRow[];
      return rows.map(toApiKey);
    },
    async listWorkspaces(kind?: ResourceKind) {
      if (kind) {
        const rows = stmt("SELECT DISTINCT workspace FROM resources WHERE kind = ? ORDER BY 1").all(kind) as {
          workspace: string;
        }[];
        return rows.map((r) => r.workspace);
      }
      const rows = stmt(
        "SELECT workspace FROM resources UNION SELECT workspace FROM runs UNION SELECT workspace FROM api_keys ORDER BY 1",
      ).all() as { workspace: string }[];
      return rows.map((r) => r.workspace);
    },
    async countApiKeys() {
      let count = cache.apiKeyCount;
      if (count === undefined) {
        count = (stmt("SELECT COUNT(*) AS n FROM api_keys").get() as { n: number }).n;
        cache.apiKeyCount = count;
      }
      return count;
    },
    async findApiKeyByHash(hash) {
      let key = cache.getApiKey(hash) as ApiKeyRecord | null | undefined;
      if (key === undefined) {
        const row = stmt("SELECT * FROM api_keys WHERE hash = ?").get(hash) as ApiKeyRow | undefined;
        key = row ? toApiKey(row) : null;
        cache.setApiKey(hash, key);
      }
      return key ? { ...key, groups: [...key.groups] } : undefined;
    },
    async updateApiKey(id, patch) {
      const row = stmt("SELECT * FROM api_keys WHERE id = ?").get(id) as ApiKeyRow | undefined;
      if (!row) return;
      cache.forgetApiKeys();
      stmt("UPDATE api_keys SET hash = ?, last4 = ?, last_used_at = ?, expires_at = ? WHERE id = ?").run(
        patch.hash ?? row.hash,
        patch.last4 ?? row.last4,
        patch.lastUsedAt ?? row.last_used_at,
        patch.expiresAt ?? row.expires_at,
        id,
      );
    },
    async deleteApiKey(ws, id) {
      cache.forgetApiKeys();
      return stmt("DELETE FROM api_keys WHERE id = ? AND workspace = ?").run(id, ws).changes > 0;
    },

    async close() {
      appends.flush();
      await checkpointer.stop();
      db.close();
    },
  };
}

function migrate(db: Database.Database): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
  );
  const applied = new Set(
    (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)").run(
        migration.version,
        nowIso(),
      );
    }).immediate();
  }
}
