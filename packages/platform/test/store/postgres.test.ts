/**
 * The PostgreSQL store with several platform processes on one database: each store instance
 * here has its own connection pool and listener, as a replica would.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { verifyAuditExport } from "runagents/audit";
import { createSecretBox } from "../../src/store/crypto.js";
import { openPostgresStore } from "../../src/store/postgres.js";
import { POSTGRES_MIGRATIONS } from "../../src/store/postgres-migrations.js";
import type { Store } from "../../src/store/store.js";
import { exportRun } from "../helpers/audit-chain.js";
import { type StoreFixture, storeBackends } from "../helpers/stores.js";

const postgres = (await storeBackends()).find((b) => b.name === "postgres");

/** Polls `check` every 20 ms (10 s at most): for state only the server can tell. */
async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the PostgreSQL store shared by several processes", { skip: postgres?.skip }, () => {
  let fixture: StoreFixture;
  before(async () => {
    fixture = await (postgres as NonNullable<typeof postgres>).fixture();
  });
  after(() => fixture?.dispose());

  it("runs the migrations once when several instances start together", async () => {
    const key = randomBytes(32);
    const stores = Array.from({ length: 4 }, () => fixture.open(key));
    const counts = await Promise.all(stores.map((store) => store.countApiKeys()));
    assert.deepEqual(counts, [0, 0, 0, 0]);
    const applied = await fixture.sql("SELECT version FROM schema_migrations ORDER BY version");
    assert.deepEqual(
      applied.map((row) => row.version),
      POSTGRES_MIGRATIONS.map((m) => m.version),
    );
  });

  it("keeps event seqs gapless and the audit chain valid with two instances appending to one run", async () => {
    const key = randomBytes(32);
    const [a, b] = [fixture.open(key), fixture.open(key)] as [Store, Store];
    const run = await a.createRun({ workspace: "ws", agentId: "agent", userId: "u" });
    const per = 60;
    const appendFrom = (store: Store, name: string) =>
      Promise.all(
        Array.from({ length: per }, async (_, i) => {
          // Spread over several turns so each instance commits several batches that interleave.
          if (i % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
          return store.appendEvent("ws", run.id, { type: "TOOL_REQUEST", actor: name, data: { i } });
        }),
      );
    const [fromA, fromB] = await Promise.all([appendFrom(a, "a"), appendFrom(b, "b")]);
    const seqs = [...fromA, ...fromB].map((e) => e.seq).sort((x, y) => x - y);
    assert.deepEqual(
      seqs,
      Array.from({ length: 2 * per }, (_, i) => i + 1),
    );
    const events = await b.listEvents("ws", run.id);
    assert.equal(events.length, 2 * per);
    const exported = await exportRun(a, "ws", run.id);
    const summary = verifyAuditExport(exported);
    assert.deepEqual([summary.events, summary.unchained, summary.runs], [2 * per, 0, 1]);
  });

  it("feeds a reader every event appended by three instances at once, once each, in growing positions", async () => {
    const key = randomBytes(32);
    const writers = [fixture.open(key), fixture.open(key), fixture.open(key)];
    const reader = fixture.open(key);
    const start = await reader.lastFeedPosition();
    const runs = await Promise.all(
      writers.flatMap((store) =>
        [1, 2].map(async () => ({
          store,
          run: await store.createRun({ workspace: "fan", agentId: "a", userId: "u" }),
        })),
      ),
    );
    const appended = new Set<string>();
    let writing = true;
    const seen: string[] = [];
    const positions: number[] = [];
    const follow = (async () => {
      let after = start;
      while (writing || seen.length < appended.size) {
        const page = await reader.listFeed("fan", { after, limit: 25 });
        for (const event of page) {
          seen.push(`${event.runId}:${event.seq}`);
          positions.push(event.position);
          after = event.position;
        }
        if (page.length === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await Promise.all(
      runs.map(async ({ store, run }) => {
        for (let i = 0; i < 15; i++) {
          const events = await Promise.all(
            [0, 1].map((j) => store.appendEvent("fan", run.id, { type: "TOOL_REQUEST", data: { i, j } })),
          );
          for (const event of events) appended.add(`${run.id}:${event.seq}`);
        }
      }),
    );
    writing = false;
    await follow;
    assert.equal(seen.length, appended.size);
    assert.deepEqual(new Set(seen), appended);
    assert.deepEqual(
      positions,
      [...positions].sort((x, y) => x - y),
    );
    assert.equal(new Set(positions).size, positions.length);
  });

  it("shows a resource written through one instance in the other's read cache", async () => {
    const key = randomBytes(32);
    const [a, b] = [fixture.open(key), fixture.open(key)] as [ReturnType<typeof openPostgresStore>, Store];
    await b.putResource("ws", "policy", "shared", { v: 1 });
    await b.putResource("ws", "tool", "untouched", { v: 1 });
    await a.synced(); // the notifications of these first writes are in before a caches anything
    const untouched = await a.readResource("ws", "tool", "untouched");
    assert.equal((await a.readResource("ws", "policy", "shared"))?.version, 1);
    assert.equal((await a.readResource("ws", "policy", "shared"))?.version, 1, "served from the cache");
    await b.putResource("ws", "policy", "shared", { v: 2 });
    await a.synced();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual((await a.readResource("ws", "policy", "shared"))?.doc, { v: 2 });
    assert.equal(
      await a.readResource("ws", "tool", "untouched"),
      untouched,
      "only the written row is dropped",
    );
    await b.deleteResource("ws", "policy", "shared");
    await a.synced();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await a.readResource("ws", "policy", "shared"), undefined);
  });

  it("serves nothing from its cache while its listening connection is down, and listens again", async () => {
    const name = `relisten-${randomBytes(4).toString("hex")}`;
    const url = new URL(fixture.url);
    url.searchParams.set("application_name", name);
    const store = openPostgresStore(url.toString(), createSecretBox(randomBytes(32)));
    const listeners = async () =>
      (
        await fixture.sql(
          "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query IN ('LISTEN runagents_store', 'LISTEN runagents_events', 'SELECT 1')",
          [name],
        )
      ).map((row) => row.pid);
    try {
      await store.putResource("ws", "tool", "watched", { v: 1 });
      await store.synced();
      const [first] = await listeners();
      await fixture.sql("SELECT pg_terminate_backend($1)", [first]);
      await fixture.sql("UPDATE resources SET doc = $1 WHERE name = 'watched'", [JSON.stringify({ v: 2 })]);
      // Whether or not the store has noticed the loss yet, its next turn must not serve { v: 1 }
      // once it has: wait until the listener is gone, then read.
      await waitUntil(async () => !(await listeners()).includes(first), "the listener to go");
      await waitUntil(
        async () => (await store.getResource("ws", "tool", "watched"))?.doc.v === 2,
        "the store to read past its cache",
      );
      await waitUntil(async () => (await listeners()).length === 1, "the store to listen again");
      await store.synced();
      await fixture.sql("UPDATE resources SET doc = $1 WHERE name = 'watched'", [JSON.stringify({ v: 3 })]);
      await store.synced();
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual((await store.getResource("ws", "tool", "watched"))?.doc, { v: 3 });
    } finally {
      await store.close();
    }
  });

  it("tells one instance's feed listeners of events another instance appended", async () => {
    const key = randomBytes(32);
    const [a, b] = [fixture.open(key), fixture.open(key)] as [ReturnType<typeof openPostgresStore>, Store];
    await a.synced(); // a listens
    const run = await b.createRun({ workspace: "feed-fleet", agentId: "agent", userId: "u" });
    const told = new Promise<string[]>((resolve) => {
      const off = a.onEventsAppended((workspaces) => {
        off();
        resolve([...workspaces]);
      });
    });
    const event = await b.appendEvent("feed-fleet", run.id, { type: "USER_MESSAGE" });
    assert.deepEqual(await told, ["feed-fleet"]);
    const feed = await a.listFeed("feed-fleet", { after: 0, limit: 10 });
    assert.deepEqual(
      feed.map((e) => e.id),
      [event.id],
    );
  });

  it("keeps other instances' caches when it only claims (no notification without a change)", async () => {
    const key = randomBytes(32);
    const [a, b] = [fixture.open(key), fixture.open(key)] as [ReturnType<typeof openPostgresStore>, Store];
    await b.putResource("claim-ws", "resume_job", "job", { v: 1 });
    await a.synced();
    const cached = await a.readResource("claim-ws", "resume_job", "job");
    assert.equal(
      (await b.claimResources("claim-ws", "resume_job", "b", { limit: 1, leaseMs: 1000 })).length,
      1,
    );
    await b.releaseClaim("claim-ws", "resume_job", "job", "b", { dueAt: Date.now() + 1000 });
    await a.synced();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await a.readResource("claim-ws", "resume_job", "job"), cached, "still the cached record");
    await b.putResource("claim-ws", "resume_job", "job", { v: 2 });
    await a.synced();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual((await a.readResource("claim-ws", "resume_job", "job"))?.doc, { v: 2 });
  });

  it("reads secrets another instance sealed with the shared key", async () => {
    const key = randomBytes(32);
    await fixture.open(key).putSecret("ws", "provider:openai", { api_key: "sk-shared" });
    assert.deepEqual(await fixture.open(key).getSecret("ws", "provider:openai"), { api_key: "sk-shared" });
  });
});

describe("the PostgreSQL store without a database", () => {
  it("fails its first call with one line naming the problem", async () => {
    // A port nothing listens on: take one and close it.
    const server = (await import("node:net")).createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const store = openPostgresStore(
      `postgres://nobody@127.0.0.1:${port}/none`,
      createSecretBox(randomBytes(32)),
    );
    await assert.rejects(store.countApiKeys(), (error: Error) => {
      assert.equal(error.name, "PostgresStoreError");
      assert.match(error.message, /^PostgreSQL store: .*ECONNREFUSED/);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
    await store.close();
  });
});
