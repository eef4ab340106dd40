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

describe("store migration: API key roles", () => {
  it("makes the keys that existed before roles admins, with no groups", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runagents-roles-migration-"));
    const file = join(dir, "platform.db");
    try {
      // A database as the platform left it before roles: migrations 1 and 2, and one key.
      const db = new Database(file);
      db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
      for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
        db.exec(m.sql);
        db.prepare("INSERT INTO schema_migrations VALUES (?, ?)").run(m.version, "2026-01-01T00:00:00.000Z");
      }
      db.prepare(
        `INSERT INTO api_keys (id, workspace, name, prefix, last4, hash, created_at)
         VALUES ('old-key', 'default', 'ci', 'ra_ws_', 'abcd', 'h-old', '2026-01-01T00:00:00.000Z')`,
      ).run();
      db.close();

      const store = openSqliteStore(file, createSecretBox(randomBytes(32)));
      try {
        const [old] = await store.listApiKeys("default");
        assert.equal(old?.role, "admin");
        assert.deepEqual(old?.groups, []);
        await store.createApiKey({
          ...(old as NonNullable<typeof old>),
          id: "new-key",
          name: "ops",
          hash: "h-new",
          role: "operator",
          groups: ["finance-approvers"],
        });
        const made = await store.findApiKeyByHash("h-new");
        assert.deepEqual([made?.role, made?.groups], ["operator", ["finance-approvers"]]);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
