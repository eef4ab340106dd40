/**
 * The Store contract, on every backend (test/helpers/stores.ts): what the platform relies on from
 * any store, asserted the same way on SQLite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Store } from "../../src/store/store.js";
import { assertChainStartsAfterUnchained } from "../helpers/audit-chain.js";
import { type StoreFixture, storeBackends } from "../helpers/stores.js";

const key = (id: string, hash: string, workspace = "default", second = 1) => ({
  id,
  workspace,
  name: id,
  prefix: "ra_ws_",
  last4: "abcd",
  hash,
  createdAt: `2026-01-01T00:00:0${second}.000Z`,
  lastUsedAt: "",
  expiresAt: "",
  role: "operator",
  groups: ["finance"],
});

for (const backend of await storeBackends()) {
  describe(`the store contract on ${backend.name}`, { skip: backend.skip }, () => {
    let fixture: StoreFixture;
    let store: Store;
    before(async () => {
      fixture = await backend.fixture();
      store = fixture.open();
    });
    after(() => fixture?.dispose());

    it("versions resources: created at 1, one more per write, conflicts named with the current version", async () => {
      const first = await store.putResource("ws", "agent", "a", { n: 1 });
      assert.deepEqual([first.created, first.record.version, first.record.doc], [true, 1, { n: 1 }]);
      const second = await store.putResource("ws", "agent", "a", { n: 2 });
      assert.deepEqual([second.created, second.record.version], [false, 2]);
      assert.equal(second.record.createdAt, first.record.createdAt);
      await assert.rejects(store.putResource("ws", "agent", "a", { n: 3 }, { expectedVersion: 1 }), {
        name: "VersionConflictError",
        message: "version conflict: expected 1, current is 2",
      });
      await assert.rejects(store.putResource("ws", "agent", "a", { n: 3 }, { expectedVersion: 0 }), {
        message: "version conflict: expected 0, current is 2",
      });
      await assert.rejects(store.putResource("ws", "agent", "none", {}, { expectedVersion: 4 }), {
        message: "version conflict: expected 4, current is 0",
      });
      const third = await store.putResource("ws", "agent", "a", { n: 3 }, { expectedVersion: 2 });
      assert.deepEqual([third.created, third.record.version], [false, 3]);
      assert.deepEqual((await store.getResource("ws", "agent", "a"))?.doc, { n: 3 });
      assert.equal(await store.getResource("other", "agent", "a"), undefined);
    });

    it("lets exactly one of many concurrent create-only writes win (idempotency keys)", async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          store.putResource("ws", "idempotency", "key-1", { attempt: i }, { expectedVersion: 0 }),
        ),
      );
      assert.equal(outcomes.filter((o) => o.status === "fulfilled").length, 1);
      assert.equal((await store.getResource("ws", "idempotency", "key-1"))?.version, 1);
    });

    it("reads the last of several concurrent writes to one resource, not an earlier one", async () => {
      const writes = await Promise.all(
        Array.from({ length: 6 }, (_, i) => store.putResource("ws", "setting", "hot", { i })),
      );
      const last = writes.reduce((a, b) => (b.record.version > a.record.version ? b : a));
      assert.equal(last.record.version, 6);
      const read = await store.readResource("ws", "setting", "hot");
      assert.deepEqual([read?.version, read?.doc], [6, last.record.doc]);
    });

    it("lists resources of one kind in a workspace by name, in byte order", async () => {
      for (const name of ["b", "B", "a-2", "a"]) await store.putResource("ws", "tool", name, { name });
      await store.putResource("ws2", "tool", "zz", {});
      assert.deepEqual(
        (await store.listResources("ws", "tool")).map((r) => r.name),
        ["B", "a", "a-2", "b"],
      );
      assert.equal(await store.deleteResource("ws", "tool", "B"), true);
      assert.deepEqual(
        (await store.listResources("ws", "tool")).map((r) => r.name),
        ["a", "a-2", "b"],
      );
    });

    it("creates a run with its first events, chained from seq 1; a taken id fails alone", async () => {
      const { run, events } = await store.createRunWithEvents(
        { workspace: "cw", agentId: "a", userId: "u", status: "RUNNING", initialMessage: "hi" },
        [
          { type: "RUN_CREATED", data: { n: 1 } },
          { type: "USER_MESSAGE", actor: "u" },
        ],
      );
      assert.deepEqual(
        events.map((e) => [e.seq, e.type, e.runId]),
        [
          [1, "RUN_CREATED", run.id],
          [2, "USER_MESSAGE", run.id],
        ],
      );
      assert.deepEqual(await store.getRun("cw", run.id), run);
      assert.equal(run.initialMessage, "hi");
      assert.equal(run.updatedAt >= run.createdAt, true);
      // A taken id in the same turn as another run's append: that append still lands.
      const [taken, appended] = await Promise.allSettled([
        store.createRunWithEvents({ id: run.id, workspace: "cw", agentId: "b", userId: "x" }, [
          { type: "RUN_CREATED" },
        ]),
        store.appendEvent("cw", run.id, { type: "AGENT_MESSAGE" }),
      ]);
      assert.equal(taken.status, "rejected");
      assert.equal(appended.status === "fulfilled" && appended.value.seq, 3);
      assert.equal((await store.getRun("cw", run.id))?.agentId, "a");
      const chained = await store.listChainedEvents("cw", run.id, { afterSeq: 0, limit: 10 });
      assert.deepEqual(
        chained.map((e) => e.type),
        ["RUN_CREATED", "USER_MESSAGE", "AGENT_MESSAGE"],
      );
      for (const [i, event] of chained.entries())
        assert.equal(event.prevHash, i === 0 ? "" : chained[i - 1]?.hash);
    });

    it("creates, filters and conditionally updates runs", async () => {
      const one = await store.createRun({ workspace: "ws", agentId: "a1", userId: "u", conversationId: "c" });
      const two = await store.createRun({
        workspace: "ws",
        agentId: "a2",
        userId: "u",
        status: "PAUSED_APPROVAL",
      });
      await store.createRun({ workspace: "elsewhere", agentId: "a1", userId: "u" });
      assert.deepEqual(await store.getRun("ws", one.id), one);
      assert.equal(await store.getRun("elsewhere", one.id), undefined);
      assert.deepEqual(
        (await store.listRuns("ws", { agentId: "a1" })).map((r) => r.id),
        [one.id],
      );
      assert.deepEqual(
        (await store.listRuns("ws", { status: ["PAUSED_APPROVAL"] })).map((r) => r.id),
        [two.id],
      );
      const ids = async (filter: Parameters<Store["listRuns"]>[1]) =>
        (await store.listRuns("ws", filter)).map((r) => r.id);
      assert.deepEqual(await ids({ conversationId: "c" }), [one.id]);
      assert.deepEqual((await ids({ userId: "u" })).sort(), [one.id, two.id].sort());
      assert.deepEqual(await ids({ userId: "nobody" }), []);
      assert.deepEqual(await ids({ limit: 1 }), (await ids({})).slice(0, 1));
      assert.equal((await ids({ limit: 1 })).length, 1);
      assert.equal((await store.listRunsWithStatus(["PAUSED_APPROVAL"])).length, 1);
      assert.deepEqual(await store.listRunsWithStatus([]), []);
      assert.equal(
        await store.updateRun("ws", one.id, { status: "COMPLETED" }, ["PAUSED_APPROVAL"]),
        undefined,
      );
      const resumed = await store.updateRun("ws", two.id, { status: "RUNNING", owner: "boot-1" }, [
        "PAUSED_APPROVAL",
      ]);
      assert.deepEqual(
        [resumed?.status, resumed?.owner, resumed?.blockedActionId],
        ["RUNNING", "boot-1", ""],
      );
      assert.equal((await store.getRun("ws", two.id))?.owner, "boot-1");
      assert.equal(await store.updateRun("ws", "no-such-run", { status: "FAILED" }), undefined);
    });

    it("appends events with gapless seqs, reads them by window, and refuses unknown runs", async () => {
      const run = await store.createRun({ workspace: "ws", agentId: "a", userId: "u" });
      const appended = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.appendEvent("ws", run.id, { type: "TOOL_REQUEST", data: { i } }),
        ),
      );
      assert.deepEqual(
        appended.map((e) => e.seq),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      const typed = await store.createRun({ workspace: "ws", agentId: "a", userId: "u" });
      for (const type of ["USER_MESSAGE", "TOOL_REQUEST", "COMPLETED"])
        await store.appendEvent("ws", typed.id, { type });
      assert.deepEqual(
        (await store.listEvents("ws", typed.id, { type: "TOOL_REQUEST" })).map((e) => [e.seq, e.type]),
        [[2, "TOOL_REQUEST"]],
      );
      await assert.rejects(store.appendEvent("other", run.id, { type: "X" }), {
        message: `run ${run.id} not found`,
      });
      await assert.rejects(store.appendEvent("ws", "missing", { type: "X" }), {
        message: "run missing not found",
      });
      const events = await store.listEvents("ws", run.id);
      assert.deepEqual(
        events.map((e) => (e.data as { i: number }).i),
        Array.from({ length: 20 }, (_, i) => i),
      );
      assert.deepEqual(
        (await store.listEvents("ws", run.id, { afterSeq: 5, limit: 3 })).map((e) => e.seq),
        [6, 7, 8],
      );
      assert.deepEqual(
        (await store.listEvents("ws", run.id, { tail: 2 })).map((e) => e.seq),
        [19, 20],
      );
      assert.deepEqual(await store.listEvents("other", run.id), []);
      const chained = await store.listChainedEvents("ws", run.id, { afterSeq: 0, limit: 100 });
      assert.equal(chained.length, 20);
      for (const [i, event] of chained.entries()) {
        assert.equal(event.prevHash, i === 0 ? "" : chained[i - 1]?.hash);
        assert.equal(event.dataText, JSON.stringify({ i }));
      }
      assert.ok(((await store.getRun("ws", run.id))?.updatedAt ?? "") >= (appended[19]?.timestamp ?? "~"));
    });

    it("ends a run and appends its outcome in one step: concurrent readers never see one without the other", async () => {
      const other = fixture.open();
      const runs = await Promise.all(
        Array.from({ length: 24 }, () => store.createRun({ workspace: "ends", agentId: "a", userId: "u" })),
      );
      let writing = true;
      const violations: string[] = [];
      const seen = new Set<string>();
      // Readers on this store and on another connection poll status, then the events, until the
      // writers are done and every run has been seen ended.
      const reader = async (from: Store) => {
        while (writing || seen.size < runs.length) {
          for (const run of runs) {
            const current = await from.getRun("ends", run.id);
            if (current?.status !== "COMPLETED") continue;
            seen.add(run.id);
            const types = (await from.listEvents("ends", run.id)).map((e) => e.type);
            if (!types.includes("COMPLETED") || !types.includes("AGENT_MESSAGE")) {
              violations.push(`${run.id}: COMPLETED with events ${types.join(",")}`);
            }
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      const readers = [reader(store), reader(other), reader(other)];
      await Promise.all(
        runs.map(async (run, i) => {
          const writer = i % 2 === 0 ? store : other;
          await writer.appendEvent("ends", run.id, { type: "RUN_CREATED" });
          const ended = await writer.updateRunWithEvents(
            "ends",
            run.id,
            { status: "COMPLETED" },
            ["RUNNING"],
            [
              { type: "INVOKE_COMPLETED", data: { i } },
              { type: "AGENT_MESSAGE", data: { message: "ok" } },
              { type: "COMPLETED" },
            ],
          );
          assert.equal(ended?.run.status, "COMPLETED");
          assert.deepEqual(
            ended?.events.map((e) => [e.seq, e.type]),
            [
              [2, "INVOKE_COMPLETED"],
              [3, "AGENT_MESSAGE"],
              [4, "COMPLETED"],
            ],
          );
        }),
      );
      writing = false;
      await Promise.all(readers);
      assert.deepEqual(violations, []);
      assert.equal(seen.size, runs.length);
    });

    it("lets one of two concurrent endings win: the loser writes nothing, and nothing lands after", async () => {
      const other = fixture.open();
      for (let round = 0; round < 6; round++) {
        const run = await store.createRun({ workspace: "cas", agentId: "a", userId: "u" });
        await store.appendEvent("cas", run.id, { type: "RUN_CREATED" });
        const outcomes = await Promise.all(
          (["COMPLETED", "FAILED"] as const).map((status, i) =>
            (i === round % 2 ? store : other).updateRunWithEvents(
              "cas",
              run.id,
              { status },
              ["RUNNING"],
              [{ type: status, data: { by: i } }],
            ),
          ),
        );
        const winners = outcomes.filter((o) => o !== undefined);
        assert.equal(winners.length, 1);
        const winner = winners[0];
        await fixture.settle(store);
        assert.equal((await store.getRun("cas", run.id))?.status, winner?.run.status);
        await assert.rejects(other.appendEvent("cas", run.id, { type: "TOOL_REQUEST", whileActive: true }), {
          name: "RunEndedError",
        });
        await store.appendEvent("cas", run.id, { type: "WEBHOOK_DELIVERED" });
        const events = await store.listChainedEvents("cas", run.id, { afterSeq: 0, limit: 10 });
        assert.deepEqual(
          events.map((e) => [e.seq, e.type]),
          [
            [1, "RUN_CREATED"],
            [2, winner?.run.status],
            [3, "WEBHOOK_DELIVERED"],
          ],
        );
        for (const [i, event] of events.entries())
          assert.equal(event.prevHash, i === 0 ? "" : events[i - 1]?.hash);
      }
      assert.equal(
        await store.updateRunWithEvents(
          "cas",
          "no-such-run",
          { status: "FAILED" },
          ["RUNNING"],
          [{ type: "FAILED" }],
        ),
        undefined,
      );
    });

    it("lands no active-only event after an ending another connection commits while they are appended", async () => {
      const other = fixture.open();
      for (let round = 0; round < 4; round++) {
        const run = await store.createRun({ workspace: "late", agentId: "a", userId: "u" });
        const late = (async () => {
          const outcomes: string[] = [];
          for (let i = 0; i < 20; i++) {
            const tries = await Promise.allSettled(
              [0, 1].map(() => store.appendEvent("late", run.id, { type: "TOOL_CALLED", whileActive: true })),
            );
            for (const t of tries) outcomes.push(t.status === "fulfilled" ? "ok" : (t.reason as Error).name);
            await new Promise((resolve) => setImmediate(resolve));
          }
          return outcomes;
        })();
        await new Promise((resolve) => setImmediate(resolve));
        const ended = await other.updateRunWithEvents(
          "late",
          run.id,
          { status: "FAILED" },
          ["RUNNING"],
          [{ type: "FAILED", data: { round } }],
        );
        assert.equal(ended?.run.status, "FAILED");
        const outcomes = await late;
        assert.deepEqual(
          new Set(outcomes.filter((o) => o !== "ok")),
          new Set(outcomes.includes("RunEndedError") ? ["RunEndedError"] : []),
        );
        const events = await store.listChainedEvents("late", run.id, { afterSeq: 0, limit: 100 });
        const types = events.map((e) => e.type);
        assert.equal(types.at(-1), "FAILED");
        assert.equal(
          types.filter((t) => t === "TOOL_CALLED").length,
          outcomes.filter((o) => o === "ok").length,
        );
        assert.deepEqual(
          events.map((e) => e.seq),
          events.map((_, i) => i + 1),
        );
        for (const [i, event] of events.entries())
          assert.equal(event.prevHash, i === 0 ? "" : events[i - 1]?.hash);
      }
    });

    it("tells resource listeners after each write and delete, and not after unsubscribing", async () => {
      const told: string[] = [];
      const unsubscribe = store.onResourceChanged((c) => told.push(`${c.workspace}/${c.kind}/${c.name}`));
      await store.putResource("changes", "access_request", "req-1", { status: "PENDING" });
      await store.putResource("changes", "agent", "bot", { spec: {} });
      await assert.rejects(
        store.putResource("changes", "agent", "bot", { spec: {} }, { expectedVersion: 7 }),
        { name: "VersionConflictError" },
      );
      assert.equal(await store.deleteResource("changes", "agent", "bot"), true);
      assert.equal(await store.deleteResource("changes", "agent", "nobody"), false);
      unsubscribe();
      await store.putResource("changes", "agent", "after", { spec: {} });
      assert.deepEqual(told, ["changes/access_request/req-1", "changes/agent/bot", "changes/agent/bot"]);
    });

    it("feeds a workspace's events in commit order with growing positions, filtered, and tells listeners", async () => {
      const start = await store.lastFeedPosition();
      const told: string[][] = [];
      const unsubscribe = store.onEventsAppended((workspaces) => told.push([...workspaces]));
      const a = await store.createRun({ workspace: "feed", agentId: "agent-a", userId: "u" });
      const b = await store.createRun({ workspace: "feed", agentId: "agent-b", userId: "u" });
      const elsewhere = await store.createRun({ workspace: "feed-other", agentId: "agent-a", userId: "u" });
      await store.appendEvent("feed", a.id, { type: "USER_MESSAGE" });
      await Promise.all([
        store.appendEvent("feed", b.id, { type: "TOOL_REQUEST" }),
        store.appendEvent("feed-other", elsewhere.id, { type: "TOOL_REQUEST" }),
      ]);
      await store.appendEvent("feed", a.id, { type: "COMPLETED" });
      unsubscribe();
      await store.appendEvent("feed", a.id, { type: "AFTER_UNSUBSCRIBE" });

      const all = await store.listFeed("feed", { after: start, limit: 100 });
      assert.deepEqual(
        all.map((e) => [e.runId, e.seq, e.type, e.agentId]),
        [
          [a.id, 1, "USER_MESSAGE", "agent-a"],
          [b.id, 1, "TOOL_REQUEST", "agent-b"],
          [a.id, 2, "COMPLETED", "agent-a"],
          [a.id, 3, "AFTER_UNSUBSCRIBE", "agent-a"],
        ],
      );
      const positions = all.map((e) => e.position);
      assert.deepEqual(
        [...positions].sort((x, y) => x - y),
        positions,
      );
      assert.equal(new Set(positions).size, positions.length);
      assert.ok((positions[0] ?? 0) > start);
      assert.equal(await store.lastFeedPosition(), positions.at(-1));
      const [first] = all;
      assert.deepEqual(
        (await store.listFeed("feed", { after: first?.position ?? 0, limit: 1 })).map((e) => e.type),
        ["TOOL_REQUEST"],
      );
      assert.deepEqual(
        (
          await store.listFeed("feed", { after: start, limit: 10, agentId: "agent-a", types: ["COMPLETED"] })
        ).map((e) => e.seq),
        [2],
      );
      assert.deepEqual(
        (await store.listFeed("feed", { after: start, limit: 10, runId: b.id })).map((e) => e.type),
        ["TOOL_REQUEST"],
      );
      // One call per commit; appends made together commit together. Nothing after the unsubscribe.
      assert.deepEqual(
        told.map((workspaces) => workspaces.sort()),
        [["feed"], ["feed", "feed-other"], ["feed"]],
      );
    });

    it("keeps events stored before the chain unchained and chains the ones after them", async () => {
      await fixture.sql(
        `INSERT INTO runs (id, workspace, agent_id, user_id, conversation_id, status, created_at, updated_at)
         VALUES ('run-old', 'audit', 'a', 'u', '', 'RUNNING', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z')`,
      );
      for (const seq of [1, 2]) {
        await fixture.sql(
          `INSERT INTO run_events (run_id, seq, id, type, actor, payload_hash, data, created_at)
           VALUES ('run-old', $1, $2, 'USER_MESSAGE', 'u', '', '{}', $3)`,
          [seq, `id-${seq}`, `2026-01-01T00:00:0${seq - 1}.000Z`],
        );
      }
      await assertChainStartsAfterUnchained(store, "audit", "run-old");
    });

    it("pages runs in a time window in creation order", async () => {
      const made = [];
      for (let i = 0; i < 3; i++)
        made.push(await store.createRun({ workspace: "window", agentId: "a", userId: "u" }));
      const first = await store.listRunsInWindow("window", { limit: 2 });
      assert.equal(first.length, 2);
      const last = first[1] as (typeof first)[number];
      const rest = await store.listRunsInWindow("window", { limit: 2, after: last });
      assert.deepEqual([...first, ...rest].map((r) => r.id).sort(), made.map((r) => r.id).sort());
      assert.deepEqual(
        await store.listRunsInWindow("window", { limit: 5, to: "2000-01-01T00:00:00.000Z" }),
        [],
      );
    });

    it("encrypts secrets at rest, opens them with the same key in another process, and not with another", async () => {
      await store.putSecret("ws", "tool:pay", { token: "s3cr3t-value" });
      await store.putSecret("ws", "tool:pay-2", { token: "x" });
      await store.putSecret("ws", "tool_pay", { token: "y" });
      const [row] = await fixture.sql("SELECT sealed FROM secrets WHERE name = $1", ["tool:pay"]);
      assert.match(String(row?.sealed), /^v1\./);
      assert.ok(!String(row?.sealed).includes("s3cr3t"));
      assert.deepEqual(await store.getSecret("ws", "tool:pay"), { token: "s3cr3t-value" });
      assert.equal(await store.getSecret("other", "tool:pay"), undefined);
      await assert.rejects(
        fixture.open(randomBytes(32)).getSecret("ws", "tool:pay"),
        /cannot decrypt a stored secret/,
      );
      assert.equal(await store.deleteSecretsWithPrefix("ws", "tool:pay"), 2);
      assert.deepEqual(await store.getSecret("ws", "tool_pay"), { token: "y" });
      await store.deleteSecret("ws", "tool_pay");
      assert.equal(await store.getSecret("ws", "tool_pay"), undefined);
    });

    it("stores API keys with their role and groups, finds them by hash and updates them", async () => {
      await store.createApiKey(key("k-one", "hash-1"));
      await store.createApiKey({ ...key("k-two", "hash-2", "team", 2), actForUsers: true });
      assert.deepEqual(
        (await store.listApiKeys()).map((k) => k.id),
        ["k-one", "k-two"],
      );
      assert.deepEqual(
        (await store.listApiKeys("team")).map((k) => [k.id, k.actForUsers]),
        [["k-two", true]],
      );
      const found = await store.findApiKeyByHash("hash-1");
      assert.deepEqual([found?.role, found?.groups, found?.actForUsers], ["operator", ["finance"], false]);
      await store.updateApiKey("k-one", { hash: "hash-1b", lastUsedAt: "2026-02-02T00:00:00.000Z" });
      assert.equal(await store.findApiKeyByHash("hash-1"), undefined);
      assert.equal((await store.findApiKeyByHash("hash-1b"))?.lastUsedAt, "2026-02-02T00:00:00.000Z");
      assert.equal(await store.deleteApiKey("default", "k-two"), false);
      assert.equal(await store.deleteApiKey("team", "k-two"), true);
      assert.equal(await store.countApiKeys(), 1);
    });

    it("lists the workspaces anything is stored in, once each and sorted; by resource kind without runs", async () => {
      await store.createRun({ workspace: "wl-runs", agentId: "a1", userId: "u" });
      await store.createRun({ workspace: "wl-runs", agentId: "a2", userId: "u" });
      await store.putResource("wl-idp", "identity_provider", "corp", { name: "corp" });
      await store.createApiKey(key("wl-k", "hash-wl", "wl-keys", 3));
      const all = await store.listWorkspaces();
      assert.deepEqual(all, [...new Set(all)].sort(), "unique and sorted");
      for (const ws of ["wl-idp", "wl-keys", "wl-runs"]) assert.ok(all.includes(ws), `${ws} in ${all}`);
      const withProviders = await store.listWorkspaces("identity_provider");
      assert.ok(withProviders.includes("wl-idp"));
      assert.ok(!withProviders.includes("wl-runs") && !withProviders.includes("wl-keys"));
    });

    it("claims due resources for one owner at a time, renews, releases and hands lapsed claims on", async () => {
      const now = Date.now();
      await store.putResource("claims", "resume_job", "a", { n: 1 });
      await store.putResource("claims", "resume_job", "b", { n: 2 }, { dueAt: now + 60_000 });
      await store.putResource("claims", "resume_job", "c", { n: 3 });
      await store.putResource("claims", "setting", "not-a-job", { n: 4 });
      const first = await store.claimResources("claims", "resume_job", "one", { limit: 10, leaseMs: 30_000 });
      assert.deepEqual(
        first.map((r) => [r.name, r.doc, r.version]),
        [
          ["a", { n: 1 }, 1],
          ["c", { n: 3 }, 1],
        ],
      );
      // Claimed: nobody else gets them; not due: nobody gets it yet.
      assert.deepEqual(
        await store.claimResources("claims", "resume_job", "two", { limit: 10, leaseMs: 30_000 }),
        [],
      );
      assert.equal(await store.renewClaim("claims", "resume_job", "a", "one", 30_000), true);
      assert.equal(await store.renewClaim("claims", "resume_job", "a", "two", 30_000), false);
      // Releasing with a due time: back in the queue, once due.
      await store.releaseClaim("claims", "resume_job", "a", "one", { dueAt: now + 1000 });
      await store.releaseClaim("claims", "resume_job", "c", "two"); // not its claim: no effect
      assert.deepEqual(
        (
          await store.claimResources("claims", "resume_job", "two", {
            limit: 10,
            leaseMs: 30_000,
            now: now + 1000,
          })
        ).map((r) => r.name),
        ["a"],
      );
      // A lapsed claim goes to the next claimer; the due one too, in due order.
      assert.deepEqual(
        (
          await store.claimResources("claims", "resume_job", "three", {
            limit: 10,
            leaseMs: 1000,
            now: now + 61_000,
          })
        ).map((r) => r.name),
        ["c", "a", "b"],
      );
      // A claim is not a write: the document and version stay; a write keeps the claim.
      const written = await store.putResource("claims", "resume_job", "c", { n: 30 });
      assert.equal(written.record.version, 2);
      assert.deepEqual(
        await store.claimResources("claims", "resume_job", "four", {
          limit: 10,
          leaseMs: 1000,
          now: now + 61_500,
        }),
        [],
      );
      assert.equal(await store.releaseClaims("three"), 3);
      assert.deepEqual(
        (
          await store.claimResources("claims", "resume_job", "four", {
            limit: 2,
            leaseMs: 1000,
            now: now + 61_500,
          })
        ).map((r) => [r.name, r.version]),
        [
          ["c", 2],
          ["a", 1],
        ],
      );
      assert.equal(await store.deleteResource("claims", "resume_job", "a"), true);
      assert.deepEqual(await store.getResource("claims", "setting", "not-a-job").then((r) => r?.doc), {
        n: 4,
      });
    });

    it("gives each item to exactly one of many concurrent claimers on separate connections", async () => {
      const names = Array.from({ length: 60 }, (_, i) => `job-${String(i).padStart(2, "0")}`);
      for (const name of names) await store.putResource("race", "resume_job", name, { name });
      const others = [store, fixture.open(), fixture.open(), fixture.open()];
      const claimed: string[] = [];
      await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const claimer = others[i % others.length] as Store;
          for (;;) {
            const got = await claimer.claimResources("race", "resume_job", `claimer-${i}`, {
              limit: 3,
              leaseMs: 60_000,
            });
            if (got.length === 0) return;
            claimed.push(...got.map((r) => r.name));
          }
        }),
      );
      assert.deepEqual([...claimed].sort(), names);
    });

    it("adds concurrent increments from several processes up, creating the resource on the first", async () => {
      const other = fixture.open();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? store : other).incrementResource(
            "spend",
            "model_usage",
            "agent|p|m|2026-01",
            { model: "m", last_used_at: `t${i}` },
            { requests: 1, input_tokens: 10, estimated_spend_usd: 0.1 },
          ),
        ),
      );
      await fixture.settle(store);
      const record = await store.getResource("spend", "model_usage", "agent|p|m|2026-01");
      assert.equal(record?.version, 20);
      assert.equal(record?.doc.requests, 20);
      assert.equal(record?.doc.input_tokens, 200);
      assert.ok(Math.abs((record?.doc.estimated_spend_usd as number) - 2) < 1e-9);
      assert.equal(record?.doc.model, "m");
      // A field that is not a number counts as 0.
      await store.putResource("spend", "model_usage", "odd", { requests: "many" });
      const odd = await store.incrementResource("spend", "model_usage", "odd", {}, { requests: 2 });
      assert.equal(odd.doc.requests, 2);
    });
  });
}
