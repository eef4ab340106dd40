import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildApprovalDecision } from "../../src/client/approvals.js";
import type { ApprovalScope, ApproveInput } from "../../src/index.js";
import { clientFor, serve } from "../helpers/recording-server.js";

const REQUEST = {
  id: "req-1",
  subject: "alice",
  agent: "bot",
  tool: "pay",
  status: "PENDING",
  action_id: "a1",
  run_id: "r1",
  created_at: "c",
};

describe("approvals.list / get", () => {
  test("sends ?status= only when given and reads agent/tool fallbacks", async (t) => {
    const server = await serve(t);
    server.otherwise({ json: [REQUEST] });
    const client = clientFor(server);
    const [first] = await client.approvals.list();
    await client.approvals.list({ status: "PENDING" });
    await client.approvals.list({ status: "  " });
    assert.deepEqual(server.calls(), [
      "GET /api/v1/approvals/requests",
      "GET /api/v1/approvals/requests?status=PENDING",
      "GET /api/v1/approvals/requests",
    ]);
    assert.equal(first?.agentId, "bot");
    assert.equal(first?.toolId, "pay");
    assert.equal(first?.actionId, "a1");
  });

  test("get sends GET /approvals/requests/{id}", async (t) => {
    const server = await serve(t);
    server.reply({
      json: { ...REQUEST, agent_id: "bot2", tool_id: "pay2", tool_method: "POST", tool_url: "https://pay/x" },
    });
    const request = await clientFor(server).approvals.get("req-1");
    assert.equal(server.only().url, "/api/v1/approvals/requests/req-1");
    assert.equal(request.agentId, "bot2");
    assert.equal(request.toolId, "pay2");
    assert.deepEqual(
      [request.toolMethod, request.toolUrl, request.capability],
      ["POST", "https://pay/x", ""],
    );
  });
});

describe("approval decision normalisation", () => {
  test("the three documented vectors", () => {
    assert.deepEqual(buildApprovalDecision({ scope: "run" }), { scope: "run" });
    assert.deepEqual(buildApprovalDecision({ scope: "window", duration: "4h" }), {
      scope: "agent_user_ttl",
      duration: "4h",
    });
    assert.deepEqual(buildApprovalDecision({ scope: "run", reason: "Reviewed by ops" }), {
      scope: "run",
      reason: "Reviewed by ops",
    });
  });

  const rows: [string, ApproveInput, Record<string, unknown>][] = [
    // Deliberately not the SDK's "no body": no scope is sent as once, never left to a server default.
    ["all empty → once", {}, { scope: "once" }],
    ["blank values → once", { scope: " " as ApprovalScope, duration: " ", reason: " " }, { scope: "once" }],
    ["reason alone → once", { reason: " ok " }, { scope: "once", reason: "ok" }],
    ["duration alone implies a window", { duration: " 1h " }, { scope: "agent_user_ttl", duration: "1h" }],
    ["once", { scope: "once" }, { scope: "once" }],
    ["scope is case-insensitive and trimmed", { scope: " RUN " as ApprovalScope }, { scope: "run" }],
    ["window without duration", { scope: "window" }, { scope: "agent_user_ttl" }],
    ["ttl alias", { scope: "ttl", duration: "2h" }, { scope: "agent_user_ttl", duration: "2h" }],
    ["agent_user_ttl alias", { scope: "agent_user_ttl" }, { scope: "agent_user_ttl" }],
  ];
  for (const [name, input, body] of rows) {
    test(name, () => assert.deepEqual(buildApprovalDecision(input), body));
  }

  test("rejects a duration with once or run", () => {
    for (const scope of ["once", "run"] as const) {
      assert.throws(() => buildApprovalDecision({ scope, duration: "1h" }), {
        code: "VALIDATION_ERROR",
        message: "duration can only be used with scope window",
      });
    }
  });

  test("rejects an unknown scope", () => {
    assert.throws(() => buildApprovalDecision({ scope: " Forever " as ApprovalScope }), {
      code: "VALIDATION_ERROR",
      message: "invalid approval scope 'forever' (expected once, run, or window)",
    });
  });
});

describe("approvals.approve / reject on the wire", () => {
  test("approve posts the normalised body, and {scope: once} when no scope is given", async (t) => {
    const server = await serve(t);
    server.otherwise({ json: { ...REQUEST, status: "APPROVED", scope: "agent_user_ttl", duration: "4h" } });
    const client = clientFor(server);
    const approved = await client.approvals.approve("req-1", { scope: "window", duration: "4h" });
    await client.approvals.approve("req-1");
    assert.equal(approved.status, "APPROVED");
    assert.equal(approved.scope, "agent_user_ttl");
    assert.deepEqual(server.calls(), [
      "POST /api/v1/approvals/requests/req-1/approve",
      "POST /api/v1/approvals/requests/req-1/approve",
    ]);
    assert.deepEqual(server.requests[0]?.json, { scope: "agent_user_ttl", duration: "4h" });
    assert.deepEqual(server.requests[1]?.json, { scope: "once" });
  });

  test("approve with an invalid scope sends nothing", async (t) => {
    const server = await serve(t);
    await assert.rejects(clientFor(server).approvals.approve("req-1", { scope: "once", duration: "1h" }), {
      code: "VALIDATION_ERROR",
    });
    assert.equal(server.requests.length, 0);
  });

  test("reject sends {reason} when given, otherwise no body", async (t) => {
    const server = await serve(t);
    server.otherwise({ json: { ...REQUEST, status: "REJECTED" } });
    const client = clientFor(server);
    assert.equal((await client.approvals.reject("req-1", { reason: " too risky " })).status, "REJECTED");
    await client.approvals.reject("req-1");
    assert.deepEqual(server.calls(), [
      "POST /api/v1/approvals/requests/req-1/reject",
      "POST /api/v1/approvals/requests/req-1/reject",
    ]);
    assert.deepEqual(server.requests[0]?.json, { reason: "too risky" });
    assert.equal(server.requests[1]?.body, "");
  });
});
