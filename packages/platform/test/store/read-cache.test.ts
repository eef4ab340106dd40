import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { ReadCache } from "../../src/store/read-cache.js";
import type { Store } from "../../src/store/store.js";
import { type StoreFixture, storeBackends } from "../helpers/stores.js";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const row = (doc: string, version = 1) => ({
  workspace: "ws",
  kind: "tool",
  name: "t",
  doc,
  version,
  created_at: "2026-01-01T00:00:00.000Z",
  updated_at: "2026-01-01T00:00:00.000Z",
});

describe("ReadCache", () => {
  it("asks for the data version at most once per event-loop turn and serves hits meanwhile", async () => {
    let version = 1;
    let asked = 0;
    const cache = new ReadCache(() => {
      asked++;
      return version;
    });
    assert.equal(cache.getRow("ws", "tool", "t"), undefined);
    cache.setRow("ws", "tool", "t", row("{}"));
    cache.setRow("ws", "tool", "missing", null);
    assert.deepEqual(cache.getRow("ws", "tool", "t"), row("{}"));
    assert.equal(cache.getRow("ws", "tool", "missing"), null);
    assert.equal(asked, 1);
    await nextTurn();
    assert.deepEqual(cache.getRow("ws", "tool", "t"), row("{}"));
    assert.equal(asked, 2);
    version = 2;
    await nextTurn();
    assert.equal(cache.getRow("ws", "tool", "t"), undefined, "another connection committed: all dropped");
    assert.equal(cache.getRow("ws", "tool", "missing"), undefined);
  });

  it("evicts the oldest entry at its limit and never holds large documents", () => {
    const cache = new ReadCache(() => 1, 2);
    cache.setRow("ws", "tool", "a", row("{}"));
    cache.setRow("ws", "tool", "b", row("{}"));
    cache.setRow("ws", "tool", "c", row("{}"));
    assert.equal(cache.size, 2);
    assert.equal(cache.getRow("ws", "tool", "a"), undefined);
    cache.setRow("ws", "tool", "b", row(JSON.stringify({ big: "x".repeat(70_000) })));
    assert.equal(cache.getRow("ws", "tool", "b"), undefined);
  });
});

for (const backend of await storeBackends()) {
  describe(`the ${backend.name} store's read cache`, { skip: backend.skip }, () => {
    let fixture: StoreFixture;
    let store: Store;
    before(async () => {
      fixture = await backend.fixture();
      store = fixture.open();
    });
    after(() => fixture?.dispose());

    // Another connection: writes the store only learns of through its invalidation.
    const rewrite = (name: string, doc: object) =>
      fixture.sql(
        "UPDATE resources SET doc = $1, version = version + 1 WHERE workspace = $2 AND kind = $3 AND name = $4",
        [JSON.stringify(doc), "ws", "tool", name],
      );

    it("serves repeated reads from memory, each caller getting its own document", async () => {
      await store.putResource("ws", "tool", "hit", { spec: { n: 1 } });
      await nextTurn();
      const first = await store.getResource("ws", "tool", "hit");
      await rewrite("hit", { spec: { n: 2 } });
      const second = await store.getResource("ws", "tool", "hit");
      if (backend.name === "sqlite") {
        // Another connection wrote within the same turn: this turn still sees the cached row.
        assert.deepEqual(second?.doc, { spec: { n: 1 } });
      }
      assert.notEqual(first?.doc, second?.doc);
      (first?.doc.spec as { n: number }).n = 99;
      assert.notDeepEqual((await store.getResource("ws", "tool", "hit"))?.doc, { spec: { n: 99 } });
      await fixture.settle(store);
      const third = await store.getResource("ws", "tool", "hit");
      assert.deepEqual(third?.doc, { spec: { n: 2 } });
      assert.equal(third?.version, 2);
    });

    it("sees its own writes and deletes at once, misses included", async () => {
      assert.equal(await store.getResource("ws", "tool", "own"), undefined);
      const { record } = await store.putResource("ws", "tool", "own", { v: 1 });
      assert.deepEqual((await store.getResource("ws", "tool", "own"))?.doc, { v: 1 });
      await store.putResource("ws", "tool", "own", { v: 2 }, { expectedVersion: record.version });
      const read = await store.getResource("ws", "tool", "own");
      assert.deepEqual([read?.doc, read?.version], [{ v: 2 }, 2]);
      assert.equal(await store.deleteResource("ws", "tool", "own"), true);
      assert.equal(await store.getResource("ws", "tool", "own"), undefined);
      assert.equal(await store.deleteResource("ws", "tool", "own"), false);
    });

    it("drops a row whose optimistic write lost to another connection, so the retry reads the winner", async () => {
      await store.putResource("ws", "tool", "race", { v: 1 });
      await nextTurn();
      await store.getResource("ws", "tool", "race");
      await rewrite("race", { v: "theirs" });
      await assert.rejects(store.putResource("ws", "tool", "race", { v: "mine" }, { expectedVersion: 1 }), {
        name: "VersionConflictError",
        message: "version conflict: expected 1, current is 2",
      });
      const winner = await store.getResource("ws", "tool", "race");
      assert.deepEqual([winner?.doc, winner?.version], [{ v: "theirs" }, 2]);
    });

    it("sees a resource another store (another process) wrote, once it has noticed", async () => {
      const replica = fixture.open();
      assert.equal(await store.readResource("ws", "tool", "from-replica"), undefined);
      assert.equal(
        (await store.listResources("ws", "tool")).some((r) => r.name === "from-replica"),
        false,
      );
      await replica.putResource("ws", "tool", "from-replica", { by: "replica" });
      await fixture.settle(store);
      assert.deepEqual((await store.readResource("ws", "tool", "from-replica"))?.doc, { by: "replica" });
      assert.ok((await store.listResources("ws", "tool")).some((r) => r.name === "from-replica"));
      await replica.deleteResource("ws", "tool", "from-replica");
      await fixture.settle(store);
      assert.equal(await store.readResource("ws", "tool", "from-replica"), undefined);
    });

    if (backend.name === "sqlite") {
      it("sees a row another process wrote to the same file on its next turn", async () => {
        assert.equal(await store.getResource("ws", "tool", "from-child"), undefined);
        const [{ file } = { file: "" }] = (await fixture.sql("PRAGMA database_list")) as { file: string }[];
        const script = `
          import Database from "better-sqlite3";
          const db = new Database(process.argv[1]);
          db.pragma("busy_timeout = 5000");
          db.prepare("INSERT INTO resources (workspace, kind, name, doc, version, created_at, updated_at) VALUES ('ws', 'tool', 'from-child', '{\\"by\\":\\"child\\"}', 1, 'a', 'a')").run();
          db.close();`;
        await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script, file], {
          cwd: new URL("../../..", import.meta.url).pathname,
        });
        await nextTurn();
        assert.deepEqual((await store.getResource("ws", "tool", "from-child"))?.doc, { by: "child" });
      });
    }

    it("caches the API-key count, updated by its own key writes and other connections' commits", async () => {
      assert.equal(await store.countApiKeys(), 0);
      const key = {
        id: "key_1",
        workspace: "default",
        name: "k",
        prefix: "ra_ws_",
        last4: "abcd",
        hash: "h1",
        createdAt: "2026-01-01T00:00:00.000Z",
        lastUsedAt: "",
        expiresAt: "",
        role: "admin",
        groups: [],
      };
      await store.createApiKey(key);
      assert.equal(await store.countApiKeys(), 1);
      await fixture.sql("DELETE FROM api_keys");
      await fixture.settle(store);
      assert.equal(await store.countApiKeys(), 0);
      await store.createApiKey(key);
      assert.equal(await store.countApiKeys(), 1);
      assert.equal(await store.deleteApiKey("default", "key_1"), true);
      assert.equal(await store.countApiKeys(), 0);
    });

    // readResource: the shared, frozen form of the same cached rows
    it("returns the same deeply frozen record while the row is unchanged", async () => {
      await store.putResource("ws", "policy", "p", { spec: { policies: [{ permission: "allow" }] } });
      const first = await store.readResource("ws", "policy", "p");
      const second = await store.readResource("ws", "policy", "p");
      assert.equal(first, second);
      assert.ok(Object.isFrozen(first) && Object.isFrozen(first?.doc));
      assert.ok(first);
      const rules = (first.doc.spec as { policies: object[] }).policies;
      assert.ok(Object.isFrozen(rules) && Object.isFrozen(rules[0]));
      assert.throws(() => {
        (rules[0] as { permission: string }).permission = "deny";
      }, TypeError);
      // getResource still hands out a private copy
      const copy = await store.getResource("ws", "policy", "p");
      assert.notEqual(copy?.doc, first?.doc);
      assert.deepEqual(copy?.doc, first?.doc);
    });

    it("returns a new record after its own write, a delete, and another connection's write", async () => {
      await store.putResource("ws", "tool", "t", { v: 1 });
      const before = await store.readResource("ws", "tool", "t");
      await store.putResource("ws", "tool", "t", { v: 2 });
      const mine = await store.readResource("ws", "tool", "t");
      assert.notEqual(mine, before);
      assert.deepEqual(mine?.doc, { v: 2 });

      await nextTurn();
      await rewrite("t", { v: "theirs" });
      await fixture.settle(store);
      const theirs = await store.readResource("ws", "tool", "t");
      assert.deepEqual([theirs?.doc, theirs?.version], [{ v: "theirs" }, 3]);

      await store.deleteResource("ws", "tool", "t");
      assert.equal(await store.readResource("ws", "tool", "t"), undefined);
    });

    // Runs and chain tips: the SQLite store keeps them between calls; both stores must behave alike.
    it("a run's own status change is seen at once, another connection's once noticed", async () => {
      const run = await store.createRun({ workspace: "ws", agentId: "a", userId: "u" });
      assert.equal((await store.getRun("ws", run.id))?.status, run.status);
      assert.equal(
        await store.getRun("elsewhere", run.id),
        undefined,
        "a run is found in its own workspace only",
      );
      await store.updateRun("ws", run.id, { status: "RUNNING" });
      assert.equal((await store.getRun("ws", run.id))?.status, "RUNNING");
      await nextTurn();
      await fixture.sql("UPDATE runs SET status = $1 WHERE id = $2", ["FAILED", run.id]);
      await fixture.settle(store);
      assert.equal((await store.getRun("ws", run.id))?.status, "FAILED");
      assert.equal(await store.updateRun("ws", run.id, { status: "COMPLETED" }, ["RUNNING"]), undefined);
      await fixture.sql("DELETE FROM runs WHERE id = $1", [run.id]);
      await fixture.settle(store);
      assert.equal(await store.getRun("ws", run.id), undefined);
    });

    it("an append's updated_at shows on the run it touched", async () => {
      const run = await store.createRun({ workspace: "ws", agentId: "a", userId: "u" });
      const event = await store.appendEvent("ws", run.id, { type: "TOOL_REQUEST" });
      assert.equal((await store.getRun("ws", run.id))?.updatedAt, event.timestamp);
    });

    it("appends continue the chain gaplessly when another store appended to the same run in between", async () => {
      const replica = fixture.open();
      const run = await store.createRun({ workspace: "ws", agentId: "a", userId: "u" });
      await Promise.all([1, 2, 3].map((i) => store.appendEvent("ws", run.id, { type: "A", data: { i } })));
      await replica.appendEvent("ws", run.id, { type: "B" });
      await fixture.settle(store);
      await store.appendEvent("ws", run.id, { type: "C" });
      await replica.appendEvent("ws", run.id, { type: "B" });
      await Promise.all([
        store.appendEvent("ws", run.id, { type: "C" }),
        store.appendEvent("ws", run.id, { type: "C" }),
      ]);
      const events = await store.listChainedEvents("ws", run.id, { afterSeq: 0, limit: 100 });
      assert.deepEqual(
        events.map((e) => e.seq),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      events.forEach((event, i) => {
        assert.equal(
          event.prevHash,
          i === 0 ? "" : events[i - 1]?.hash,
          `event ${event.seq} links to the one before`,
        );
      });
    });

    it("an append made whileActive fails with RunEndedError once the run has ended, and only then", async () => {
      const run = await store.createRun({ workspace: "ws", agentId: "a", userId: "u" });
      await store.appendEvent("ws", run.id, { type: "TOOL_CALLED", whileActive: true });
      await store.updateRun("ws", run.id, { status: "FAILED" });
      const [late, audit] = await Promise.allSettled([
        store.appendEvent("ws", run.id, { type: "TOOL_CALLED", whileActive: true }),
        store.appendEvent("ws", run.id, { type: "FAILED" }),
      ]);
      assert.equal(late.status, "rejected");
      assert.equal((late as PromiseRejectedResult).reason.name, "RunEndedError");
      assert.equal(audit.status, "fulfilled");
      const types = (await store.listEvents("ws", run.id)).map((e) => e.type);
      assert.deepEqual(types, ["TOOL_CALLED", "FAILED"]);
    });
  });
}
