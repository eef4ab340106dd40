import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { canonicalEvent } from "runagents/audit";
import { createSecretBox } from "../../src/store/crypto.js";
import { chainFields } from "../../src/store/event-chain.js";
import { MIGRATIONS } from "../../src/store/migrations.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { assertChainStartsAfterUnchained } from "../helpers/audit-chain.js";

describe("the audit chain in the store", () => {
  it("keeps events from before the chain unchained, starts the chain after them, and says so when verified", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runagents-chain-"));
    const file = join(dir, "platform.db");
    const v2 = new Database(file);
    v2.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
    for (const m of MIGRATIONS.filter((m) => m.version <= 2)) {
      v2.exec(m.sql);
      v2.prepare("INSERT INTO schema_migrations VALUES (?, '2026-01-01T00:00:00.000Z')").run(m.version);
    }
    v2.prepare(
      `INSERT INTO runs (id, workspace, agent_id, user_id, conversation_id, status, created_at, updated_at)
       VALUES ('run-1', 'default', 'a', 'u', '', 'RUNNING', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z')`,
    ).run();
    const insert = v2.prepare(
      "INSERT INTO run_events VALUES ('run-1', ?, ?, 'USER_MESSAGE', 'u', '', '{}', ?)",
    );
    insert.run(1, "id-1", "2026-01-01T00:00:00.000Z");
    insert.run(2, "id-2", "2026-01-01T00:00:01.000Z");
    v2.close();

    const store = openSqliteStore(file, createSecretBox(randomBytes(32)));
    try {
      await assertChainStartsAfterUnchained(store, "default", "run-1");
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("hashes the canonical form: the fields as JSON with keys sorted, no whitespace", () => {
    const fields = chainFields({
      workspace: "default",
      runId: "r",
      agentId: "a",
      userId: "u",
      seq: 2,
      id: "e",
      type: "TOOL_REQUEST",
      actor: "a",
      payloadHash: "",
      data: { tool_id: "t", tool_method: "GET", tool_url: "http://x/\u00e9", decision: "allow", rule: "p#0" },
      dataText: "{}",
      time: "2026-01-01T00:00:00.000Z",
      prevHash: "sha256:00",
    });
    const sorted = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : 1)));
    assert.equal(canonicalEvent(fields), JSON.stringify(sorted));
    assert.deepEqual(
      [fields.tool, fields.method, fields.url, fields.decision, fields.rule],
      ["t", "GET", "http://x/\u00e9", "allow", "p#0"],
    );
  });
});
