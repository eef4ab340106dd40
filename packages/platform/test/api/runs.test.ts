import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe("runs API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  const newRun = async (body: Record<string, unknown> = {}) => {
    const res = await platform.call("POST", "/runs", { agent_id: "support-bot", user_id: "alice", ...body });
    assert.equal(res.status, 201, res.text);
    return res.json as Record<string, any>;
  };

  it("creates a RUNNING run with derived invoke_url, aliases, timestamps and a RUN_CREATED event", async () => {
    const run = await newRun({ conversation_id: "conv-1", message: "hi there" });
    assert.match(run.id, /^[0-9a-f-]{36}$/);
    assert.equal(run.status, "RUNNING");
    assert.equal(run.agent_id, "support-bot");
    assert.equal(run.agent, "support-bot");
    assert.equal(run.user_id, "alice");
    assert.equal(run.conversation_id, "conv-1");
    assert.equal(run.namespace, "default");
    assert.equal(run.initial_message, "hi there");
    assert.equal(run.message, "hi there");
    assert.equal(run.blocked_action_id, "");
    assert.equal(run.invoke_url, `${platform.url}/api/v1/agents/support-bot/invoke`);
    assert.match(run.created_at, RFC3339);
    assert.match(run.updated_at, RFC3339);
    const events = (await platform.call("GET", `/runs/${run.id}/events`)).json as any[];
    assert.deepEqual(
      events.map((e) => [e.seq, e.type, e.actor]),
      [[1, "RUN_CREATED", "governance"]],
    );
  });

  it("derives the workspace form of invoke_url and keeps an explicit one", async () => {
    const ws = await platform.call("POST", `${platform.api}/workspaces/team-a/runs`, {
      agent_id: "bot",
      user_id: "u",
    });
    assert.equal(ws.status, 201);
    assert.equal((ws.json as any).invoke_url, `${platform.url}/api/v1/workspaces/team-a/agents/bot/invoke`);
    assert.equal((ws.json as any).namespace, "team-a");
    const explicit = await newRun({ invoke_url: "http://127.0.0.1:9999/invoke" });
    assert.equal(explicit.invoke_url, "http://127.0.0.1:9999/invoke");
    const other = await platform.call("GET", `/runs/${(ws.json as any).id}`);
    assert.equal(other.status, 404, "runs are scoped to their workspace");
  });

  it("rejects run bodies without agent_id or user_id, or with a bad invoke_url", async () => {
    const cases: [unknown, string][] = [
      [{ user_id: "u" }, "agent_id is required"],
      [{ agent_id: "a" }, "user_id is required"],
      [{ agent_id: "a", user_id: "u", invoke_url: "ftp://x" }, "invoke_url must be an absolute http(s) URL"],
      [{ agent_id: "a", user_id: "u", conversation_id: 5 }, "conversation_id must be a string"],
    ];
    for (const [body, error] of cases) {
      const res = await platform.call("POST", "/runs", body);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, { error });
    }
  });

  it("answers 404 with the contract's message for an unknown run", async () => {
    for (const [method, path, body] of [
      ["GET", "/runs/nope", undefined],
      ["PATCH", "/runs/nope", { status: "COMPLETED" }],
      ["GET", "/runs/nope/events", undefined],
      ["POST", "/runs/nope/events", { type: "USER_MESSAGE" }],
      ["POST", "/runs/nope/actions", { tool_id: "t" }],
    ] as const) {
      const res = await platform.call(method, path, body);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.deepEqual(res.json, { error: "run nope not found" });
    }
  });

  it("lists every run newest first, filtered by agent_id and status (PAUSED matches all paused states)", async () => {
    const a = await newRun({ agent_id: "lister" });
    const b = await newRun({ agent_id: "lister" });
    const c = await newRun({ agent_id: "lister" });
    await platform.call("PATCH", `/runs/${a.id}`, { status: "COMPLETED" });
    await platform.call("PATCH", `/runs/${b.id}`, { status: "PAUSED_CONSENT" });
    const all = (await platform.call("GET", "/runs?agent_id=lister")).json as any[];
    assert.deepEqual(all.map((r) => r.id).sort(), [a.id, b.id, c.id].sort());
    const stamps = all.map((r) => r.updated_at);
    assert.deepEqual(stamps, [...stamps].sort().reverse(), "most recently updated first");
    const paused = (await platform.call("GET", "/runs?agent_id=lister&status=PAUSED")).json as any[];
    assert.deepEqual(
      paused.map((r) => r.id),
      [b.id],
    );
    const done = (await platform.call("GET", "/runs?agent_id=lister&status=completed")).json as any[];
    assert.deepEqual(
      done.map((r) => r.id),
      [a.id],
    );
    const unfiltered = (await platform.call("GET", "/runs")).json as any[];
    assert.ok(
      unfiltered.some((r) => r.id === a.id),
      "finished runs are listed without a status filter",
    );
    const bad = await platform.call("GET", "/runs?status=DONE");
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, {
      error:
        "query parameter status must be one of RUNNING, PAUSED, PAUSED_APPROVAL, PAUSED_CONSENT, COMPLETED, FAILED",
    });
  });

  it("applies the transition rules and records COMPLETED / FAILED events", async () => {
    const run = await newRun();
    const step = async (status: string) => platform.call("PATCH", `/runs/${run.id}`, { status });
    assert.equal((await step("PAUSED_APPROVAL")).status, 200);
    const bad = await step("COMPLETED");
    assert.equal(bad.status, 409);
    assert.deepEqual(bad.json, { error: "invalid transition from PAUSED_APPROVAL to COMPLETED" });
    assert.equal((await step("RUNNING")).status, 200);
    const done = await step("COMPLETED");
    assert.equal(done.status, 200);
    assert.equal((done.json as any).status, "COMPLETED");
    const again = await step("RUNNING");
    assert.equal(again.status, 409);
    assert.deepEqual(again.json, { error: "invalid transition from COMPLETED to RUNNING" });
    const events = (await platform.call("GET", `/runs/${run.id}/events`)).json as any[];
    assert.deepEqual(
      events.map((e) => e.type),
      ["RUN_CREATED", "COMPLETED"],
    );

    const failing = await newRun();
    const failed = await platform.call("PATCH", `/runs/${failing.id}`, { status: "FAILED", error: "boom" });
    assert.equal(failed.status, 200);
    const last = ((await platform.call("GET", `/runs/${failing.id}/events?limit=1`)).json as any[])[0];
    assert.equal(last.type, "FAILED");
    assert.deepEqual(last.data, { error: "boom" });
  });

  it("accepts only the patchable statuses", async () => {
    const run = await newRun();
    for (const [body, error] of [
      [{}, "status is required"],
      [
        { status: "PAUSED" },
        "status must be one of COMPLETED, FAILED, PAUSED_APPROVAL, PAUSED_CONSENT, RUNNING",
      ],
      [{ status: 3 }, "status must be one of COMPLETED, FAILED, PAUSED_APPROVAL, PAUSED_CONSENT, RUNNING"],
    ] as const) {
      const res = await platform.call("PATCH", `/runs/${run.id}`, body);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, { error });
    }
  });

  it("lets exactly one of two racing PATCHes end the run", async () => {
    const run = await newRun();
    const results = await Promise.all(
      ["COMPLETED", "FAILED"].map((status) => platform.call("PATCH", `/runs/${run.id}`, { status })),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
    const events = (await platform.call("GET", `/runs/${run.id}/events`)).json as any[];
    assert.equal(events.filter((e) => e.type === "COMPLETED" || e.type === "FAILED").length, 1);
  });

  it("appends events with server-assigned seq, aliases and data", async () => {
    const run = await newRun();
    const res = await platform.call("POST", `/runs/${run.id}/events`, {
      type: "USER_MESSAGE",
      actor: "alice",
      payload_hash: "sha256:abc",
      data: { content: "hello" },
    });
    assert.equal(res.status, 201);
    const event = res.json as Record<string, any>;
    assert.equal(event.seq, 2);
    assert.equal(event.sequence, 2);
    assert.equal(event.event_id, event.id);
    assert.equal(event.run_id, run.id);
    assert.equal(event.type, "USER_MESSAGE");
    assert.equal(event.actor, "alice");
    assert.equal(event.payload_hash, "sha256:abc");
    assert.deepEqual(event.data, { content: "hello" });
    assert.equal(event.message, "hello");
    assert.match(event.timestamp, RFC3339);
    assert.equal(event.created_at, event.timestamp);
    const alias = await platform.call("POST", `/runs/${run.id}/events`, { type: "llm_call" });
    assert.equal(alias.status, 201);
    assert.equal((alias.json as any).type, "LLM_CALL");
  });

  it("rejects events with a bad type or data", async () => {
    const run = await newRun();
    const noType = await platform.call("POST", `/runs/${run.id}/events`, {});
    assert.deepEqual([noType.status, noType.json], [400, { error: "type is required" }]);
    const badType = await platform.call("POST", `/runs/${run.id}/events`, { type: "SOMETHING" });
    assert.equal(badType.status, 400);
    assert.match((badType.json as any).error, /^type must be one of USER_MESSAGE, .*, ERROR$/);
    const badData = await platform.call("POST", `/runs/${run.id}/events`, {
      type: "USER_MESSAGE",
      data: [1],
    });
    assert.deepEqual([badData.status, badData.json], [400, { error: "data must be an object" }]);
  });

  it("refuses lifecycle events on a finished run but still records others", async () => {
    const run = await newRun();
    await platform.call("PATCH", `/runs/${run.id}`, { status: "COMPLETED" });
    const res = await platform.call("POST", `/runs/${run.id}/events`, { type: "RESUMED" });
    assert.equal(res.status, 409);
    assert.deepEqual(res.json, { error: `run ${run.id} is COMPLETED, cannot append RESUMED` });
    const late = await platform.call("POST", `/runs/${run.id}/events`, { type: "TOOL_RESPONSE" });
    assert.equal(late.status, 201);
  });

  it("limits the list to the newest `limit` runs, after the user and conversation filters", async () => {
    const ids = async (query: string) =>
      ((await platform.call("GET", `/runs?agent_id=limited${query}`)).json as any[]).map((r) => r.id);
    for (let i = 0; i < 4; i++) await newRun({ agent_id: "limited", user_id: i % 2 ? "odd" : "even" });
    await newRun({ agent_id: "limited", user_id: "odd", conversation_id: "c-1" });
    const all = await ids("");
    assert.equal(all.length, 5);
    assert.deepEqual(await ids("&limit=2"), all.slice(0, 2));
    assert.deepEqual(await ids("&limit=1000"), all);
    const odd = await ids("&user_id=odd");
    assert.equal(odd.length, 3);
    assert.deepEqual(await ids("&user_id=odd&limit=2"), odd.slice(0, 2));
    assert.equal((await ids("&conversation_id=c-1&limit=1")).length, 1);
    for (const bad of ["0", "-1", "1.5", "ten", "1001"]) {
      const res = await platform.call("GET", `/runs?limit=${bad}`);
      assert.deepEqual(
        [res.status, res.json],
        [400, { error: "query parameter limit must be an integer from 1 to 1000" }],
        bad,
      );
    }
  });

  it("pages events: limit alone is a tail, after_seq pages forward", async () => {
    const run = await newRun();
    for (let i = 0; i < 5; i++) {
      await platform.call("POST", `/runs/${run.id}/events`, { type: "AGENT_MESSAGE", data: { n: i } });
    }
    const seqs = async (query: string) =>
      ((await platform.call("GET", `/runs/${run.id}/events${query}`)).json as any[]).map((e) => e.seq);
    assert.deepEqual(await seqs(""), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(await seqs("?limit=2"), [5, 6]);
    assert.deepEqual(await seqs("?after_seq=0&limit=2"), [1, 2]);
    assert.deepEqual(await seqs("?after_seq=2&limit=2"), [3, 4]);
    assert.deepEqual(await seqs("?after_seq=4"), [5, 6]);
    assert.deepEqual(await seqs("?type=agent_message"), [2, 3, 4, 5, 6]);
    assert.deepEqual(await seqs("?type=AGENT_MESSAGE&limit=2"), [5, 6]);
    assert.deepEqual(await seqs("?type=RUN_CREATED&after_seq=0&limit=2"), [1]);
    assert.deepEqual(await seqs("?type=NO_SUCH_TYPE"), []);
    for (const [query, error] of [
      ["?limit=0", "query parameter limit must be an integer >= 1"],
      ["?after_seq=-1", "query parameter after_seq must be an integer >= 0"],
    ]) {
      const res = await platform.call("GET", `/runs/${run.id}/events${query}`);
      assert.deepEqual([res.status, res.json], [400, { error }]);
    }
  });

  it("gives 50 concurrent appends to one run gapless seq values", async () => {
    const run = await newRun();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        platform.call("POST", `/runs/${run.id}/events`, { type: "TOOL_REQUEST", data: { i } }),
      ),
    );
    assert.ok(results.every((r) => r.status === 201));
    const assigned = results.map((r) => (r.json as any).seq).sort((a, b) => a - b);
    assert.deepEqual(
      assigned,
      Array.from({ length: 50 }, (_, i) => i + 2),
    );
    const listed = ((await platform.call("GET", `/runs/${run.id}/events`)).json as any[]).map((e) => e.seq);
    assert.deepEqual(
      listed,
      Array.from({ length: 51 }, (_, i) => i + 1),
    );
  });
});
