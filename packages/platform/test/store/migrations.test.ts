import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { createSecretBox } from "../../src/store/crypto.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { openSqliteStore } from "../../src/store/sqlite.js";

describe("schema migration 2 (events keyed by run and seq)", () => {
  it("keeps a version-1 database's events, in order, and goes on appending after them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runagents-migrate-"));
    const file = join(dir, "platform.db");
    const v1 = new Database(file);
    v1.exec(MIGRATIONS.find((m) => m.version === 1)?.sql ?? "");
    v1.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    v1.prepare("INSERT INTO schema_migrations VALUES (1, '2026-01-01T00:00:00.000Z')").run();
    v1.prepare(
      `INSERT INTO runs (id, workspace, agent_id, user_id, conversation_id, status, created_at, updated_at)
       VALUES ('run-1', 'default', 'a', 'u', '', 'RUNNING', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
    ).run();
    const insert = v1.prepare(
      "INSERT INTO run_events VALUES ('run-1', ?, ?, ?, 'a', '', ?, '2026-01-01T00:00:00.000Z')",
    );
    for (const [seq, type] of [
      [1, "RUN_CREATED"],
      [2, "TOOL_REQUEST"],
    ] as const) {
      insert.run(seq, `id-${seq}`, type, JSON.stringify({ n: seq }));
    }
    v1.close();

    const store = openSqliteStore(file, createSecretBox(randomBytes(32)));
    try {
      const appended = await store.appendEvent("default", "run-1", { type: "TOOL_RESPONSE", data: { n: 3 } });
      assert.equal(appended.seq, 3);
      const events = await store.listEvents("default", "run-1");
      assert.deepEqual(
        events.map((e) => [e.seq, e.id.startsWith("id-") ? e.id : "new", e.type, e.data]),
        [
          [1, "id-1", "RUN_CREATED", { n: 1 }],
          [2, "id-2", "TOOL_REQUEST", { n: 2 }],
          [3, "new", "TOOL_RESPONSE", { n: 3 }],
        ],
      );
    } finally {
      await store.close();
    }
    const after = new Database(file, { readonly: true });
    const table = after.prepare("SELECT sql FROM sqlite_master WHERE name = 'run_events'").get() as {
      sql: string;
    };
    after.close();
    rmSync(dir, { recursive: true, force: true });
    assert.match(table.sql, /WITHOUT ROWID/);
  });
});
