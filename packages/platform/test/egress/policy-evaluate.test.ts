import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { governedAgent, newRun, startToolServer, type ToolServer } from "./helpers.js";

describe("POST /policies/evaluate", () => {
  let platform: TestPlatform;
  let tool: ToolServer;
  let egress: string;

  before(async () => {
    platform = await startTestPlatform();
    tool = await startToolServer();
    const agent = await governedAgent(platform, {
      agent: "explain-agent",
      tool: {
        name: "billing",
        spec: {
          connection: { baseUrl: `${tool.url}/billing` },
          riskTags: ["financial"],
          capabilities: [
            { name: "list-invoices", method: "GET", path: "/billing/invoices" },
            { name: "refund", method: "POST", path: "/billing/refunds", riskTags: ["money-out"] },
            { name: "wipe", method: "DELETE", path: "/billing/all" },
          ],
        },
      },
      rules: [
        { permission: "allow", resource: `${tool.url}/billing/*` },
        { permission: "approval_required", operations: ["POST"], tags: ["money-out"] },
        { permission: "deny", resource: "billing", operations: ["DELETE"] },
      ],
    });
    egress = agent.egress;
  });
  after(async () => {
    await platform.destroy();
    await tool.close();
  });

  const evaluate = (body: Record<string, unknown>) => platform.call("POST", "/policies/evaluate", body);

  it("explains an allow with the rule that produced it and the capability that matched, calling nothing", async () => {
    const before = tool.received.length;
    const res = await evaluate({
      agent: "explain-agent",
      method: "get",
      url: `${tool.url}/billing/invoices?page=2`,
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, {
      agent: "explain-agent",
      method: "GET",
      url: `${tool.url}/billing/invoices?page=2`,
      tool: "billing",
      decision: "allow",
      effective_decision: "allow",
      code: null,
      reason: `allowed by policy explain-agent-policy rule 0 (allow * ${tool.url}/billing/*)`,
      policies: ["explain-agent-policy"],
      rules: [
        {
          policy: "explain-agent-policy",
          index: 0,
          permission: "allow",
          operations: [],
          resource: `${tool.url}/billing/*`,
          tags: [],
        },
      ],
      matched_rules: [
        {
          policy: "explain-agent-policy",
          index: 0,
          permission: "allow",
          operations: [],
          resource: `${tool.url}/billing/*`,
          tags: [],
        },
      ],
      capability: {
        checked: true,
        allowed: true,
        matched: { name: "list-invoices", method: "GET", path: "/billing/invoices" },
        path: "/billing/invoices",
      },
      tags: ["financial"],
      grant: null,
    });
    assert.equal(tool.received.length, before);
  });

  it("explains approval_required through a capability's risk tag, and a grant that covers it", async () => {
    const res = await evaluate({
      agent: "explain-agent",
      method: "POST",
      url: `${tool.url}/billing/refunds`,
    });
    const body = res.json as any;
    assert.equal(body.decision, "approval_required");
    assert.equal(body.code, "APPROVAL_REQUIRED");
    assert.deepEqual(
      body.rules.map((r: any) => [r.index, r.permission]),
      [[1, "approval_required"]],
    );
    assert.deepEqual(
      body.matched_rules.map((r: any) => r.permission),
      ["allow", "approval_required"],
    );
    assert.deepEqual(body.tags, ["financial", "money-out"]);

    const runId = await newRun(platform, "explain-agent", "alice@example.com");
    const blocked = await fetch(`${egress}/refunds`, {
      method: "POST",
      headers: { "X-Run-ID": runId },
      body: "{}",
    });
    const { request_id } = (await blocked.json()) as any;
    await platform.call("POST", `/approvals/requests/${request_id}/approve`, {
      scope: "window",
      duration: "1h",
    });
    const covered = (
      await evaluate({
        agent: "explain-agent",
        method: "POST",
        url: `${tool.url}/billing/refunds`,
        user_id: "alice@example.com",
      })
    ).json as any;
    assert.equal(covered.decision, "approval_required");
    assert.equal(covered.effective_decision, "allow");
    assert.equal(covered.code, null);
    assert.equal(covered.grant.request_id, request_id);
    assert.equal(covered.grant.scope, "agent_user_ttl");
  });

  it("explains a deny (by rule, by default, by capability) and a URL no tool claims", async () => {
    const byRule = (
      await evaluate({ agent: "explain-agent", method: "DELETE", url: `${tool.url}/billing/all` })
    ).json as any;
    assert.equal(byRule.decision, "deny");
    assert.equal(byRule.code, "POLICY_DENIED");
    assert.equal(byRule.reason, "denied by policy explain-agent-policy rule 2 (deny DELETE billing)");
    const byCapability = (
      await evaluate({ agent: "explain-agent", tool: "billing", method: "PUT", url: "/invoices" })
    ).json as any;
    assert.equal(byCapability.code, "CAPABILITY_DENIED");
    assert.equal(byCapability.capability.allowed, false);
    assert.equal(
      byCapability.url,
      `${tool.url}/billing/invoices`,
      "a path is taken below the tool's base URL",
    );
    const other = (
      await evaluate({ agent: "explain-agent", method: "GET", url: "https://elsewhere.example/x" })
    ).json as any;
    assert.equal(other.decision, "deny");
    assert.equal(other.tool, null);
    assert.equal(other.reason, "no registered tool matches https://elsewhere.example/x");
    await platform.store.putResource("default", "agent", "bare-agent", { name: "bare-agent", spec: {} });
    const bare = (await evaluate({ agent: "bare-agent", method: "GET", url: `${tool.url}/billing/invoices` }))
      .json as any;
    assert.equal(bare.reason, "no policy is bound to agent bare-agent: default deny");
  });

  it("rejects bad input with a 4xx naming the field", async () => {
    const cases: [Record<string, unknown>, number, string][] = [
      [{ method: "GET", url: `${tool.url}/billing` }, 400, "agent is required"],
      [{ agent: "explain-agent", url: `${tool.url}/billing` }, 400, "method is required"],
      [
        { agent: "explain-agent", method: "FETCH", url: `${tool.url}/billing` },
        400,
        "method must be one of GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE, CONNECT, TRACE",
      ],
      [{ agent: "explain-agent", method: "GET" }, 400, "url is required"],
      [{ agent: "explain-agent", method: "GET", url: "ftp://x" }, 400, "url must be an absolute http(s) URL"],
      [
        { agent: "explain-agent", method: "GET", url: "https://x", tags: "a" },
        400,
        "tags must be a list of strings",
      ],
      [{ agent: "ghost", method: "GET", url: "https://x" }, 404, "agent ghost not found"],
      [{ agent: "explain-agent", tool: "ghost", method: "GET", url: "/x" }, 404, 'tool "ghost" not found'],
    ];
    for (const [body, status, error] of cases) {
      const res = await evaluate(body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.deepEqual(res.json, { error });
    }
  });
});
