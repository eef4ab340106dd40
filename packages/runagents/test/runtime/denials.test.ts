/**
 * A denied tool call in the runtime: uncaught, it answers the invoke with a structured error
 * (403 `{error, code, tool, reason, rule}`, or an SSE `error` event with the same fields); caught,
 * the handler carries on. A blocked call is never reported as a tool result, and the reports of a
 * run are answered before its invoke is.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { Agent, type HandlerRequest, PolicyDeniedError } from "../../src/index.js";
import { FakePlatform, post } from "./fake-platform.js";
import { startRuntime } from "./harness.js";

let fake: FakePlatform;
before(async () => {
  fake = await FakePlatform.start();
});
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.timeline.length = 0;
  fake.toolResultLatencyMs = 0;
});

const rule = { policy: "p", index: 0, permission: "deny", operations: ["POST"], resource: "crm" };
const denial = {
  error: "operation denied",
  code: "POLICY_DENIED",
  tool: "crm",
  reason: "denied by policy p rule 0 (deny POST crm)",
  method: "POST",
  url: "http://crm.test/api",
  rule,
};

function tools(): void {
  fake.tool("crm", () => ({ status: 403, body: denial }));
  fake.tool("notes", () => ({ body: { saved: true } }));
}

const env = () => ({ TOOL_URL_CRM: fake.toolUrl("crm"), TOOL_URL_NOTES: fake.toolUrl("notes") });

async function uncaught(_request: HandlerRequest) {
  const agent = new Agent({ env: env() });
  await agent.callTool({ name: "notes", payload: { n: 1 } });
  await agent.callTool({ name: "crm", payload: { x: 1 } });
  return "unreachable";
}

describe("denied tool calls in the runtime", () => {
  test("an uncaught denial answers 403 with code, tool, reason and rule; only the call that ran is reported", async () => {
    tools();
    const runtime = await startRuntime(fake, { env: env(), handler: uncaught });
    try {
      const res = await post(`${runtime.url}/invoke`, { message: "go" }, { "X-Run-ID": "run-d" });
      assert.equal(res.status, 403);
      const body = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(
        { ...body, request_id: undefined },
        {
          error: "Call to crm denied: denied by policy p rule 0 (deny POST crm)",
          code: "POLICY_DENIED",
          tool: "crm",
          reason: "denied by policy p rule 0 (deny POST crm)",
          rule,
          method: "POST",
          url: "http://crm.test/api",
          status_code: 403,
          request_id: undefined,
        },
      );
      const reports = fake.to("/gov/runs/run-d/tool-result").map((r) => JSON.parse(r.body));
      assert.deepEqual(
        reports.map((r) => [r.tool_id, r.status_code]),
        [["notes", 200]],
        "the denied call is not reported as a tool result",
      );
    } finally {
      await runtime.close();
    }
  });

  test("streaming, an uncaught denial is an error event with the same fields", async () => {
    tools();
    const runtime = await startRuntime(fake, { env: env(), handler: uncaught });
    try {
      const res = await post(`${runtime.url}/invoke/stream`, { message: "go" }, { "X-Run-ID": "run-s" });
      const text = await res.text();
      const events = text
        .split("\n\n")
        .filter((b) => b.startsWith("data: ") && b !== "data: [DONE]")
        .map((b) => JSON.parse(b.slice(6)) as Record<string, unknown>);
      const error = events.find((e) => e.type === "error");
      assert.equal(error?.message, "Call to crm denied: denied by policy p rule 0 (deny POST crm)");
      assert.equal(error?.code, "POLICY_DENIED");
      assert.equal(error?.tool, "crm");
      assert.equal(error?.reason, "denied by policy p rule 0 (deny POST crm)");
      assert.deepEqual(error?.rule, rule);
      assert.ok(text.endsWith("data: [DONE]\n\n"));
    } finally {
      await runtime.close();
    }
  });

  test("a handler that catches PolicyDeniedError completes with its own answer", async () => {
    tools();
    const runtime = await startRuntime(fake, {
      env: env(),
      handler: async () => {
        const agent = new Agent({ env: env() });
        try {
          await agent.callTool({ name: "crm", payload: {} });
          return "called";
        } catch (error) {
          if (error instanceof PolicyDeniedError) return `Not allowed: ${error.reason}`;
          throw error;
        }
      },
    });
    try {
      const res = await post(`${runtime.url}/invoke`, { message: "go" }, { "X-Run-ID": "run-c" });
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.response, "Not allowed: denied by policy p rule 0 (deny POST crm)");
      assert.equal(body.approval_required, undefined);
    } finally {
      await runtime.close();
    }
  });

  test("the built-in loop fails on a denial: 403 with the denial's fields", async () => {
    tools();
    fake.llmReplies.push({ tool_calls: [{ id: "c1", name: "crm__create", arguments: "{}" }] });
    const runtime = await startRuntime(fake, {
      env: {
        ...env(),
        TOOL_DEFINITIONS_JSON: JSON.stringify([
          { type: "function", function: { name: "crm__create", parameters: { type: "object" } } },
        ]),
      },
    });
    try {
      const res = await post(`${runtime.url}/invoke`, { message: "go" }, { "X-Run-ID": "run-l" });
      assert.equal(res.status, 403);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.code, "POLICY_DENIED");
      assert.equal(body.tool, "crm");
      assert.deepEqual(body.rule, rule);
      assert.equal(fake.to("/gov/runs/run-l/tool-result").length, 0);
    } finally {
      await runtime.close();
    }
  });

  test("the invoke is answered only after the run's tool reports are", async () => {
    fake.tool("notes", () => ({ body: { saved: true } }));
    fake.toolResultLatencyMs = 100;
    const runtime = await startRuntime(fake, {
      env: env(),
      handler: async () => {
        const agent = new Agent({ env: env() });
        await agent.callTool({ name: "notes", payload: { n: 1 } });
        await agent.callTool({ name: "notes", payload: { n: 2 } });
        return "done";
      },
    });
    try {
      const res = await post(`${runtime.url}/invoke`, { message: "go" }, { "X-Run-ID": "run-o" });
      fake.timeline.push("invoke answered");
      assert.equal(res.status, 200);
      assert.deepEqual(fake.timeline, ["tool-result notes", "tool-result notes", "invoke answered"]);
    } finally {
      await runtime.close();
    }
  });
});
