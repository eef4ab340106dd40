import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;

/**
 * Approvers are checked when a request is decided: the approval rule's groups against the
 * deciding key's groups, and the run's end user may not approve their own request.
 */
describe("approvers: who may decide an approval request", () => {
  let platform: TestPlatform;
  const keys: Record<string, { token: string; id: string }> = {};
  const as = (key: string) => ({ "X-RunAgents-API-Key": keys[key]?.token ?? "" });
  const admin = (method: string, path: string, body?: unknown) =>
    platform.call(method, path, body, as("admin"));
  const subject = (key: string) => `key:${keys[key]?.id}`;

  async function makeKey(
    name: string,
    role: string,
    groups: string[] = [],
    headers: Record<string, string> = as("admin"),
  ) {
    const res = await platform.call("POST", "/auth/api-keys", { name, role, groups }, headers);
    assert.equal(res.status, 201, res.text);
    keys[name] = { token: (res.json as Json).token, id: (res.json as Json).key.id };
  }

  /** A run of the governed agent for `user`, paused on a call to `tool`: its request id. */
  async function pending(
    tool: string,
    user = "alice@example.com",
  ): Promise<{ id: string; run: string; action: string }> {
    const run = await admin("POST", "/runs", { agent_id: "fin-agent", user_id: user });
    assert.equal(run.status, 201, run.text);
    const runId = (run.json as Json).id;
    const action = await admin("POST", `/runs/${runId}/actions`, {
      tool_id: tool,
      tool_method: "POST",
      tool_url: "https://pay.example.com/charges",
    });
    assert.equal(action.status, 201, action.text);
    return { id: (action.json as Json).request_id, run: runId, action: (action.json as Json).action_id };
  }

  const approve = (id: string, key: string, body: Json = { scope: "once" }) =>
    platform.call("POST", `/approvals/requests/${id}/approve`, body, as(key));
  const statusOf = async (id: string) =>
    ((await admin("GET", `/approvals/requests/${id}`)).json as Json).status;

  before(async () => {
    platform = await startTestPlatform();
    await makeKey("admin", "admin", [], platform.authHeaders);
    await makeKey("finance-op", "operator", ["finance-approvers"]);
    await makeKey("finance-op-2", "operator", ["finance-approvers"]);
    await makeKey("support-op", "operator", ["support"]);
    await makeKey("treasurer", "operator", ["finance-approvers", "treasury"]);
    await makeKey("finance-viewer", "viewer", ["finance-approvers"]);
    await makeKey("finance-dev", "developer", ["finance-approvers"]);
    const approvals = [
      { name: "finance", toolIds: ["payments"], approvers: { groups: ["finance-approvers"], match: "any" } },
      {
        name: "ledger",
        toolIds: ["ledger"],
        approvers: { groups: ["finance-approvers", "treasury"], match: "all" },
      },
      {
        name: "expenses",
        toolIds: ["expenses"],
        approvers: { groups: ["finance-approvers"], allowSelfApproval: true },
      },
      { name: "open", toolIds: ["open-tool"] },
    ];
    const policy = await admin("POST", "/policies", {
      name: "finance-policy",
      spec: { policies: [{ permission: "approval_required", resource: "*" }], approvals },
    });
    assert.equal(policy.status, 201, policy.text);
    await platform.store.putResource("default", "agent", "fin-agent", {
      name: "fin-agent",
      spec: { policies: ["finance-policy"] },
      status: { phase: "Running", message: "" },
    });
  });
  after(() => platform.destroy());

  it("refuses an operator outside the rule's groups with 403 NOT_AN_APPROVER, for approve and reject", async () => {
    const { id } = await pending("payments");
    for (const verb of ["approve", "reject"]) {
      const res = await platform.call("POST", `/approvals/requests/${id}/${verb}`, {}, as("support-op"));
      assert.deepEqual(
        [res.status, res.json],
        [
          403,
          {
            error: `${subject("support-op")} is not an approver for request ${id}: approval rule finance of policy finance-policy needs a member of any of the groups finance-approvers`,
            code: "NOT_AN_APPROVER",
          },
        ],
      );
    }
    assert.equal(await statusOf(id), "PENDING", "nothing was decided");
  });

  it("refuses an admin who is not in the groups: the role does not make anyone an approver", async () => {
    const { id } = await pending("payments");
    const res = await approve(id, "admin");
    assert.equal(res.status, 403);
    assert.equal((res.json as Json).code, "NOT_AN_APPROVER");
  });

  it("refuses group members whose role cannot decide (viewer, developer) with 403 FORBIDDEN", async () => {
    const { id } = await pending("payments");
    for (const key of ["finance-viewer", "finance-dev"]) {
      const res = await approve(id, key);
      assert.equal(res.status, 403, key);
      assert.equal((res.json as Json).code, "FORBIDDEN", key);
    }
    assert.equal(await statusOf(id), "PENDING");
  });

  it("lets a member of the group approve, recording the key's subject (never its name)", async () => {
    const { id, run } = await pending("payments");
    const res = await approve(id, "finance-op");
    assert.equal(res.status, 200, res.text);
    assert.equal((res.json as Json).status, "APPROVED");
    assert.equal((res.json as Json).approver_id, subject("finance-op"));
    const events = (await admin("GET", `/runs/${run}/events`)).json as Json[];
    const approved = events.find((e) => e.type === "APPROVED");
    assert.equal(approved?.actor, subject("finance-op"));
    assert.equal(approved?.data.approver_id, subject("finance-op"));
  });

  it("lets a member reject, recording the subject", async () => {
    const { id } = await pending("payments");
    const res = await platform.call(
      "POST",
      `/approvals/requests/${id}/reject`,
      { reason: "no" },
      as("finance-op"),
    );
    assert.equal(res.status, 200, res.text);
    assert.equal((res.json as Json).approver_id, subject("finance-op"));
  });

  it("match all: needs every group", async () => {
    const { id } = await pending("ledger");
    const partial = await approve(id, "finance-op");
    assert.equal(partial.status, 403);
    assert.match(
      (partial.json as Json).error,
      /needs a member of all of the groups finance-approvers, treasury$/,
    );
    assert.equal((await approve(id, "treasurer")).status, 200);
  });

  it("refuses the run's own end user, even in the group; another member may approve", async () => {
    const { id } = await pending("payments", subject("finance-op"));
    const request = (await admin("GET", `/approvals/requests/${id}`)).json as Json;
    assert.equal(request.subject, subject("finance-op"), "the request records the run's end user");
    const self = await approve(id, "finance-op");
    assert.deepEqual(
      [self.status, self.json],
      [
        403,
        {
          error: `${subject("finance-op")} cannot approve request ${id}: it was made for them, and approval rule finance of policy finance-policy does not set approvers.allowSelfApproval`,
          code: "NOT_AN_APPROVER",
        },
      ],
    );
    assert.equal(await statusOf(id), "PENDING");
    assert.equal((await approve(id, "finance-op-2")).status, 200);
  });

  it("checks the run's end user too, whatever subject a hand-made request claims", async () => {
    const { run } = await pending("payments", subject("finance-op"));
    const made = await admin("POST", "/approvals/requests", {
      subject: "someone-else",
      tool_id: "payments",
      run_id: run,
      tool_method: "POST",
      tool_url: "https://pay.example.com/other",
    });
    assert.equal(made.status, 201, made.text);
    const res = await approve((made.json as Json).id, "finance-op");
    assert.equal(res.status, 403);
    assert.match((res.json as Json).error, /made for them/);
  });

  it("allows self-approval where the rule sets approvers.allowSelfApproval", async () => {
    const { id } = await pending("expenses", subject("finance-op"));
    const res = await approve(id, "finance-op");
    assert.equal(res.status, 200, res.text);
  });

  it("lets any operator decide under a rule naming no approvers, but still not their own request", async () => {
    const { id } = await pending("open-tool");
    assert.equal((await approve(id, "support-op")).status, 200);
    const own = await pending("open-tool", subject("support-op"));
    const res = await approve(own.id, "support-op");
    assert.equal(res.status, 403);
    assert.equal((res.json as Json).code, "NOT_AN_APPROVER");
  });

  it("checks approvers when a blocked action is approved directly", async () => {
    const { id, run, action } = await pending("payments");
    const path = `/runs/${run}/actions/${action}/approve`;
    const refused = await platform.call("POST", path, {}, as("support-op"));
    assert.equal(refused.status, 403);
    assert.equal((refused.json as Json).code, "NOT_AN_APPROVER");
    assert.equal(await statusOf(id), "PENDING");
    const res = await platform.call("POST", path, {}, as("finance-op"));
    assert.equal(res.status, 200, res.text);
    assert.equal(await statusOf(id), "APPROVED");
  });

  it("rejects a non-boolean allowSelfApproval when the policy is saved", async () => {
    const res = await admin("POST", "/policies", {
      name: "bad-self",
      spec: { approvals: [{ name: "a", approvers: { groups: ["g"], allowSelfApproval: "yes" } }] },
    });
    assert.deepEqual(
      [res.status, (res.json as Json).error],
      [400, "spec.approvals[0].approvers.allowSelfApproval must be true or false"],
    );
  });
});
