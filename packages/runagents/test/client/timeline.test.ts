import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { summarizeEvent, truncate } from "../../src/client/timeline.js";
import type { RunEvent } from "../../src/index.js";

function ev(type: string, data: Record<string, unknown> = {}, actor = ""): RunEvent {
  return { id: "e", runId: "r", sequence: 1, type, actor, data, timestamp: "t", payloadHash: "" };
}

describe("timeline summaries", () => {
  const rows: [string, RunEvent, string][] = [
    ["data.message wins over the type", ev("TOOL_REQUEST", { message: "custom", detail: "d" }), "custom"],
    ["data.detail comes next", ev("COMPLETED", { detail: "details", summary: "s" }), "details"],
    ["then data.summary", ev("FAILED", { summary: "sum", error: "boom" }), "sum"],
    ["RUN_CREATED", ev("RUN_CREATED"), "Run created"],
    ["USER_MESSAGE content", ev("USER_MESSAGE", { content: "hello" }), "hello"],
    ["USER_MESSAGE default", ev("USER_MESSAGE"), "User message received"],
    ["AGENT_MESSAGE content", ev("AGENT_MESSAGE", { content: "answer" }), "answer"],
    ["AGENT_MESSAGE default", ev("AGENT_MESSAGE", { content: "  " }), "Agent response emitted"],
    [
      "TOOL_REQUEST with capability, method and url",
      ev("TOOL_REQUEST", {
        tool_id: "crm",
        capability: "read",
        tool_method: "GET",
        tool_url: "https://crm/x",
      }),
      "Called crm read GET https://crm/x",
    ],
    [
      "TOOL_REQUEST with method only",
      ev("TOOL_REQUEST", { tool: "crm", tool_method: "POST" }),
      "Called crm POST",
    ],
    [
      "TOOL_CALLED with url only",
      ev("TOOL_CALLED", { tool_url: "https://crm/y" }),
      "Called tool https://crm/y",
    ],
    ["TOOL_REQUEST bare", ev("TOOL_REQUEST"), "Called tool"],
    [
      "TOOL_RESPONSE with status",
      ev("TOOL_RESPONSE", { tool_id: "crm", status_code: 200 }),
      "crm returned HTTP 200",
    ],
    ["TOOL_RESPONSE without status", ev("TOOL_RESPONSE", { tool: "crm" }), "crm returned successfully"],
    ["TOOL_RESPONSE without tool", ev("TOOL_RESPONSE", { status_code: 500 }), "Tool response recorded"],
    [
      "APPROVAL_REQUIRED with capability",
      ev("APPROVAL_REQUIRED", { tool_id: "pay", capability: "refund" }),
      "Approval required for pay (refund)",
    ],
    ["APPROVAL_REQUIRED default tool", ev("APPROVAL_REQUIRED"), "Approval required for governed tool call"],
    ["CONSENT_REQUIRED", ev("CONSENT_REQUIRED", { tool: "gmail" }), "Consent required for gmail"],
    ["CONSENT_REQUIRED default tool", ev("CONSENT_REQUIRED"), "Consent required for delegated tool call"],
    [
      "APPROVED by approver_id",
      ev("APPROVED", { approver_id: "ops@x.com" }, "governance"),
      "Approved by ops@x.com",
    ],
    ["APPROVED by actor", ev("APPROVED", {}, "governance"), "Approved by governance"],
    ["APPROVED fallback", ev("APPROVED"), "Approval granted"],
    ["REJECTED by actor", ev("REJECTED", {}, "alice"), "Rejected by alice"],
    ["REJECTED fallback", ev("REJECTED"), "Approval rejected"],
    ["RESUMED", ev("RESUMED"), "Run resumed after external decision"],
    ["INVOKE_REQUESTED", ev("INVOKE_REQUESTED"), "Agent invocation requested"],
    ["INVOKE_COMPLETED", ev("INVOKE_COMPLETED"), "Agent invocation completed"],
    ["INVOKE_FAILED error", ev("INVOKE_FAILED", { error: "502 upstream" }), "502 upstream"],
    ["INVOKE_FAILED fallback", ev("INVOKE_FAILED"), "Agent invocation failed"],
    ["COMPLETED", ev("COMPLETED"), "Run completed successfully"],
    ["FAILED error", ev("FAILED", { error: "crashed" }), "crashed"],
    ["FAILED fallback", ev("FAILED"), "Run failed"],
    ["unknown type without data is humanised", ev("SOME_TYPE"), "Some type"],
    ["empty type without data", ev(""), "Event"],
    [
      "unknown type with data lists sorted k=v",
      ev("CUSTOM", { b: 2, a: "x", c: true, d: { n: 1 } }),
      'a=x, b=2, c=true, d={"n":1}',
    ],
  ];
  for (const [name, event, summary] of rows) {
    test(name, () => assert.equal(summarizeEvent(event), summary));
  }

  test("cuts text over 120 characters to 117 characters plus '...'", () => {
    const long = "x".repeat(130);
    assert.equal(summarizeEvent(ev("USER_MESSAGE", { content: long })), `${"x".repeat(117)}...`);
    assert.equal(summarizeEvent(ev("AGENT_MESSAGE", { message: long })).length, 120);
    assert.equal(summarizeEvent(ev("X", { k: "v".repeat(200) })), `k=${"v".repeat(115)}...`);
    assert.equal(truncate("y".repeat(120)), "y".repeat(120));
    assert.equal(truncate("  padded  "), "padded");
  });
});
