import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("blocked actions API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  const newRun = async () =>
    (await platform.call("POST", "/runs", { agent_id: "payments-agent", user_id: "bob" })).json as Record<
      string,
      any
    >;
  const block = async (runId: string, body: Record<string, unknown> = {}) =>
    platform.call("POST", `/runs/${runId}/actions`, {
      tool_id: "payments-api",
      capability: "refund",
      payload_hash: "sha256:feed",
      tool_method: "post",
      tool_url: "https://api.payments.example/refunds",
      ...body,
    });

  it("records a blocked action, pauses the run, appends APPROVAL_REQUIRED and opens a pending request", async () => {
    const run = await newRun();
    const res = await block(run.id);
    assert.equal(res.status, 201);
    const action = res.json as Record<string, any>;
    assert.match(action.action_id, /^[0-9a-f-]{36}$/);
    assert.equal(action.run_id, run.id);
    assert.equal(action.tool_id, "payments-api");
    assert.equal(action.capability, "refund");
    assert.equal(action.payload_hash, "sha256:feed");
    assert.equal(action.status, "BLOCKED");
    assert.ok(action.created_at && action.updated_at);

    const paused = (await platform.call("GET", `/runs/${run.id}`)).json as Record<string, any>;
    assert.equal(paused.status, "PAUSED_APPROVAL");
    assert.equal(paused.blocked_action_id, action.action_id);

    const events = (await platform.call("GET", `/runs/${run.id}/events`)).json as any[];
    const required = events.at(-1);
    assert.equal(required.type, "APPROVAL_REQUIRED");
    assert.equal(required.payload_hash, "sha256:feed");
    assert.deepEqual(required.data, {
      tool_id: "payments-api",
      capability: "refund",
      tool_method: "POST",
      tool_url: "https://api.payments.example/refunds",
      action_id: action.action_id,
      request_id: action.request_id,
    });

    const requests = (await platform.call("GET", `/approvals/requests?run_id=${run.id}`)).json as any[];
    assert.equal(requests.length, 1);
    assert.equal(requests[0].id, action.request_id);
    assert.equal(requests[0].status, "PENDING");
    assert.equal(requests[0].action_id, action.action_id);
    assert.equal(requests[0].subject, "bob");
    assert.equal(requests[0].agent_id, "payments-agent");
    assert.equal(requests[0].tool_id, "payments-api");

    const again = await block(run.id);
    assert.equal(again.status, 409);
    assert.deepEqual(again.json, { error: "run is PAUSED_APPROVAL, must be RUNNING to create actions" });
  });

  it("links a pending request made earlier for the same call instead of opening another", async () => {
    const run = await newRun();
    const early = await platform.call("POST", "/approvals/requests", {
      subject: "bob",
      tool_id: "payments-api",
      run_id: run.id,
      capability: "refund",
      payload_hash: "sha256:feed",
      tool_method: "POST",
      tool_url: "https://api.payments.example/refunds",
    });
    assert.equal(early.status, 201);
    const action = (await block(run.id)).json as Record<string, any>;
    assert.equal(action.request_id, (early.json as any).id);
    const linked = (await platform.call("GET", `/approvals/requests/${action.request_id}`)).json as any;
    assert.equal(linked.action_id, action.action_id);
  });

  it("requires tool_id", async () => {
    const run = await newRun();
    const res = await platform.call("POST", `/runs/${run.id}/actions`, {});
    assert.deepEqual([res.status, res.json], [400, { error: "tool_id is required" }]);
  });

  it("gets an action of its run, and 404s for unknown ones", async () => {
    const run = await newRun();
    const action = (await block(run.id)).json as Record<string, any>;
    const got = await platform.call("GET", `/runs/${run.id}/actions/${action.action_id}`);
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, action);
    const other = await newRun();
    const wrongRun = await platform.call("GET", `/runs/${other.id}/actions/${action.action_id}`);
    assert.deepEqual(
      [wrongRun.status, wrongRun.json],
      [404, { error: `action ${action.action_id} not found` }],
    );
    const unknownRun = await platform.call("GET", `/runs/nope/actions/${action.action_id}`);
    assert.deepEqual([unknownRun.status, unknownRun.json], [404, { error: "run nope not found" }]);
  });

  it("approves only with the recorded payload hash, once", async () => {
    const run = await newRun();
    const action = (await block(run.id)).json as Record<string, any>;
    const path = `/runs/${run.id}/actions/${action.action_id}/approve`;
    for (const body of [undefined, { payload_hash: "sha256:other" }]) {
      const res = await platform.call("POST", path, body);
      assert.deepEqual([res.status, res.json], [409, { error: "payload_hash mismatch" }]);
    }
    const ok = await platform.call("POST", path, { payload_hash: "sha256:feed" });
    assert.equal(ok.status, 200);
    assert.equal((ok.json as any).status, "APPROVED");
    const twice = await platform.call("POST", path, { payload_hash: "sha256:feed" });
    assert.deepEqual(
      [twice.status, twice.json],
      [409, { error: "action is APPROVED, must be BLOCKED to approve" }],
    );

    const request = (await platform.call("GET", `/approvals/requests/${action.request_id}`)).json as any;
    assert.equal(request.status, "APPROVED");
    assert.equal(request.scope, "once");
    assert.equal(request.approver_id, platform.adminSubject);
    const approved = ((await platform.call("GET", `/runs/${run.id}/events`)).json as any[]).at(-1);
    assert.equal(approved.type, "APPROVED");
    assert.equal(approved.actor, platform.adminSubject);
    assert.equal(approved.data.approver_id, platform.adminSubject);
    assert.equal(approved.data.scope, "once");
    assert.equal(approved.data.tool_id, "payments-api");
    const stillPaused = (await platform.call("GET", `/runs/${run.id}`)).json as any;
    assert.equal(stillPaused.status, "PAUSED_APPROVAL", "resuming is the resume worker's job");
  });

  it("approves an action without a hash with an empty body", async () => {
    const run = await newRun();
    const action = (await block(run.id, { payload_hash: "" })).json as Record<string, any>;
    const res = await platform.call("POST", `/runs/${run.id}/actions/${action.action_id}/approve`);
    assert.equal(res.status, 200);
    assert.equal((res.json as any).status, "APPROVED");
  });

  it("lets only one of two racing approvals win", async () => {
    const run = await newRun();
    const action = (await block(run.id)).json as Record<string, any>;
    const results = await Promise.all([
      platform.call("POST", `/runs/${run.id}/actions/${action.action_id}/approve`, {
        payload_hash: "sha256:feed",
      }),
      platform.call("POST", `/approvals/requests/${action.request_id}/reject`, { reason: "no" }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
    const final = (await platform.call("GET", `/runs/${run.id}/actions/${action.action_id}`)).json as any;
    assert.ok(["APPROVED", "FAILED"].includes(final.status));
  });
});
