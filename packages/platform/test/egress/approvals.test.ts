import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ExpirySweeper } from "../../src/governance/expiry-sweeper.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import {
  call,
  events,
  governedAgent,
  newRun,
  runOf,
  sha256,
  startFakeAgent,
  startToolServer,
  type ToolServer,
  waitFor,
} from "./helpers.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("egress: just-in-time approvals and resume", () => {
  let platform: TestPlatform;
  let tool: ToolServer;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    platform = await startTestPlatform();
    tool = await startToolServer();
  });
  after(async () => {
    for (const close of closers) await close();
    await platform.destroy();
    await tool.close();
  });

  /** An agent whose POSTs to the payments tool need approval (window default 2h by its rule). */
  async function paymentsAgent(agent: string) {
    const { egress } = await governedAgent(platform, {
      agent,
      tool: { name: "payments", spec: { connection: { baseUrl: tool.url } } },
      rules: [
        { permission: "allow", resource: `${tool.url}/*`, operations: ["GET"] },
        { permission: "approval_required", resource: `${tool.url}/charges*`, operations: ["POST"] },
      ],
      approvals: [{ name: "payments-approvals", toolIds: ["payments"], defaultDuration: "2h" }],
    });
    const charge = (runId: string, body: string, headers: Record<string, string> = {}) =>
      call(`${egress}/charges`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...(runId ? { "X-Run-ID": runId } : {}), ...headers },
        body,
      });
    return { egress, charge };
  }

  const posts = () => tool.received.filter((r) => r.method === "POST" && r.url === "/charges");

  it("blocks an approval_required call, pauses the run and reuses the request when the call is retried", async () => {
    const { charge } = await paymentsAgent("pay-block");
    const runId = await newRun(platform, "pay-block", "alice@example.com");
    const body = JSON.stringify({ amount: 10 });
    const res = await charge(runId, body);
    assert.equal(res.status, 403);
    const blocked = res.json;
    assert.match(blocked.action_id, UUID);
    assert.match(blocked.request_id, /^req-[0-9a-f]{16}$/);
    assert.deepEqual(blocked, {
      error: "APPROVAL_REQUIRED",
      code: "APPROVAL_REQUIRED",
      message: `Calling payments (POST /charges) requires approval: request ${blocked.request_id} is waiting for a decision.`,
      action_id: blocked.action_id,
      request_id: blocked.request_id,
      run_id: runId,
      tool: "payments",
      capability: "",
      method: "POST",
      url: `${tool.url}/charges`,
      payload_hash: sha256(body),
    });
    const run = await runOf(platform, runId);
    assert.equal(run.status, "PAUSED_APPROVAL");
    assert.equal(run.blocked_action_id, blocked.action_id);
    assert.deepEqual(
      (await events(platform, runId)).map((e) => e.type),
      ["RUN_CREATED", "TOOL_REQUEST", "APPROVAL_REQUIRED"],
    );
    const request = (await platform.call("GET", `/approvals/requests/${blocked.request_id}`)).json as any;
    assert.equal(request.status, "PENDING");
    assert.equal(request.duration, "2h", "the approval rule's default window");
    assert.equal(request.subject, "alice@example.com");
    assert.equal(request.agent, "pay-block");
    assert.equal(request.tool_url, `${tool.url}/charges`);

    const retry = await charge(runId, body);
    assert.equal(retry.status, 403);
    assert.equal(retry.json.action_id, blocked.action_id);
    assert.equal(retry.json.request_id, blocked.request_id);
    assert.equal(posts().length, 0, "the tool was never called");
  });

  it("once: the approved call runs exactly once on resume; the same call again needs a new approval", async () => {
    const { charge } = await paymentsAgent("pay-once");
    const body = JSON.stringify({ amount: 20 });
    const agent = await startFakeAgent(platform, "pay-once", async ({ actionId, runId }) => {
      const replay = await charge(runId, body, { "X-Action-ID": actionId });
      const again = await charge(runId, body);
      return again.status === 403
        ? { response: `replay ${replay.status}`, approval_required: again.json }
        : { response: `replay ${replay.status}, again ${again.status}` };
    });
    closers.push(agent.close);
    const runId = await newRun(platform, "pay-once", "alice@example.com");
    const first = (await charge(runId, body)).json;
    const before = posts().length;
    const approve = await platform.call("POST", `/approvals/requests/${first.request_id}/approve`, {
      scope: "once",
      reason: "ok once",
    });
    assert.equal(approve.status, 200);
    const run = await waitFor(async () => {
      const r = await runOf(platform, runId);
      return (
        agent.resumes.length === 1 &&
        r.status === "PAUSED_APPROVAL" &&
        r.blocked_action_id !== first.action_id &&
        r
      );
    }, "the resume and the second pause");
    assert.equal(posts().length, before + 1, "the tool saw the approved call exactly once");
    assert.equal(agent.resumes.length, 1);
    const resume = agent.resumes[0];
    assert.equal(resume?.actionId, first.action_id);
    assert.equal(resume?.headers["x-run-id"], runId);
    assert.equal(resume?.headers["x-end-user-id"], "alice@example.com");
    assert.deepEqual(resume?.body, { run_id: runId, user_id: "alice@example.com" });
    assert.notEqual(run.blocked_action_id, first.action_id);
    const log = await events(platform, runId);
    assert.deepEqual(
      log.map((e) => e.type),
      [
        "RUN_CREATED",
        "TOOL_REQUEST",
        "APPROVAL_REQUIRED",
        "APPROVED",
        "RESUMED",
        "TOOL_REQUEST",
        "TOOL_RESPONSE",
        "TOOL_REQUEST",
        "APPROVAL_REQUIRED",
      ],
    );
    assert.equal(log[3].actor, platform.adminSubject);
    assert.equal(log[3].data.scope, "once");
    assert.equal(log[5].data.grant_id, first.request_id);
    assert.equal(log[5].data.action_id, first.action_id);
    const action = (await platform.call("GET", `/runs/${runId}/actions/${first.action_id}`)).json as any;
    assert.equal(action.status, "EXECUTED");
  });

  it("no scope: approving grants exactly one call; the same call again pauses again", async () => {
    const { charge } = await paymentsAgent("pay-default");
    const body = JSON.stringify({ amount: 30 });
    const agent = await startFakeAgent(platform, "pay-default", async ({ actionId, runId }) => {
      const replay = await charge(runId, body, { "X-Action-ID": actionId });
      const again = await charge(runId, body);
      return { response: `replay ${replay.status}`, approval_required: again.json };
    });
    closers.push(agent.close);
    const runId = await newRun(platform, "pay-default", "alice@example.com");
    const first = (await charge(runId, body)).json;
    const before = posts().length;
    const approve = await platform.call("POST", `/approvals/requests/${first.request_id}/approve`);
    assert.equal(approve.status, 200);
    assert.equal((approve.json as any).scope, "once");
    assert.equal((approve.json as any).expires_at, null);
    const run = await waitFor(async () => {
      const r = await runOf(platform, runId);
      return (
        agent.resumes.length === 1 &&
        r.status === "PAUSED_APPROVAL" &&
        r.blocked_action_id !== first.action_id &&
        r
      );
    }, "the resume and the second pause");
    assert.equal(posts().length, before + 1, "the tool saw exactly one call");
    const second = agent.resumes[0]?.answer.approval_required;
    assert.equal(second.code, "APPROVAL_REQUIRED");
    assert.notEqual(second.request_id, first.request_id, "a new request for the second call");
    assert.equal(run.blocked_action_id, second.action_id);
    // And outside the run: the once grant is spent, so the same call by the same user is blocked.
    const later = await charge("", body);
    assert.equal(later.status, 403);
    assert.equal(posts().length, before + 1);
  });

  it("run: the grant covers matching calls in its run only", async () => {
    const { charge } = await paymentsAgent("pay-run");
    const agent = await startFakeAgent(platform, "pay-run", async ({ actionId, runId }) => {
      const replay = await charge(runId, JSON.stringify({ amount: 1 }), { "X-Action-ID": actionId });
      const other = await charge(runId, JSON.stringify({ amount: 2 }));
      return { response: `replay ${replay.status}, other ${other.status}` };
    });
    closers.push(agent.close);
    const runId = await newRun(platform, "pay-run");
    const first = (await charge(runId, JSON.stringify({ amount: 1 }))).json;
    const before = posts().length;
    await platform.call("POST", `/approvals/requests/${first.request_id}/approve`, { scope: "run" });
    await waitFor(async () => (await runOf(platform, runId)).status === "COMPLETED", "the run to complete");
    assert.equal(posts().length, before + 2);
    const log = await events(platform, runId);
    const message = log.find((e) => e.type === "AGENT_MESSAGE");
    assert.equal(message.data.message, "replay 200, other 200");
    assert.equal(log.at(-1).type, "COMPLETED");

    const otherRun = await newRun(platform, "pay-run");
    const res = await charge(otherRun, JSON.stringify({ amount: 1 }));
    assert.equal(res.status, 403);
    assert.equal(res.json.code, "APPROVAL_REQUIRED");
  });

  it("agent_user_ttl: the window covers the same user's later runs until the sweeper expires it", async () => {
    const { charge } = await paymentsAgent("pay-window");
    const agent = await startFakeAgent(platform, "pay-window", async ({ actionId, runId }) => {
      const replay = await charge(runId, "{}", { "X-Action-ID": actionId });
      return { response: `replay ${replay.status}` };
    });
    closers.push(agent.close);
    const runId = await newRun(platform, "pay-window", "alice@example.com");
    const first = (await charge(runId, "{}")).json;
    const approved = (
      await platform.call("POST", `/approvals/requests/${first.request_id}/approve`, { scope: "window" })
    ).json as any;
    assert.equal(approved.scope, "agent_user_ttl");
    assert.equal(approved.duration, "2h");
    const window = Date.parse(approved.expires_at) - Date.now();
    assert.ok(window > 7_100_000 && window <= 7_200_000, `expires in about 2h (${window} ms)`);
    await waitFor(async () => (await runOf(platform, runId)).status === "COMPLETED", "the run to complete");

    const later = await newRun(platform, "pay-window", "alice@example.com");
    assert.equal((await charge(later, JSON.stringify({ amount: 5 }))).status, 200, "same user: covered");
    const bob = await newRun(platform, "pay-window", "bob@example.com");
    assert.equal((await charge(bob, "{}")).status, 403, "another user: not covered");

    const sweeper = new ExpirySweeper(platform.services);
    assert.equal(await sweeper.sweep(new Date(Date.now() + 3 * 3_600_000)), 1);
    const expired = (await platform.call("GET", `/approvals/requests/${first.request_id}`)).json as any;
    assert.equal(expired.status, "EXPIRED");
    const afterWindow = await newRun(platform, "pay-window", "alice@example.com");
    const res = await charge(afterWindow, "{}");
    assert.equal(res.status, 403);
    assert.equal(res.json.code, "APPROVAL_REQUIRED");
  });

  it("reject: the run fails, the agent is not resumed and the tool is not called", async () => {
    const { charge } = await paymentsAgent("pay-reject");
    const agent = await startFakeAgent(platform, "pay-reject", async () => ({
      response: "should not happen",
    }));
    closers.push(agent.close);
    const runId = await newRun(platform, "pay-reject");
    const before = posts().length;
    const first = (await charge(runId, "{}")).json;
    const res = await platform.call("POST", `/approvals/requests/${first.request_id}/reject`, {
      reason: "no",
    });
    assert.equal(res.status, 200);
    const run = await runOf(platform, runId);
    assert.equal(run.status, "FAILED");
    const types = (await events(platform, runId)).map((e) => e.type);
    assert.deepEqual(types.slice(-2), ["REJECTED", "FAILED"]);
    const twice = await platform.call("POST", `/approvals/requests/${first.request_id}/approve`, {});
    assert.equal(twice.status, 409);
    assert.deepEqual(twice.json, { error: `request ${first.request_id} is REJECTED, not PENDING` });
    assert.equal(agent.resumes.length, 0);
    assert.equal(posts().length, before);
  });

  it("a payload changed after a once approval needs a new approval", async () => {
    const { charge } = await paymentsAgent("pay-changed");
    const agent = await startFakeAgent(platform, "pay-changed", async ({ actionId, runId }) => {
      const changed = await charge(runId, JSON.stringify({ amount: 9999 }), { "X-Action-ID": actionId });
      return { response: "blocked again", approval_required: changed.json };
    });
    closers.push(agent.close);
    const runId = await newRun(platform, "pay-changed");
    const first = (await charge(runId, JSON.stringify({ amount: 1 }))).json;
    const before = posts().length;
    await platform.call("POST", `/approvals/requests/${first.request_id}/approve`, { scope: "once" });
    await waitFor(async () => agent.resumes.length === 1, "the resume");
    const second = agent.resumes[0]?.answer.approval_required;
    assert.equal(second.code, "APPROVAL_REQUIRED");
    assert.notEqual(second.action_id, first.action_id);
    assert.equal(second.payload_hash, sha256(JSON.stringify({ amount: 9999 })));
    assert.equal(posts().length, before, "the changed call did not reach the tool");
    const grant = (await platform.call("GET", `/approvals/requests/${first.request_id}`)).json as any;
    assert.equal(grant.status, "APPROVED", "the once grant is still unspent");
  });

  it("without a run, asks for approval without pausing anything", async () => {
    const { charge } = await paymentsAgent("pay-norun");
    const res = await charge("", "{}");
    assert.equal(res.status, 403);
    assert.equal(res.json.action_id, "");
    assert.equal(res.json.run_id, "");
    const request = (await platform.call("GET", `/approvals/requests/${res.json.request_id}`)).json as any;
    assert.equal(request.status, "PENDING");
    assert.equal(request.subject, "pay-norun");
    const again = await charge("", "{}");
    assert.equal(again.json.request_id, res.json.request_id, "the same call reuses the pending request");
  });
});
