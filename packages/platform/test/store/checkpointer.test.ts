import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import {
  BUSY_AFTER_COMMITS,
  BUSY_AUTO_CHECKPOINT_PAGES,
  createCheckpointer,
} from "../../src/store/checkpointer.js";
import { createSecretBox } from "../../src/store/crypto.js";
import { timeOrderedUuid } from "../../src/store/rows.js";
import { openSqliteStore } from "../../src/store/sqlite.js";

describe("WAL checkpoints off the event loop", () => {
  it("hands checkpoints to a worker once the store is busy, and gives them back when stopped", async () => {
    const settings: number[] = [];
    const dir = mkdtempSync(join(tmpdir(), "runagents-checkpointer-"));
    const file = join(dir, "x.db");
    const setup = new Database(file);
    setup.pragma("journal_mode = WAL");
    setup.close();
    const checkpointer = createCheckpointer(file, (pages) => settings.push(pages));
    for (let i = 1; i < BUSY_AFTER_COMMITS; i++) checkpointer.committed();
    assert.equal(checkpointer.active, false);
    checkpointer.committed();
    assert.equal(checkpointer.active, true);
    assert.deepEqual(settings, [BUSY_AUTO_CHECKPOINT_PAGES]);
    await checkpointer.stop();
    assert.equal(checkpointer.active, false);
    assert.deepEqual(
      settings,
      [BUSY_AUTO_CHECKPOINT_PAGES],
      "a stopped store does not reconfigure its closed connection",
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps a busy store's log checkpointed, and its data whole after close", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runagents-checkpointer-"));
    const file = join(dir, "platform.db");
    const store = openSqliteStore(file, createSecretBox(randomBytes(32)));
    const run = await store.createRun({ workspace: "ws", agentId: "a", userId: "u" });
    const writes = BUSY_AFTER_COMMITS + 500;
    for (let i = 0; i < writes; i++) {
      await store.appendEvent("ws", run.id, { type: "TOOL_REQUEST", data: { i, pad: "x".repeat(2000) } });
    }
    // The worker's passive checkpoints copy the log into the database file as it grows.
    const deadline = Date.now() + 10_000;
    while (statSync(file).size < writes * 2000) {
      assert.ok(Date.now() < deadline, "the database file was never checkpointed");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await store.close();
    assert.equal(existsSync(`${file}-wal`), false, "closing last folds the log in and removes it");
    const db = new Database(file, { readonly: true });
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM run_events").get() as { n: number }).n, writes);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("event ids", () => {
  it("are UUIDv7: the millisecond timestamp first, so they sort by time", () => {
    const id = timeOrderedUuid(Date.UTC(2026, 0, 1));
    assert.match(id, /^019b76da-a800-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(timeOrderedUuid(1_000) < timeOrderedUuid(2_000));
    assert.notEqual(timeOrderedUuid(1_000), timeOrderedUuid(1_000));
  });
});
