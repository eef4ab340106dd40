import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import { Agent, type HandlerRequest, type RunContext } from "../../src/agent/index.js";
import { FakePlatform, post, type Recorded } from "./fake-platform.js";
import { startRuntime } from "./harness.js";

let fake: FakePlatform;
before(async () => {
  fake = await FakePlatform.start();
});
after(() => fake.close());

describe("concurrent requests", () => {
  test("50 concurrent invokes each see only their own ids on every outbound call", async () => {
    const env = { TOOL_URL_ECHO: fake.toolUrl("echo") };
    const agent = new Agent({ env: { ...env, LLM_GATEWAY_URL: fake.gatewayUrl } });
    const runtime = await startRuntime(fake, {
      env,
      handler: async (request: HandlerRequest, ctx: RunContext) => {
        const i = request.message;
        await (await fetch(`${ctx.tools.echo}/raw`, { method: "POST", body: i })).text();
        await new Promise((resolve) => setImmediate(resolve));
        await agent.callTool({ name: "echo", path: "/sdk", payload: { i } });
        await new Promise<void>((resolve, reject) => {
          const req = http.request(`${ctx.tools.echo}/http`, { method: "POST" }, (res) => {
            res.resume();
            res.on("end", resolve);
          });
          req.on("error", reject);
          req.end(i);
        });
        await agent.chat(i);
        return i;
      },
    });
    const n = 50;
    const responses = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        post(
          `${runtime.url}/invoke`,
          { message: String(i) },
          {
            "X-Run-ID": `run-${i}`,
            "X-Request-Id": `req-${i}`,
            "X-End-User-Id": `user-${i}`,
          },
        ).then(async (r) => (await r.json()) as Record<string, unknown>),
      ),
    );
    await runtime.close();
    assert.deepEqual(
      responses.map((r) => r.response),
      Array.from({ length: n }, (_, i) => String(i)),
    );
    const owner = (rec: Recorded): string => {
      if (rec.path.endsWith("/sdk")) return String((JSON.parse(rec.body) as { i: string }).i);
      if (rec.path.startsWith("/v1/"))
        return String(
          (JSON.parse(rec.body) as { messages: Array<{ content: string }> }).messages.at(-1)?.content,
        );
      return rec.body;
    };
    const outbound = [...fake.to("/tools/echo"), ...fake.to("/v1/chat/completions")];
    assert.equal(outbound.length, n * 4);
    for (const rec of outbound) {
      const i = owner(rec);
      assert.deepEqual(
        [rec.headers["x-run-id"], rec.headers["x-request-id"], rec.headers["x-end-user-id"]],
        [`run-${i}`, `req-${i}`, `user-${i}`],
        `${rec.method} ${rec.path}`,
      );
    }
    for (const r of responses) assert.equal((r.tool_calls_made as unknown[]).length, 3);
  });
});
