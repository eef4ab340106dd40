/**
 * `Agent.callTool` turns every answer that is not 2xx into a typed `ToolCallError`, against a local
 * HTTP server answering the way the platform's egress (or a tool) does.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  Agent,
  ApprovalRequired,
  ApprovalRequiredError,
  CapabilityDeniedError,
  ConsentRequired,
  ConsentRequiredError,
  isApprovalRequired,
  isPolicyDenied,
  isToolCallError,
  PolicyDeniedError,
  ToolCallError,
  ToolHttpError,
} from "../../src/index.js";
import { FakePlatform } from "../runtime/fake-platform.js";

let fake: FakePlatform;
let agent: Agent;
before(async () => {
  fake = await FakePlatform.start();
  agent = new Agent({ env: { TOOL_URL_CRM: fake.toolUrl("crm") } });
});
after(() => fake.close());

const rule = {
  policy: "crm-policy",
  index: 1,
  permission: "deny",
  operations: ["POST"],
  resource: "http://crm.test/api/admin*",
};

function answer(status: number, body: unknown): void {
  fake.tool("crm", () => ({ status, body }));
}

async function thrown(): Promise<unknown> {
  try {
    await agent.callTool({ name: "crm", path: "/api/admin", payload: { a: 1 } });
  } catch (error) {
    return error;
  }
  assert.fail("callTool did not throw");
}

describe("Agent.callTool errors", () => {
  test("403 POLICY_DENIED throws PolicyDeniedError with the code, status, tool, reason and rule", async () => {
    answer(403, {
      error: "operation denied",
      code: "POLICY_DENIED",
      tool: "crm",
      reason: "denied by policy crm-policy rule 1 (deny POST http://crm.test/api/admin*)",
      method: "POST",
      url: "http://crm.test/api/admin",
      rule,
    });
    const error = await thrown();
    assert.ok(error instanceof PolicyDeniedError);
    assert.ok(error instanceof ToolCallError);
    assert.ok(!(error instanceof CapabilityDeniedError));
    assert.equal(error.name, "PolicyDeniedError");
    assert.equal(error.code, "POLICY_DENIED");
    assert.equal(error.status, 403);
    assert.equal(error.tool, "crm");
    assert.equal(error.reason, "denied by policy crm-policy rule 1 (deny POST http://crm.test/api/admin*)");
    assert.deepEqual(error.rule, rule);
    assert.equal(error.method, "POST");
    assert.equal(error.url, "http://crm.test/api/admin", "the URL the platform names, not the egress URL");
    assert.equal(
      error.message,
      "Call to crm denied: denied by policy crm-policy rule 1 (deny POST http://crm.test/api/admin*)",
    );
    assert.ok(isPolicyDenied(error) && isToolCallError(error));
  });

  test("403 CAPABILITY_DENIED throws CapabilityDeniedError, which is a PolicyDeniedError", async () => {
    answer(403, {
      error: "operation not permitted",
      code: "CAPABILITY_DENIED",
      tool: "crm",
      reason: "tool crm has no capability for POST /api/admin (declared: GET /api/contacts)",
    });
    const error = await thrown();
    assert.ok(error instanceof CapabilityDeniedError);
    assert.ok(error instanceof PolicyDeniedError, "one catch handles both denials");
    assert.equal(error.code, "CAPABILITY_DENIED");
    assert.equal(error.status, 403);
    assert.equal(error.tool, "crm");
    assert.equal(
      error.reason,
      "tool crm has no capability for POST /api/admin (declared: GET /api/contacts)",
    );
    assert.equal(error.rule, undefined);
    assert.equal(error.method, "POST", "the request's method when the answer names none");
    assert.equal(
      error.message,
      "Call to crm not permitted: tool crm has no capability for POST /api/admin (declared: GET /api/contacts)",
    );
  });

  test("403 APPROVAL_REQUIRED throws ApprovalRequiredError with the action and access request ids", async () => {
    answer(403, {
      error: "APPROVAL_REQUIRED",
      code: "APPROVAL_REQUIRED",
      action_id: "act-7",
      request_id: "req-9",
      tool: "crm",
      message: "Approval required by policy crm-policy",
    });
    const error = await thrown();
    assert.ok(error instanceof ApprovalRequiredError);
    assert.ok(error instanceof ApprovalRequired, "the reference SDK's name is the same class");
    assert.ok(error instanceof ToolCallError);
    assert.ok(!isPolicyDenied(error));
    assert.equal(error.code, "APPROVAL_REQUIRED");
    assert.equal(error.status, 403);
    assert.equal(error.tool, "crm");
    assert.equal(error.toolName, "crm");
    assert.equal(error.actionId, "act-7");
    assert.equal(error.accessRequestId, "req-9");
    assert.equal(error.reason, "Approval required by policy crm-policy");
    assert.equal(error.detail.action_id, "act-7");
    assert.ok(isApprovalRequired(error));
    assert.equal((error as unknown as { is_bubble_up: boolean }).is_bubble_up, true);
  });

  test("403 CONSENT_REQUIRED throws ConsentRequiredError with the authorization URL", async () => {
    answer(403, {
      error: "CONSENT_REQUIRED",
      code: "CONSENT_REQUIRED",
      tool: "crm",
      authorization_url: "https://idp.test/authorize?state=s",
      resume_id: "res-3",
      message: "Connect your CRM account",
    });
    const error = await thrown();
    assert.ok(error instanceof ConsentRequiredError);
    assert.ok(error instanceof ConsentRequired);
    assert.equal(error.code, "CONSENT_REQUIRED");
    assert.equal(error.status, 403);
    assert.equal(error.tool, "crm");
    assert.equal(error.authorizationUrl, "https://idp.test/authorize?state=s");
    assert.equal(error.resumeId, "res-3");
    assert.equal(error.reason, "Connect your CRM account");
  });

  test("a 500 throws ToolHttpError with the status and the raw body", async () => {
    answer(500, { error: "database down" });
    const error = await thrown();
    assert.ok(error instanceof ToolHttpError);
    assert.ok(error instanceof ToolCallError);
    assert.ok(!isPolicyDenied(error));
    assert.equal(error.code, "TOOL_HTTP_ERROR");
    assert.equal(error.status, 500);
    assert.equal(error.tool, "crm");
    assert.equal(error.reason, "database down");
    assert.equal(error.body, '{"error":"database down"}');
    assert.equal(error.message, "Tool 'crm' answered HTTP 500");
  });

  test("a 403 without a governance code is a ToolHttpError, not a denial", async () => {
    answer(403, "forbidden");
    const error = await thrown();
    assert.ok(error instanceof ToolHttpError);
    assert.equal(error.status, 403);
    assert.equal(error.body, "forbidden");
    assert.equal(error.reason, "");
  });
});
