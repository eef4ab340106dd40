import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { runView } from "../../src/governance/runs.js";
import { createSecretBox } from "../../src/store/crypto.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { openSqliteStore } from "../../src/store/sqlite.js";

describe("schema migration 3 (verified end users)", () => {
  it("gives existing keys actForUsers false and existing runs an unverified user", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runagents-migrate-"));
    const file = join(dir, "platform.db");
    const old = new Database(file);
    old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
      old.exec(m.sql);
      old.prepare("INSERT INTO schema_migrations VALUES (?, '2026-01-01T00:00:00.000Z')").run(m.version);
    }
    old.exec(`INSERT INTO runs (id, workspace, agent_id, user_id, conversation_id, status, created_at, updated_at)
      VALUES ('run-1', 'default', 'a', 'bob', '', 'RUNNING', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`);
    old.exec(`INSERT INTO api_keys (id, workspace, name, prefix, last4, hash, created_at)
      VALUES ('k1', 'default', 'old', 'ra_ws_', 'abcd', 'h1', '2026-01-01T00:00:00.000Z')`);
    old.close();

    const store = openSqliteStore(file, createSecretBox(randomBytes(32)));
    try {
      const [key] = await store.listApiKeys();
      assert.equal(key?.actForUsers, false);
      const run = await store.getRun("default", "run-1");
      assert.equal(run?.userAuth, "");
      assert.equal(runView(run as NonNullable<typeof run>).user_auth, "none");
      await store.createApiKey({
        ...(key as NonNullable<typeof key>),
        id: "k2",
        hash: "h2",
        actForUsers: true,
      });
      assert.equal((await store.findApiKeyByHash("h2"))?.actForUsers, true);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
