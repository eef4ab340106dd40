/**
 * @module store/postgres-migrations
 * The PostgreSQL schema, versioned like the SQLite one (`migrations.ts`) but with its own history:
 * version 1 is the SQLite schema as of its version 6. Append new entries; never edit one that has
 * shipped. Columns hold the same text as in SQLite (ISO timestamps, JSON documents), so records,
 * sort orders (`COLLATE "C"`: byte order, as SQLite's) and event hashes are identical.
 *
 * Writes to `resources` and `api_keys` notify the channel `runagents_store` at commit, which is
 * how other platform processes keep their read caches current (`postgres.ts`). The payload is
 * `<schema> <writer's runagents.instance> <what changed>`: a resource's `["workspace","kind","name"]`
 * as JSON, or `*` for anything else (API keys, a truncation, a renamed row).
 */

export const NOTIFY_CHANNEL = "runagents_store";
/**
 * Event appends notify this channel in their transaction (`postgres.ts`), with
 * `<schema> <writer's instance> <JSON array of workspaces>`: every process's live feeds wake.
 */
export const EVENTS_CHANNEL = "runagents_events";

export const POSTGRES_MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE resources (
        workspace TEXT COLLATE "C" NOT NULL,
        kind TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        doc TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (workspace, kind, name)
      );
      CREATE TABLE runs (
        id TEXT COLLATE "C" PRIMARY KEY,
        workspace TEXT COLLATE "C" NOT NULL,
        agent_id TEXT COLLATE "C" NOT NULL,
        user_id TEXT COLLATE "C" NOT NULL,
        conversation_id TEXT COLLATE "C" NOT NULL,
        status TEXT COLLATE "C" NOT NULL,
        blocked_action_id TEXT NOT NULL DEFAULT '',
        initial_message TEXT NOT NULL DEFAULT '',
        invoke_url TEXT NOT NULL DEFAULT '',
        owner TEXT NOT NULL DEFAULT '',
        user_auth TEXT NOT NULL DEFAULT '',
        created_at TEXT COLLATE "C" NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL
      );
      CREATE INDEX runs_by_agent ON runs (workspace, agent_id, updated_at);
      CREATE INDEX runs_by_created ON runs (workspace, created_at, id);
      CREATE INDEX runs_by_status ON runs (status);
      CREATE TABLE run_events (
        run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        actor TEXT NOT NULL,
        payload_hash TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at TEXT COLLATE "C" NOT NULL,
        prev_hash TEXT NOT NULL DEFAULT '',
        hash TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (run_id, seq)
      );
      CREATE TABLE secrets (
        workspace TEXT COLLATE "C" NOT NULL,
        name TEXT COLLATE "C" NOT NULL,
        sealed TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (workspace, name)
      );
      CREATE TABLE api_keys (
        id TEXT COLLATE "C" PRIMARY KEY,
        workspace TEXT COLLATE "C" NOT NULL,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        last4 TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT COLLATE "C" NOT NULL,
        last_used_at TEXT NOT NULL DEFAULT '',
        expires_at TEXT NOT NULL DEFAULT '',
        act_for_users INTEGER NOT NULL DEFAULT 0,
        role TEXT NOT NULL DEFAULT '',
        groups TEXT NOT NULL DEFAULT '[]'
      );
      CREATE FUNCTION runagents_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        origin text := current_schema() || ' ' || coalesce(current_setting('runagents.instance', true), '');
        changed record;
      BEGIN
        -- Nested, not OR-ed: plpgsql may evaluate every operand, and OLD has no fields here.
        IF TG_LEVEL = 'STATEMENT' THEN
          PERFORM pg_notify('${NOTIFY_CHANNEL}', origin || ' *');
          RETURN NULL;
        END IF;
        IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
        IF TG_OP = 'UPDATE' THEN
          IF (OLD.workspace, OLD.kind, OLD.name) IS DISTINCT FROM (NEW.workspace, NEW.kind, NEW.name) THEN
            PERFORM pg_notify('${NOTIFY_CHANNEL}', origin || ' *');
            RETURN NULL;
          END IF;
        END IF;
        PERFORM pg_notify('${NOTIFY_CHANNEL}',
          origin || ' ' || json_build_array(changed.workspace, changed.kind, changed.name)::text);
        RETURN NULL;
      END $$;
      CREATE TRIGGER resources_changed AFTER INSERT OR UPDATE OR DELETE ON resources
        FOR EACH ROW EXECUTE FUNCTION runagents_notify_change();
      CREATE TRIGGER resources_truncated AFTER TRUNCATE ON resources
        FOR EACH STATEMENT EXECUTE FUNCTION runagents_notify_change();
      CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_keys
        FOR EACH STATEMENT EXECUTE FUNCTION runagents_notify_change();
    `,
  },
  {
    // The workspace event feed (GET /events/stream), as SQLite's version 7: one row per run event
    // in commit order; its position is the SSE event id a client resumes from.
    version: 2,
    sql: `
      CREATE TABLE event_feed (
        position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        workspace TEXT COLLATE "C" NOT NULL,
        run_id TEXT COLLATE "C" NOT NULL,
        seq INTEGER NOT NULL
      );
      CREATE INDEX event_feed_by_workspace ON event_feed (workspace, position);
    `,
  },
  {
    // Claims, as SQLite's version 8 (`postgres.ts`: FOR UPDATE SKIP LOCKED). The change trigger
    // now notifies only on a real change (key, document or version): taking or renewing a claim
    // leaves other processes' caches alone, so N replicas polling for work cause no notify storm.
    version: 3,
    sql: `
      ALTER TABLE resources ADD COLUMN claim_owner TEXT NOT NULL DEFAULT '';
      ALTER TABLE resources ADD COLUMN claim_until BIGINT NOT NULL DEFAULT 0;
      ALTER TABLE resources ADD COLUMN due_at BIGINT NOT NULL DEFAULT 0;
      CREATE INDEX resources_due ON resources (workspace, kind, due_at);
      CREATE OR REPLACE FUNCTION runagents_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        origin text := current_schema() || ' ' || coalesce(current_setting('runagents.instance', true), '');
        changed record;
      BEGIN
        IF TG_LEVEL = 'STATEMENT' THEN
          PERFORM pg_notify('${NOTIFY_CHANNEL}', origin || ' *');
          RETURN NULL;
        END IF;
        IF TG_OP = 'DELETE' THEN changed := OLD; ELSE changed := NEW; END IF;
        IF TG_OP = 'UPDATE' THEN
          IF (OLD.workspace, OLD.kind, OLD.name) IS DISTINCT FROM (NEW.workspace, NEW.kind, NEW.name) THEN
            PERFORM pg_notify('${NOTIFY_CHANNEL}', origin || ' *');
            RETURN NULL;
          END IF;
          IF OLD.doc = NEW.doc AND OLD.version = NEW.version THEN
            RETURN NULL;
          END IF;
        END IF;
        PERFORM pg_notify('${NOTIFY_CHANNEL}',
          origin || ' ' || json_build_array(changed.workspace, changed.kind, changed.name)::text);
        RETURN NULL;
      END $$;
    `,
  },
  {
    // Agent placement across replicas (store/placement.ts), as SQLite's version 9 (versions are
    // applied by number, whichever are missing). Times are epoch
    // milliseconds on the database's clock. A placement that changes owner, version or running
    // version notifies "<schema> <instance> placement": every replica reconciles at once.
    version: 4,
    sql: `
      CREATE TABLE replicas (
        id TEXT COLLATE "C" PRIMARY KEY,
        url TEXT NOT NULL,
        heartbeat_at BIGINT NOT NULL,
        load INTEGER NOT NULL DEFAULT 0,
        draining BOOLEAN NOT NULL DEFAULT false
      );
      CREATE TABLE agent_placements (
        workspace TEXT COLLATE "C" NOT NULL,
        agent TEXT COLLATE "C" NOT NULL,
        version INTEGER NOT NULL,
        replica TEXT COLLATE "C" NOT NULL,
        lease_until BIGINT NOT NULL,
        running_version INTEGER NOT NULL DEFAULT 0,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (workspace, agent)
      );
      CREATE INDEX agent_placements_by_replica ON agent_placements (replica);
      CREATE FUNCTION runagents_notify_placement() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('${NOTIFY_CHANNEL}', current_schema() || ' '
          || coalesce(current_setting('runagents.instance', true), '') || ' placement');
        RETURN NULL;
      END $$;
      CREATE TRIGGER agent_placements_added AFTER INSERT OR DELETE ON agent_placements
        FOR EACH ROW EXECUTE FUNCTION runagents_notify_placement();
      CREATE TRIGGER agent_placements_moved AFTER UPDATE ON agent_placements
        FOR EACH ROW WHEN ((OLD.replica, OLD.version, OLD.running_version, OLD.lease_until = 0)
          IS DISTINCT FROM (NEW.replica, NEW.version, NEW.running_version, NEW.lease_until = 0))
        EXECUTE FUNCTION runagents_notify_placement();
      CREATE TRIGGER replicas_changed AFTER INSERT OR DELETE ON replicas
        FOR EACH ROW EXECUTE FUNCTION runagents_notify_placement();
      CREATE TRIGGER replicas_draining AFTER UPDATE ON replicas
        FOR EACH ROW WHEN (OLD.draining IS DISTINCT FROM NEW.draining)
        EXECUTE FUNCTION runagents_notify_placement();
    `,
  },
  {
    // Appends in one statement, and a workspace feed whose positions no longer need a lock across
    // replicas (postgres.ts). `runagents_append` checks, under the runs' row locks, that each
    // run's chain tip (last seq and hash) and status are still what the caller sealed its events
    // against (else SQLSTATE RA001, and the caller reads the tips again), then inserts the
    // events and their feed rows, notifies, and applies the runs' updates, returning the rows.
    // Feed rows are inserted without a position; `runagents_sequence_feed` numbers the committed
    // ones, in insertion order, under a per-schema lock held to its commit: positions are
    // committed in order, so a reader past position N never misses a lower one committed later.
    version: 5,
    sql: `
      ALTER TABLE event_feed ALTER COLUMN position DROP IDENTITY;
      ALTER TABLE event_feed DROP CONSTRAINT event_feed_pkey;
      ALTER TABLE event_feed ALTER COLUMN position DROP NOT NULL;
      ALTER TABLE event_feed ADD COLUMN id BIGINT GENERATED ALWAYS AS IDENTITY;
      ALTER TABLE event_feed ADD PRIMARY KEY (id);
      CREATE UNIQUE INDEX event_feed_by_position ON event_feed (position);
      CREATE INDEX event_feed_unsequenced ON event_feed (id) WHERE position IS NULL;
      CREATE FUNCTION runagents_sequence_feed() RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM event_feed WHERE position IS NULL) THEN RETURN; END IF;
        PERFORM pg_advisory_xact_lock(hashtext('runagents_feed:' || current_schema()));
        WITH last AS (SELECT COALESCE(MAX(position), 0) AS position FROM event_feed),
          pending AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM event_feed WHERE position IS NULL)
        UPDATE event_feed f SET position = last.position + pending.n FROM last, pending WHERE f.id = pending.id;
      END $$;
      CREATE FUNCTION runagents_append(
        x_run TEXT[], x_seq INTEGER[], x_hash TEXT[], x_status TEXT[],
        e_run TEXT[], e_seq INTEGER[], e_id TEXT[], e_type TEXT[], e_actor TEXT[], e_payload_hash TEXT[],
        e_data TEXT[], e_created TEXT[], e_prev TEXT[], e_hash TEXT[], e_workspace TEXT[],
        u_id TEXT[], u_at TEXT[], u_status TEXT[], u_blocked TEXT[], u_initial TEXT[], u_invoke TEXT[],
        u_owner TEXT[], channel TEXT, payload TEXT
      ) RETURNS SETOF runs LANGUAGE plpgsql AS $$
      DECLARE
        stale TEXT;
      BEGIN
        PERFORM 1 FROM runs WHERE id = ANY(x_run) ORDER BY id FOR UPDATE;
        -- A statement of its own, after the locks: it sees every append committed before them.
        SELECT x.id INTO stale
          FROM unnest(x_run, x_seq, x_hash, x_status) AS x (id, seq, hash, status)
          LEFT JOIN runs r ON r.id = x.id
          LEFT JOIN LATERAL (SELECT seq, hash FROM run_events WHERE run_id = x.id ORDER BY seq DESC LIMIT 1) e
            ON true
          WHERE r.id IS NULL OR r.status <> x.status OR COALESCE(e.seq, 0) <> x.seq OR COALESCE(e.hash, '') <> x.hash
          LIMIT 1;
        IF stale IS NOT NULL THEN
          RAISE EXCEPTION 'the chain tip of run % moved', stale USING ERRCODE = 'RA001';
        END IF;
        IF cardinality(e_run) > 0 THEN
          INSERT INTO run_events (run_id, seq, id, type, actor, payload_hash, data, created_at, prev_hash, hash)
            SELECT * FROM unnest(e_run, e_seq, e_id, e_type, e_actor, e_payload_hash, e_data, e_created, e_prev, e_hash);
          INSERT INTO event_feed (workspace, run_id, seq) SELECT * FROM unnest(e_workspace, e_run, e_seq);
          PERFORM pg_notify(channel, payload);
        END IF;
        RETURN QUERY UPDATE runs SET updated_at = u.at, status = COALESCE(u.status, runs.status),
            blocked_action_id = COALESCE(u.blocked, runs.blocked_action_id),
            initial_message = COALESCE(u.initial, runs.initial_message),
            invoke_url = COALESCE(u.invoke, runs.invoke_url), owner = COALESCE(u.owner, runs.owner)
          FROM unnest(u_id, u_at, u_status, u_blocked, u_initial, u_invoke, u_owner)
            AS u (id, at, status, blocked, initial, invoke, owner)
          WHERE runs.id = u.id
          RETURNING runs.*;
      END $$;
    `,
  },
];
