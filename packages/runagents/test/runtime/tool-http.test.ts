import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ApprovalRequired, ConsentRequired } from "../../src/agent/index.js";
import { requestTool } from "../../src/agent/tool-http.js";
import type { RuntimeServer } from "../../src/runtime/index.js";
import { FakePlatform } from "./fake-platform.js";
import { startRuntime } from "./harness.js";

let fake: FakePlatform;
let runtime: RuntimeServer;
before(async () => {
  fake = await FakePlatform.start();
  // A running runtime instruments fetch: the interrupt must still be seen (the reference lost the body).
  runtime = await startRuntime(fake);
});
after(async () => {
  await runtime.close();
  await fake.close();
});

const call = (tool: string) =>
  requestTool({ method: "POST", url: `${fake.toolUrl(tool)}/x`, toolName: tool });

describe("tool HTTP calls", () => {
  test("a 403 with a non-JSON body is returned as an HTTP error result", async () => {
    fake.tool("plain403", () => ({ status: 403, body: "forbidden" }));
    assert.equal(await call("plain403"), JSON.stringify({ error: "HTTP 403", detail: "forbidden" }));
  });

  test("a 403 with code CONSENT_REQUIRED raises ConsentRequired with its details", async () => {
    fake.tool("consent", () => ({
      status: 403,
      body: {
        code: "CONSENT_REQUIRED",
        authorization_url: "https://example.com/oauth",
        resume_id: "resume-1",
      },
    }));
    await assert.rejects(call("consent"), (error: unknown) => {
      assert.ok(error instanceof ConsentRequired);
      assert.equal(error.toolName, "consent");
      assert.equal(error.authorizationUrl, "https://example.com/oauth");
      assert.equal(error.resumeId, "resume-1");
      assert.equal(error.message, "Consent required for consent");
      return true;
    });
  });

  test("a 403 with code APPROVAL_REQUIRED raises ApprovalRequired with the action id", async () => {
    fake.tool("approval", () => ({ status: 403, body: { code: "APPROVAL_REQUIRED", action_id: "act-1" } }));
    await assert.rejects(call("approval"), (error: unknown) => {
      assert.ok(error instanceof ApprovalRequired);
      assert.equal(error.actionId, "act-1");
      assert.deepEqual(error.detail, { code: "APPROVAL_REQUIRED", action_id: "act-1" });
      assert.equal(error.is_bubble_up, true);
      return true;
    });
  });

  test("the signal is also read from the error field, as the consent docs spell it", async () => {
    fake.tool("docs", () => ({
      status: 403,
      body: { error: "CONSENT_REQUIRED", authorization_url: "https://a" },
    }));
    await assert.rejects(call("docs"), ConsentRequired);
  });

  test("other statuses are results, not errors", async () => {
    fake.tool("missing", () => ({ status: 404, body: { error: "nope" } }));
    assert.equal(await call("missing"), JSON.stringify({ error: "HTTP 404", detail: '{"error":"nope"}' }));
  });
});
