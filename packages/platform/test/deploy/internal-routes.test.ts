/**
 * The governance endpoints an agent's runtime calls (`GOVERNANCE_URL` = `/internal/<agent-token>`),
 * over raw HTTP: checkpoints and tool-result reports, scoped to the agent the token names.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { issueAgentToken, revokeAgentTokens } from "../../src/governance/agent-identity.js";
import { transitionRun } from "../../src/governance/runs.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;

describe("runtime callbacks under /internal/<agent-token>", () => {
  let platform: TestPlatform;
  let token: string;
  let otherToken: string;
  let runId: string;
  let otherRunId: string;
  const internal = (path: string, method = "GET", body?: unknown, t = token) =>
    platform.call(method, `${platform.url}/internal/${t}${path}`, body);

  before(async () => {
    platform = await startTestPlatform();
    token = await issueAgentToken(platform.store, "default", "bot-a");
    otherToken = await issueAgentToken(platform.store, "default", "bot-b");
    runId = ((await platform.call("POST", "/runs", { agent_id: "bot-a", user_id: "u1" })).json as Json).id;
    otherRunId = ((await platform.call("POST", "/runs", { agent_id: "bot-b", user_id: "u1" })).json as Json)
      .id;
  });
  after(() => platform.destroy());

  const checkpoint = {
    action_id: "act-1",
    messages: [{ role: "user", content: "pay 5" }],
    pending_calls: [
      {
        tool_call_id: "call_1",
        function_name: "pay__charge",
        arguments: '{"amount":5}',
        method: "POST",
        url: "http://x/egress/t/pay/charge",
        tool_name: "pay",
      },
    ],
    tool_defs: [],
    tool_routes: {},
    model: "gpt-4o-mini",
    system_prompt: "Help.",
    llm_gateway_url: "http://x/gateway/t/v1",
  };

  it("stores a checkpoint per run and action and returns it as posted", async () => {
    const res = await internal(`/runs/${runId}/checkpoint`, "POST", checkpoint);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json, { id: `${runId}:act-1` });
    const stored = await platform.store.getResource("default", "checkpoint", `${runId}:act-1`);
    assert.equal(stored?.doc.agent, "bot-a");
    assert.equal(stored?.doc.run_id, runId);
    const got = await internal(`/runs/${runId}/checkpoint/act-1`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, checkpoint);
    const replaced = await internal(`/runs/${runId}/checkpoint`, "POST", { ...checkpoint, model: "gpt-4o" });
    assert.equal(replaced.status, 201);
    assert.equal(((await internal(`/runs/${runId}/checkpoint/act-1`)).json as Json).model, "gpt-4o");
  });

  it("answers 404 for a missing checkpoint and 400 without an action_id", async () => {
    const missing = await internal(`/runs/${runId}/checkpoint/nope`);
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: `checkpoint nope not found for run ${runId}` });
    const bad = await internal(`/runs/${runId}/checkpoint`, "POST", { messages: [] });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { error: "action_id is required" });
  });

  it("records a tool result as a TOOL_CALLED event of the agent", async () => {
    const res = await internal(`/runs/${runId}/tool-result`, "POST", {
      tool_call_id: "call_1",
      function_name: "pay__charge",
      arguments: '{"amount":5}',
      result: '{"ok":true}',
      tool_id: "pay",
      turn: 0,
    });
    assert.equal(res.status, 201, res.text);
    const events = (await platform.call("GET", `/runs/${runId}/events`)).json as Json[];
    const last = events.at(-1) as Json;
    assert.equal((res.json as Json).seq, last.seq);
    assert.equal(last.type, "TOOL_CALLED");
    assert.equal(last.actor, "bot-a");
    assert.deepEqual(last.data, {
      tool_call_id: "call_1",
      function_name: "pay__charge",
      tool_id: "pay",
      tool: "pay",
      turn: 0,
      arguments: '{"amount":5}',
      result: '{"ok":true}',
      result_length: 11,
      summary: "pay__charge returned 11 characters",
    });
    const bad = await internal(`/runs/${runId}/tool-result`, "POST", { turn: "first" });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { error: "turn must be an integer" });
  });

  it("keeps agents apart: another agent's run is 404, an unknown token is 401", async () => {
    const foreign = await internal(`/runs/${otherRunId}/checkpoint`, "POST", checkpoint);
    assert.equal(foreign.status, 404);
    assert.deepEqual(foreign.json, { error: `run ${otherRunId} not found` });
    const foreignGet = await internal(`/runs/${runId}/checkpoint/act-1`, "GET", undefined, otherToken);
    assert.equal(foreignGet.status, 404);
    const foreignResult = await internal(`/runs/${runId}/tool-result`, "POST", { result: "x" }, otherToken);
    assert.equal(foreignResult.status, 404);
    const unknownRun = await internal("/runs/00000000-0000-4000-8000-000000000000/tool-result", "POST", {});
    assert.equal(unknownRun.status, 404);
    for (const t of ["ra_agt_not-a-real-token-000000000000000", "garbage"]) {
      const res = await internal(`/runs/${runId}/checkpoint/act-1`, "GET", undefined, t);
      assert.equal(res.status, 401);
      assert.deepEqual(res.json, { error: "invalid or revoked agent token" });
    }
    await revokeAgentTokens(platform.store, "default", "bot-b");
    const revoked = await internal(`/runs/${otherRunId}/tool-result`, "POST", {}, otherToken);
    assert.equal(revoked.status, 401);
  });

  // The caller went away and the run FAILED while the agent was still at work: its late report
  // must not land after the run's outcome.
  it("refuses a report for a run that has ended (409): the outcome stays the run's last event", async () => {
    const id = ((await platform.call("POST", "/runs", { agent_id: "bot-a", user_id: "u1" })).json as Json).id;
    await transitionRun(platform.store, "default", id, "FAILED", {
      data: { error: "the caller disconnected before the agent answered" },
    });
    const late = await internal(`/runs/${id}/tool-result`, "POST", { tool_call_id: "c", result: "late" });
    assert.equal(late.status, 409);
    assert.deepEqual(late.json, { error: `run ${id} is FAILED: no events after its outcome` });
    const events = await platform.store.listEvents("default", id);
    assert.equal(events.at(-1)?.type, "FAILED");
    assert.ok(!events.some((e) => e.type === "TOOL_CALLED"));
  });

  it("a report racing the run's end either precedes the outcome or is refused, never follows it", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push(
        ((await platform.call("POST", "/runs", { agent_id: "bot-a", user_id: "u1" })).json as Json).id,
      );
    }
    const outcomes = await Promise.all(
      ids.map(async (id, i) => {
        const report = internal(`/runs/${id}/tool-result`, "POST", { tool_call_id: `c${i}`, result: "r" });
        const end = transitionRun(platform.store, "default", id, i % 2 === 0 ? "FAILED" : "COMPLETED");
        const [answer] = await Promise.all([report, end]);
        return answer.status;
      }),
    );
    assert.ok(
      outcomes.every((status) => status === 201 || status === 409),
      String(outcomes),
    );
    for (const [i, id] of ids.entries()) {
      const events = await platform.store.listEvents("default", id);
      const types = events.map((e) => e.type);
      assert.equal(types.at(-1), i % 2 === 0 ? "FAILED" : "COMPLETED", types.join(","));
      assert.equal(types.includes("TOOL_CALLED"), outcomes[i] === 201, types.join(","));
      assert.deepEqual(
        events.map((e) => e.seq),
        events.map((_, n) => n + 1),
      );
    }
  });
});
