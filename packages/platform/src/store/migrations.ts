/**
 * @module store/migrations
 * Versioned schema. Append new entries; never edit one that has shipped.
 */

export const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE resources (
        workspace TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace, kind, name)
      );
      CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        status TEXT NOT NULL,
        blocked_action_id TEXT NOT NULL DEFAULT '',
        initial_message TEXT NOT NULL DEFAULT '',
        invoke_url TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX runs_by_agent ON runs (workspace, agent_id, updated_at);
      CREATE TABLE run_events (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      );
      CREATE TABLE secrets (
        workspace TEXT NOT NULL,
        name TEXT NOT NULL,
        sealed TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace, name)
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        workspace TEXT NOT NULL,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        last4 TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        last_used_at TEXT NOT NULL DEFAULT '',
        expires_at TEXT NOT NULL DEFAULT ''
      );
    `,
  },
  {
    // Events are read by (run_id, seq) only: store them in that key's order (no rowid table plus
    // a separate key index) and drop the index on `id` (UUIDv7, unique by construction). Each
    // append writes two fewer b-tree pages.
    version: 2,
    sql: `
      CREATE TABLE run_events_by_run (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
      ) WITHOUT ROWID;
      INSERT INTO run_events_by_run SELECT run_id, seq, id, type, actor, payload_hash, data, created_at
        FROM run_events;
      DROP TABLE run_events;
      ALTER TABLE run_events_by_run RENAME TO run_events;
    `,
  },
  {
    // Which platform process (boot) drives a run, so start-up reconciles only runs a previous
    // process left behind ('' = driven from outside, e.g. created with POST /runs).
    version: 3,
    sql: `ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';`,
  },
  {
    // Verified end users (ingress): API keys that may act for users, and how a run's user was
    // established.
    version: 4,
    sql: `
      ALTER TABLE api_keys ADD COLUMN act_for_users INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE runs ADD COLUMN user_auth TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    // API keys get a role and approver groups. Keys made before roles existed keep what they
    // could do: admin. Written as '' then set, so a row inserted without a role grants nothing.
    version: 5,
    sql: `
      ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT '';
      ALTER TABLE api_keys ADD COLUMN groups TEXT NOT NULL DEFAULT '[]';
      UPDATE api_keys SET role = 'admin';
    `,
  },
  {
    // The audit chain: each event's hash and its run's previous one, written with the event.
    // Events stored before this have "" for both (docs/audit.md: "unchained"). Runs are paged in
    // creation order by the workspace audit export.
    version: 6,
    sql: `
      ALTER TABLE run_events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
      ALTER TABLE run_events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
      CREATE INDEX runs_by_created ON runs (workspace, created_at, id);
    `,
  },
  {
    // The workspace event feed (GET /events/stream): one row per run event in commit order. Its
    // position is the SSE event id, durable across restarts, so a client resumes with
    // Last-Event-ID. Rows of deleted runs are skipped by the join that reads them.
    version: 7,
    sql: `
      CREATE TABLE event_feed (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace TEXT NOT NULL,
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL
      );
      CREATE INDEX event_feed_by_workspace ON event_feed (workspace, position);
    `,
  },
  {
    // Claims (docs/scaling.md): a process takes a resource (a resume job, an approval window) for
    // a lease, so among several processes on one database exactly one works on it; `due_at`
    // (epoch ms) is when it may be taken. A claim leaves the document and its version alone.
    version: 8,
    sql: `
      ALTER TABLE resources ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';
      ALTER TABLE resources ADD COLUMN claim_until INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE resources ADD COLUMN due_at INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX resources_due ON resources (workspace, kind, due_at);
    `,
  },
  {
    // Agent placement across replicas on one database (store/placement.ts). Times are epoch
    // milliseconds. (Versions are applied by number, whichever are missing: a database that got 9
    // before 8 gets 8 next.)
    version: 9,
    sql: `
      CREATE TABLE replicas (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        heartbeat_at INTEGER NOT NULL,
        load INTEGER NOT NULL DEFAULT 0,
        draining INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE agent_placements (
        workspace TEXT NOT NULL,
        agent TEXT NOT NULL,
        version INTEGER NOT NULL,
        replica TEXT NOT NULL,
        lease_until INTEGER NOT NULL,
        running_version INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (workspace, agent)
      );
      CREATE INDEX agent_placements_by_replica ON agent_placements (replica);
    `,
  },
];
