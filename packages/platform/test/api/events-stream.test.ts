/**
 * The live feed `GET /events/stream`: run events as Server-Sent Events when they are committed,
 * filtered by run, agent and kind, opened with an API key or a one-use stream ticket, resumed
 * with Last-Event-ID — also by a new platform process on the same data — and ended when the
 * platform stops.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { openStream } from "../helpers/sse.js";

type Json = Record<string, any>;

const newRun = async (platform: TestPlatform, agent: string): Promise<string> => {
  const res = await platform.call("POST", "/runs", { agent_id: agent, user_id: "alice" });
  assert.equal(res.status, 201, res.text);
  return (res.json as Json).id;
};

const ticketFor = async (platform: TestPlatform, headers?: Record<string, string>): Promise<string> => {
  const res = await platform.call("POST", "/events/stream-ticket", {}, headers);
  assert.equal(res.status, 201, res.text);
  assert.match((res.json as Json).ticket, /^ra_st_/);
  assert.ok(Date.parse((res.json as Json).expires_at) > Date.now());
  return (res.json as Json).ticket;
};

describe("GET /events/stream", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("sends each new run event with its feed position as the SSE id", async () => {
    const stream = await openStream(platform.url, "/api/v1/events/stream", platform.authHeaders);
    assert.equal(stream.status, 200);
    assert.match(String(stream.headers["content-type"]), /^text\/event-stream/);
    const runId = await newRun(platform, "feed-agent");
    const created = await stream.next();
    assert.equal(created.data.type, "RUN_CREATED");
    assert.equal(created.data.run_id, runId);
    assert.equal(created.data.agent_id, "feed-agent");
    assert.equal(created.id, String(created.data.position));
    await platform.call("POST", `/runs/${runId}/events`, { type: "AGENT_MESSAGE", data: { message: "hi" } });
    const message = await stream.next();
    assert.equal(message.data.type, "AGENT_MESSAGE");
    assert.ok(Number(message.id) > Number(created.id));
    stream.close();
  });

  it("filters by run, agent and kind", async () => {
    const first = await newRun(platform, "filter-a");
    const byRun = await openStream(
      platform.url,
      `/api/v1/events/stream?run=${first}&last_event_id=0`,
      platform.authHeaders,
    );
    const byKind = await openStream(
      platform.url,
      "/api/v1/events/stream?kind=completed,agent_message",
      platform.authHeaders,
    );
    const byAgent = await openStream(
      platform.url,
      "/api/v1/events/stream?agent=filter-b",
      platform.authHeaders,
    );
    const second = await newRun(platform, "filter-b");
    await platform.call("POST", `/runs/${second}/events`, { type: "AGENT_MESSAGE", data: { message: "b" } });
    await platform.call("POST", `/runs/${first}/events`, { type: "AGENT_MESSAGE", data: { message: "a" } });

    assert.deepEqual(
      [(await byRun.next()).data.type, (await byRun.next()).data.type],
      ["RUN_CREATED", "AGENT_MESSAGE"],
    );
    const kinds = [await byKind.next(), await byKind.next()];
    assert.deepEqual(
      kinds.map((e) => [e.data.type, e.data.run_id]),
      [
        ["AGENT_MESSAGE", second],
        ["AGENT_MESSAGE", first],
      ],
    );
    const agentEvents = [await byAgent.next(), await byAgent.next()];
    assert.deepEqual(
      agentEvents.map((e) => [e.data.type, e.data.agent_id]),
      [
        ["RUN_CREATED", "filter-b"],
        ["AGENT_MESSAGE", "filter-b"],
      ],
    );
    for (const s of [byRun, byKind, byAgent]) s.close();
  });

  it("opens with a one-use ticket in place of the header, and refuses it a second time", async () => {
    const ticket = await ticketFor(platform);
    const stream = await openStream(platform.url, `/api/v1/events/stream?ticket=${ticket}`);
    assert.equal(stream.status, 200);
    const runId = await newRun(platform, "ticket-agent");
    assert.equal((await stream.next()).data.run_id, runId);
    stream.close();

    const again = await openStream(platform.url, `/api/v1/events/stream?ticket=${ticket}`);
    assert.equal(again.status, 401);
    assert.deepEqual(JSON.parse(again.body), {
      error: "invalid, used or expired stream ticket: get a new one with POST /api/v1/events/stream-ticket",
    });
    const forged = await openStream(platform.url, "/api/v1/events/stream?ticket=ra_st_forged");
    assert.equal(forged.status, 401);
  });

  it("refuses callers without a key or ticket, another workspace's ticket, and a ticket for issuing tickets", async () => {
    const anonymous = await openStream(platform.url, "/api/v1/events/stream");
    assert.equal(anonymous.status, 401);
    const ticket = await ticketFor(platform);
    const elsewhere = await openStream(
      platform.url,
      `/api/v1/workspaces/team-b/events/stream?ticket=${ticket}`,
    );
    assert.equal(elsewhere.status, 401, "a ticket is bound to its workspace");
    const issue = await platform.call(
      "POST",
      `/events/stream-ticket?ticket=${await ticketFor(platform)}`,
      {},
      {
        "X-RunAgents-API-Key": "",
      },
    );
    assert.equal(issue.status, 401, "tickets open the stream only");
  });

  it("lets a viewer key take a ticket", async () => {
    const key = await platform.call("POST", "/auth/api-keys", { name: "feed-viewer", role: "viewer" });
    const viewer = { "X-RunAgents-API-Key": (key.json as Json).token };
    const stream = await openStream(
      platform.url,
      `/api/v1/events/stream?ticket=${await ticketFor(platform, viewer)}`,
    );
    assert.equal(stream.status, 200);
    stream.close();
  });

  it("answers bad requests with a JSON error", async () => {
    const cases: [string, Record<string, string>, number, RegExp][] = [
      ["/api/v1/events/stream", { Accept: "application/json" }, 406, /send Accept: text\/event-stream/],
      ["/api/v1/events/stream?kind=not%20a%20kind", {}, 400, /kind "NOT A KIND" is not an event type/],
      ["/api/v1/events/stream", { "Last-Event-ID": "abc" }, 400, /Last-Event-ID must be/],
    ];
    for (const [path, headers, status, error] of cases) {
      const res = await openStream(platform.url, path, { ...platform.authHeaders, ...headers });
      assert.equal(res.status, status, path);
      assert.match(JSON.parse(res.body).error, error);
    }
  });
});

describe("GET /events/stream across a restart", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "runagents-feed-restart-"));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("ends open streams on shutdown, and resumes after Last-Event-ID with the same ids", async () => {
    let platform = await startTestPlatform({ dataDir });
    const stream = await openStream(platform.url, "/api/v1/events/stream", platform.authHeaders);
    const runId = await newRun(platform, "restart-agent");
    const seen = await stream.next();
    assert.equal(seen.data.type, "RUN_CREATED");
    await platform.close();
    await stream.ended;

    platform = await startTestPlatform({ dataDir });
    try {
      // Written while the client was away.
      await platform.call("POST", `/runs/${runId}/events`, {
        type: "AGENT_MESSAGE",
        data: { message: "missed" },
      });
      const resumed = await openStream(platform.url, "/api/v1/events/stream", {
        ...platform.authHeaders,
        "Last-Event-ID": seen.id,
      });
      const missed = await resumed.next();
      assert.equal(missed.data.type, "AGENT_MESSAGE");
      assert.equal(missed.data.run_id, runId);
      assert.equal(Number(missed.id), Number(seen.id) + 1);
      const replay = await openStream(
        platform.url,
        `/api/v1/events/stream?last_event_id=0&run=${runId}`,
        platform.authHeaders,
      );
      const first = await replay.next();
      assert.deepEqual([first.id, first.data.type], [seen.id, "RUN_CREATED"], "the first event kept its id");
      resumed.close();
      replay.close();
    } finally {
      await platform.close();
    }
  });
});
