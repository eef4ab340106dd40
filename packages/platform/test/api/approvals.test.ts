import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { hashToken } from "../../src/api/auth.js";
import type { ApprovalDecision } from "../../src/governance/approvals.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("approval requests API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  const newRequest = async (body: Record<string, unknown> = {}) => {
    const res = await platform.call("POST", "/approvals/requests", {
      subject: "carol",
      tool_id: "crm",
      agent_id: "sales-agent",
      ...body,
    });
    assert.ok(res.status === 201 || res.status === 200, res.text);
    return res.json as Record<string, any>;
  };
  /** A run paused on a blocked action, and the request that decides it. */
  const pausedRun = async (tool = "crm") => {
    const run = (await platform.call("POST", "/runs", { agent_id: "sales-agent", user_id: "carol" }))
      .json as any;
    const action = (await platform.call("POST", `/runs/${run.id}/actions`, { tool_id: tool })).json as any;
    return { run, action, requestId: action.request_id as string };
  };
  const eventsOf = async (runId: string) =>
    (await platform.call("GET", `/runs/${runId}/events`)).json as any[];

  it("creates a pending request with both key pairs, and reuses it for the same call", async () => {
    const res = await platform.call("POST", "/approvals/requests", {
      subject: "carol",
      tool_id: "crm",
      agent_id: "sales-agent",
      capability: "export",
      tool_method: "get",
      tool_url: "https://crm.example/export",
      payload_hash: "sha256:1",
    });
    assert.equal(res.status, 201);
    const request = res.json as Record<string, any>;
    assert.match(request.id, /^req-[0-9a-f]{16}$/);
    assert.equal(request.status, "PENDING");
    assert.equal(request.agent_id, "sales-agent");
    assert.equal(request.agent, "sales-agent");
    assert.equal(request.tool_id, "crm");
    assert.equal(request.tool, "crm");
    assert.equal(request.tool_method, "GET");
    assert.equal(request.expires_at, null);
    for (const key of ["scope", "duration", "approver_id", "reason", "action_id", "run_id"]) {
      assert.equal(request[key], "", key);
    }
    assert.ok(request.created_at && request.updated_at);
    const again = await platform.call("POST", "/approvals/requests", {
      subject: "carol",
      tool_id: "crm",
      agent_id: "sales-agent",
      capability: "export",
      tool_method: "GET",
      tool_url: "https://crm.example/export",
      payload_hash: "sha256:1",
    });
    assert.equal(again.status, 200);
    assert.equal((again.json as any).id, request.id);
    const different = await platform.call("POST", "/approvals/requests", {
      subject: "carol",
      tool_id: "crm",
      agent_id: "sales-agent",
      payload_hash: "sha256:2",
    });
    assert.equal(different.status, 201);
  });

  it("takes the agent from the run, and 404s for an unknown run", async () => {
    const run = (await platform.call("POST", "/runs", { agent_id: "run-agent", user_id: "carol" }))
      .json as any;
    const request = await newRequest({ agent_id: undefined, run_id: run.id });
    assert.equal(request.agent_id, "run-agent");
    assert.equal(request.run_id, run.id);
    const res = await platform.call("POST", "/approvals/requests", {
      subject: "s",
      tool_id: "t",
      run_id: "nope",
    });
    assert.deepEqual([res.status, res.json], [404, { error: "run nope not found" }]);
  });

  it("validates the create body", async () => {
    for (const [body, error] of [
      [{ tool_id: "crm" }, "subject is required"],
      [{ subject: "carol" }, "tool_id is required"],
      [
        { subject: "carol", tool_id: "crm", duration: "forever" },
        "duration must be a duration such as 30m, 4h, 1h30m or 7d (between 1s and 30d)",
      ],
      [{ subject: "carol", tool_id: "crm", capability: 7 }, "capability must be a string"],
    ] as const) {
      const res = await platform.call("POST", "/approvals/requests", body);
      assert.deepEqual([res.status, res.json], [400, { error }]);
    }
  });

  it("lists oldest first, filters by status, and rejects unknown statuses", async () => {
    const first = await newRequest({ tool_id: "list-a" });
    const second = await newRequest({ tool_id: "list-b" });
    await platform.call("POST", `/approvals/requests/${second.id}/reject`);
    const all = (await platform.call("GET", "/approvals/requests")).json as any[];
    assert.ok(all.some((r) => r.id === first.id) && all.some((r) => r.id === second.id));
    const stamps = all.map((r) => r.created_at);
    assert.deepEqual(stamps, [...stamps].sort(), "oldest first");
    const rejected = ((await platform.call("GET", "/approvals/requests?status=rejected")).json as any[]).map(
      (r) => r.id,
    );
    assert.ok(rejected.includes(second.id) && !rejected.includes(first.id));
    const bad = await platform.call("GET", "/approvals/requests?status=DONE");
    assert.deepEqual(
      [bad.status, bad.json],
      [400, { error: "query parameter status must be one of PENDING, APPROVED, REJECTED, EXPIRED" }],
    );
    const missing = await platform.call("GET", "/approvals/requests/req-missing");
    assert.deepEqual(
      [missing.status, missing.json],
      [404, { error: "approval request req-missing not found" }],
    );
  });

  it("approves with no scope as once (never a window), as the local caller, once only", async () => {
    const request = await newRequest({ tool_id: "window-default" });
    const res = await platform.call("POST", `/approvals/requests/${request.id}/approve`);
    assert.equal(res.status, 200);
    const approved = res.json as Record<string, any>;
    assert.equal(approved.status, "APPROVED");
    assert.equal(approved.scope, "once");
    assert.equal(approved.duration, "");
    assert.equal(approved.expires_at, null);
    assert.equal(approved.approver_id, platform.adminSubject);
    const again = await platform.call("POST", `/approvals/requests/${request.id}/approve`);
    assert.deepEqual(
      [again.status, again.json],
      [409, { error: `request ${request.id} is APPROVED, not PENDING` }],
    );
    const reject = await platform.call("POST", `/approvals/requests/${request.id}/reject`);
    assert.deepEqual(
      [reject.status, reject.json],
      [409, { error: `request ${request.id} is APPROVED, not PENDING` }],
    );
  });

  it("normalises scopes and durations like the SDK", async () => {
    const cases: [Record<string, unknown>, number, string | Record<string, unknown>][] = [
      [{ scope: "window", duration: "30m" }, 200, { scope: "agent_user_ttl", duration: "30m" }],
      [{ duration: "1h30m" }, 200, { scope: "agent_user_ttl", duration: "1h30m" }],
      [{ scope: "TTL" }, 200, { scope: "agent_user_ttl", duration: "4h" }],
      [{}, 200, { scope: "once", duration: "", expires_at: null }],
      [{ reason: "looked fine" }, 200, { scope: "once", duration: "", reason: "looked fine" }],
      [
        { scope: "run", reason: "Reviewed by ops" },
        200,
        { scope: "run", duration: "", reason: "Reviewed by ops" },
      ],
      [{ scope: "once" }, 200, { scope: "once", duration: "", expires_at: null }],
      [{ scope: "once", duration: "1h" }, 400, "duration can only be used with scope window"],
      [{ scope: "forever" }, 400, "invalid approval scope 'forever' (expected once, run, or window)"],
      [
        { scope: "window", duration: "31d" },
        400,
        "duration must be a duration such as 30m, 4h, 1h30m or 7d (between 1s and 30d)",
      ],
      [{ scope: 1 }, 400, "scope must be a string"],
    ];
    for (const [body, status, expected] of cases) {
      const request = await newRequest({ tool_id: `scope-${Math.random().toString(36).slice(2)}` });
      const res = await platform.call("POST", `/approvals/requests/${request.id}/approve`, body);
      assert.equal(res.status, status, JSON.stringify(body));
      if (typeof expected === "string") {
        assert.deepEqual(res.json, { error: expected });
        continue;
      }
      for (const [key, value] of Object.entries(expected))
        assert.deepEqual((res.json as any)[key], value, key);
    }
  });

  it("takes the window from the tool's default duration", async () => {
    const tool = await platform.call("POST", "/tools", {
      name: "tool-with-window",
      spec: {
        connection: { baseUrl: "https://x.example" },
        governance: { approval: { defaultDuration: "2h" } },
      },
    });
    assert.equal(tool.status, 201);
    const request = await newRequest({ tool_id: "tool-with-window" });
    const res = await platform.call("POST", `/approvals/requests/${request.id}/approve`, { scope: "window" });
    assert.equal((res.json as any).duration, "2h");
    const asked = await newRequest({ tool_id: "tool-with-window", duration: "15m" });
    const res2 = await platform.call("POST", `/approvals/requests/${asked.id}/approve`, { scope: "window" });
    assert.equal((res2.json as any).duration, "15m", "the requested duration comes before the tool's");
  });

  it("approving a run's request approves its action and records APPROVED, then tells listeners", async () => {
    const heard: ApprovalDecision[] = [];
    const stop = platform.services.approvals.onDecision((event) => {
      heard.push(event);
    });
    try {
      const { run, action, requestId } = await pausedRun();
      const res = await platform.call("POST", `/approvals/requests/${requestId}/approve`, { scope: "run" });
      assert.equal(res.status, 200);
      const got = (await platform.call("GET", `/runs/${run.id}/actions/${action.action_id}`)).json as any;
      assert.equal(got.status, "APPROVED");
      const approved = (await eventsOf(run.id)).at(-1);
      assert.equal(approved.type, "APPROVED");
      assert.equal(approved.actor, platform.adminSubject);
      assert.deepEqual(approved.data, {
        approver_id: platform.adminSubject,
        scope: "run",
        tool_id: "crm",
        action_id: action.action_id,
        request_id: requestId,
      });
      assert.equal(heard.length, 1);
      assert.equal(heard[0]?.decision, "approved");
      assert.equal(heard[0]?.runId, run.id);
      assert.equal(heard[0]?.actionId, action.action_id);
    } finally {
      stop();
    }
  });

  it("rejecting fails the action and the run, with REJECTED then FAILED events", async () => {
    const { run, action, requestId } = await pausedRun();
    const res = await platform.call("POST", `/approvals/requests/${requestId}/reject`, {
      reason: "not today",
    });
    assert.equal(res.status, 200);
    assert.equal((res.json as any).status, "REJECTED");
    assert.equal((res.json as any).reason, "not today");
    assert.equal((res.json as any).approver_id, platform.adminSubject);
    const got = (await platform.call("GET", `/runs/${run.id}/actions/${action.action_id}`)).json as any;
    assert.equal(got.status, "FAILED");
    const events = await eventsOf(run.id);
    assert.deepEqual(
      events.slice(-2).map((e) => e.type),
      ["REJECTED", "FAILED"],
    );
    assert.equal(events.at(-2).data.reason, "not today");
    const failed = (await platform.call("GET", `/runs/${run.id}`)).json as any;
    assert.equal(failed.status, "FAILED");
    assert.match(
      events.at(-1).data.error,
      new RegExp(`^approval request ${requestId} for tool crm was rejected: not today$`),
    );
  });

  it("reads an ended window as EXPIRED and stores that", async () => {
    const request = await newRequest({ tool_id: "expiring" });
    await platform.call("POST", `/approvals/requests/${request.id}/approve`, { duration: "1h" });
    const stored = await platform.store.getResource("default", "access_request", request.id);
    assert.ok(stored);
    await platform.store.putResource("default", "access_request", request.id, {
      ...stored.doc,
      expires_at: new Date(Date.now() - 1000).toISOString(),
    });
    const got = (await platform.call("GET", `/approvals/requests/${request.id}`)).json as any;
    assert.equal(got.status, "EXPIRED");
    const persisted = await platform.store.getResource("default", "access_request", request.id);
    assert.equal(persisted?.doc.status, "EXPIRED");
    const expired = ((await platform.call("GET", "/approvals/requests?status=EXPIRED")).json as any[]).map(
      (r) => r.id,
    );
    assert.ok(expired.includes(request.id));
  });

  it("serves the legacy /governance/requests paths", async () => {
    const request = await newRequest({ tool_id: "legacy" });
    const list = (await platform.call("GET", "/governance/requests")).json as any[];
    assert.ok(list.some((r) => r.id === request.id));
    const res = await platform.call("POST", `/governance/requests/${request.id}/approve`);
    assert.equal(res.status, 200);
  });
});

describe("approval requests with API keys", () => {
  let platform: TestPlatform;
  const token = "ra_ws_test-approver-token-0123456789";
  before(async () => {
    platform = await startTestPlatform();
    await platform.store.createApiKey({
      id: "key-1",
      workspace: "default",
      name: "ops-oncall",
      prefix: "ra_ws_",
      last4: token.slice(-4),
      hash: hashToken(token),
      createdAt: new Date().toISOString(),
      lastUsedAt: "",
      expiresAt: "",
      role: "admin",
      groups: [],
    });
  });
  after(() => platform.destroy());

  it("records the key's verified subject (key:<id>), not its name, as approver_id", async () => {
    const headers = { "X-RunAgents-API-Key": token };
    const created = await platform.call(
      "POST",
      "/approvals/requests",
      { subject: "s", tool_id: "t" },
      headers,
    );
    assert.equal(created.status, 201);
    const id = (created.json as any).id;
    const res = await platform.call("POST", `/approvals/requests/${id}/approve`, { scope: "once" }, headers);
    assert.equal(res.status, 200);
    assert.equal((res.json as any).approver_id, "key:key-1");
  });
});
