import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RunAgentsTimeoutError } from "../../src/index.js";
import { clientFor, serve } from "../helpers/recording-server.js";

function run(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, agent_id: "bot", user_id: "u1", conversation_id: "c1", status: "RUNNING", ...extra };
}

function event(seq: number, type: string, data: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_id: `e${seq}`,
    run_id: "r1",
    seq,
    type,
    actor: "bot",
    data,
    timestamp: `2026-01-01T00:00:0${seq}Z`,
  };
}

describe("runs.list", () => {
  test("sends the filters (trimmed) and a limit of at most 1000 to the server", async (t) => {
    const server = await serve(t);
    server.otherwise({ json: [] });
    const client = clientFor(server);
    await client.runs.list({
      agent: " bot ",
      status: " PAUSED_APPROVAL ",
      user: " u ",
      conversation: "c",
      limit: 5,
    });
    await client.runs.list({ agent: "  ", status: "", user: " " });
    await client.runs.list({ limit: 0 });
    await client.runs.list({ limit: 1001 });
    assert.deepEqual(server.calls(), [
      "GET /api/v1/runs?agent_id=bot&status=PAUSED_APPROVAL&user_id=u&conversation_id=c&limit=5",
      "GET /api/v1/runs?limit=20",
      "GET /api/v1/runs",
      "GET /api/v1/runs",
    ]);
  });

  test("filters by user and conversation, sorts by updated (else created) time descending, and limits", async (t) => {
    const server = await serve(t);
    const runs = [
      run("old", { updated_at: "2026-01-01T00:00:01Z" }),
      run("created-only", { created_at: "2026-01-01T00:00:05Z" }),
      run("newest", { created_at: "2020-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:09Z" }),
      run("other-user", { user_id: "u2", updated_at: "2026-01-01T00:00:08Z" }),
      run("other-conv", { conversation_id: "c2", updated_at: "2026-01-01T00:00:07Z" }),
    ];
    server.otherwise({ json: runs });
    const client = clientFor(server);
    const ids = async (options: Parameters<typeof client.runs.list>[0]) =>
      (await client.runs.list(options)).map((r) => r.id);
    assert.deepEqual(await ids({ user: "u1", conversation: "c1" }), ["newest", "created-only", "old"]);
    assert.deepEqual(await ids({ user: "u1", conversation: "c1", limit: 2 }), ["newest", "created-only"]);
    assert.deepEqual(await ids({ limit: 0 }), ["newest", "other-user", "other-conv", "created-only", "old"]);
    assert.deepEqual(await ids({ user: " u2 " }), ["other-user"]);
  });

  test("applies a default limit of 20 and parses Run fields", async (t) => {
    const server = await serve(t);
    const many = Array.from({ length: 25 }, (_, i) =>
      run(`r${i}`, { updated_at: `2026-01-01T00:00:${String(i).padStart(2, "0")}Z` }),
    );
    server.reply(
      { json: many },
      { json: [{ id: "x", agent: "legacy", initial_message: "hi", blocked_action_id: "a1" }] },
    );
    const client = clientFor(server);
    const listed = await client.runs.list();
    assert.equal(listed.length, 20);
    assert.equal(listed[0]?.id, "r24");
    const [parsed] = await client.runs.list();
    assert.equal(parsed?.agentId, "legacy");
    assert.equal(parsed?.agent, "legacy");
    assert.equal(parsed?.message, "hi");
    assert.equal(parsed?.blockedActionId, "a1");
  });
});

describe("runs.get / events", () => {
  test("GET /runs/{id}", async (t) => {
    const server = await serve(t);
    server.reply({ json: run("r1", { status: "COMPLETED" }) });
    assert.equal((await clientFor(server).runs.get("r1")).status, "COMPLETED");
    assert.equal(server.only().url, "/api/v1/runs/r1");
  });

  test("sends ?limit= only with a limit and no type, and keeps the last N ordered by sequence", async (t) => {
    const server = await serve(t);
    server.otherwise({ json: [event(3, "C"), event(1, "A"), event(2, "B"), event(4, "D")] });
    const client = clientFor(server);
    const events = await client.runs.events("r1", { limit: 2 });
    assert.deepEqual(
      events.map((e) => e.sequence),
      [3, 4],
    );
    assert.deepEqual(events[0], {
      id: "e3",
      runId: "r1",
      sequence: 3,
      type: "C",
      actor: "bot",
      data: {},
      timestamp: "2026-01-01T00:00:03Z",
      payloadHash: "",
    });
    assert.deepEqual(
      (await client.runs.events("r1")).map((e) => e.sequence),
      [1, 2, 3, 4],
    );
    assert.deepEqual(server.calls(), ["GET /api/v1/runs/r1/events?limit=2", "GET /api/v1/runs/r1/events"]);
  });

  test("asks the server for the type and the tail, and applies both again to what it answers", async (t) => {
    const server = await serve(t);
    const stream = [
      event(5, "TOOL_REQUEST"),
      event(1, "USER_MESSAGE"),
      event(2, "TOOL_REQUEST"),
      event(3, "tool_request"),
    ];
    server.otherwise({ json: stream });
    const client = clientFor(server);
    assert.deepEqual(
      (await client.runs.events("r1", { type: " Tool_Request " })).map((e) => e.sequence),
      [2, 3, 5],
    );
    assert.deepEqual(
      (await client.runs.events("r1", { type: "tool_request", limit: 2 })).map((e) => e.sequence),
      [3, 5],
    );
    assert.deepEqual(server.calls(), [
      "GET /api/v1/runs/r1/events?type=TOOL_REQUEST",
      "GET /api/v1/runs/r1/events?type=TOOL_REQUEST&limit=2",
    ]);
  });

  test("reads the alias keys id, sequence and created_at", async (t) => {
    const server = await serve(t);
    server.reply({ json: [{ id: "e9", sequence: 9, type: "X", created_at: "t", payload_hash: "h" }] });
    const [parsed] = await clientFor(server).runs.events("r1");
    assert.equal(parsed?.id, "e9");
    assert.equal(parsed?.sequence, 9);
    assert.equal(parsed?.timestamp, "t");
    assert.equal(parsed?.payloadHash, "h");
  });
});

describe("runs.wait", () => {
  test("polls until COMPLETED or FAILED, treating paused statuses as not terminal", async (t) => {
    const server = await serve(t);
    server.reply(
      { json: run("r1", { status: "RUNNING" }) },
      { json: run("r1", { status: "PAUSED_APPROVAL" }) },
      { json: run("r1", { status: "paused_consent" }) },
      { json: run("r1", { status: " completed " }) },
    );
    const done = await clientFor(server).runs.wait("r1", { intervalMs: 1, timeoutMs: 10_000 });
    assert.equal(done.status, " completed ");
    assert.equal(server.requests.length, 4);
    for (const request of server.requests) assert.equal(request.url, "/api/v1/runs/r1");
  });

  test("returns a FAILED run at once", async (t) => {
    const server = await serve(t);
    server.reply({ json: run("r1", { status: "FAILED" }) });
    assert.equal((await clientFor(server).runs.wait("r1")).status, "FAILED");
  });

  test("times out on a paused run with the documented message", async (t) => {
    const server = await serve(t);
    server.otherwise({ json: run("r1", { status: "PAUSED_APPROVAL" }) });
    await assert.rejects(
      clientFor(server).runs.wait("r1", { timeoutMs: 30, intervalMs: 5 }),
      (error: unknown) => {
        assert.ok(error instanceof RunAgentsTimeoutError);
        assert.equal(error.code, "TIMEOUT");
        assert.equal(error.message, "timed out waiting for run 'r1' to finish");
        return true;
      },
    );
    assert.ok(server.requests.length >= 2);
  });

  test("polls once and times out immediately with timeoutMs 0", async (t) => {
    const server = await serve(t);
    server.otherwise({ json: run("r1") });
    await assert.rejects(clientFor(server).runs.wait("r1", { timeoutMs: 0 }), { code: "TIMEOUT" });
    assert.equal(server.requests.length, 1);
  });

  test("stops waiting when the signal fires between polls", async (t) => {
    const server = await serve(t);
    server.otherwise({ json: run("r1") });
    const controller = new AbortController();
    const pending = clientFor(server).runs.wait("r1", { intervalMs: 60_000, signal: controller.signal });
    await server.waitForRequests(1);
    controller.abort();
    await assert.rejects(pending, { code: "ABORTED" });
  });
});

describe("runs.timeline / export", () => {
  test("timeline fetches the run then its events and summarises each event", async (t) => {
    const server = await serve(t);
    server.reply({ json: run("r1") }, { json: [event(2, "COMPLETED"), event(1, "RUN_CREATED")] });
    const timeline = await clientFor(server).runs.timeline("r1");
    assert.deepEqual(server.calls(), ["GET /api/v1/runs/r1", "GET /api/v1/runs/r1/events"]);
    assert.deepEqual(timeline, [
      {
        sequence: 1,
        type: "RUN_CREATED",
        actor: "bot",
        summary: "Run created",
        timestamp: "2026-01-01T00:00:01Z",
        data: {},
      },
      {
        sequence: 2,
        type: "COMPLETED",
        actor: "bot",
        summary: "Run completed successfully",
        timestamp: "2026-01-01T00:00:02Z",
        data: {},
      },
    ]);
  });

  test("export returns run, events and timeline; a run without events gets one synthetic entry", async (t) => {
    const server = await serve(t);
    server.reply(
      { json: run("r1", { status: "PAUSED_APPROVAL", created_at: "c", updated_at: "u" }) },
      { json: [] },
    );
    const exported = await clientFor(server).runs.export("r1");
    assert.equal(exported.run.id, "r1");
    assert.deepEqual(exported.events, []);
    assert.deepEqual(exported.timeline, [
      {
        sequence: 0,
        type: "PAUSED_APPROVAL",
        actor: "",
        summary: "Run is currently PAUSED_APPROVAL",
        timestamp: "u",
        data: {},
      },
    ]);
  });
});
