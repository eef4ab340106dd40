import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { HandlerRequest, RunContext } from "../../src/agent/index.js";
import { FakePlatform, post } from "./fake-platform.js";
import { startRuntime } from "./harness.js";

// A handler returning a plain value is answered without a promise: these check that it still runs
// as the request (its later calls carry the request's identity), that a tool call it started is
// still reported before the answer, and that its ctx.emit text is the response.

let fake: FakePlatform;
before(async () => {
  fake = await FakePlatform.start();
});
after(() => fake.close());

const ids = { "X-Run-ID": "run-sync", "X-Request-Id": "req-sync", "X-End-User-Id": "user-sync" };

describe("synchronous handlers", () => {
  test("work a synchronous handler schedules runs as its request: the call carries its ids", async () => {
    const env = { TOOL_URL_ECHO: fake.toolUrl("echo") };
    const runtime = await startRuntime(fake, {
      env,
      handler: (_request: HandlerRequest, ctx: RunContext) => {
        setTimeout(() => {
          void fetch(`${ctx.tools.echo}/later`, { method: "POST", body: "later" }).then((r) => r.text());
        }, 1);
        return "answered";
      },
    });
    try {
      const response = await post(`${runtime.url}/invoke`, { message: "hi" }, ids);
      assert.equal(((await response.json()) as { response: string }).response, "answered");
      const [call] = await fake.waitFor("/tools/echo/later");
      assert.deepEqual(
        [call?.headers["x-run-id"], call?.headers["x-request-id"], call?.headers["x-end-user-id"]],
        ["run-sync", "req-sync", "user-sync"],
      );
    } finally {
      await runtime.close();
    }
  });

  test("a tool call a synchronous handler started is reported and listed before the answer", async () => {
    const env = { TOOL_URL_ECHO: fake.toolUrl("echo") };
    const runtime = await startRuntime(fake, {
      env,
      handler: (_request: HandlerRequest, ctx: RunContext) => {
        void fetch(`${ctx.tools.echo}/started`, { method: "POST", body: "x" }).then((r) => r.text());
        return "done";
      },
    });
    try {
      const response = await post(`${runtime.url}/invoke`, { message: "hi" }, ids);
      const body = (await response.json()) as { response: string; tool_calls_made: Array<{ url: string }> };
      assert.equal(response.status, 200);
      assert.equal(body.response, "done");
      assert.equal(body.tool_calls_made.length, 1);
      assert.match(body.tool_calls_made[0]?.url ?? "", /\/tools\/echo\/started$/);
      // Reported before the answer: the report is already recorded when the invoke returns.
      assert.equal(fake.to("/gov/runs/run-sync/tool-result").length, 1);
    } finally {
      await runtime.close();
    }
  });

  test("text a synchronous handler emits is its response", async () => {
    const runtime = await startRuntime(fake, {
      handler: (_request: HandlerRequest, ctx: RunContext) => {
        ctx.emit("one ");
        ctx.emit("two");
        return "ignored";
      },
    });
    try {
      const response = await post(`${runtime.url}/invoke`, { message: "hi" });
      assert.equal(((await response.json()) as { response: string }).response, "one two");
    } finally {
      await runtime.close();
    }
  });

  test("a synchronous handler's object is copied, with runtime fields added", async () => {
    const runtime = await startRuntime(fake, { handler: () => ({ output: "from output", extra: 1 }) });
    try {
      const response = await post(`${runtime.url}/invoke`, { message: "hi" }, ids);
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body.response, "from output");
      assert.equal(body.extra, 1);
      assert.equal(body.request_id, "req-sync");
      assert.equal(body.handler, "user");
    } finally {
      await runtime.close();
    }
  });
});
