import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { createLogger } from "../../src/runtime/log.js";
import { parseTraceparent } from "../../src/runtime/trace-context.js";
import { FakePlatform, post } from "./fake-platform.js";
import { startRuntime } from "./harness.js";

let fake: FakePlatform;
let other: FakePlatform;
before(async () => {
  fake = await FakePlatform.start();
  other = await FakePlatform.start();
});
after(async () => {
  await fake.close();
  await other.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  other.requests.length = 0;
});

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** Invokes a handler that calls the notes tool, a third party and the gateway's health. */
async function invokeWith(headers: Record<string, string>, lines: string[] = []) {
  fake.tool("notes", () => ({ body: { ok: true } }));
  const env = { TOOL_URL_NOTES: fake.toolUrl("notes") };
  const runtime = await startRuntime(fake, {
    env,
    logger: createLogger("test-agent", (line) => lines.push(line)),
    handler: async (_request: unknown, ctx: { tools: Record<string, string> }) => {
      await (await fetch(`${ctx.tools.notes}/n`)).text();
      await (await fetch(`${other.url}/tools/x`)).text();
      return "ok";
    },
  });
  try {
    const response = await post(
      `${runtime.url}/invoke`,
      { message: "go" },
      { "X-Run-ID": "run-1", ...headers },
    );
    assert.equal(response.status, 200);
  } finally {
    await runtime.close();
  }
}

describe("trace context through the runtime", () => {
  test("the incoming traceparent and tracestate are sent on tool and governance calls, not to third parties", async () => {
    await invokeWith({ traceparent: TRACEPARENT, tracestate: "vendor=abc" });
    const [tool] = fake.to("/tools/notes");
    assert.equal(tool?.headers.traceparent, TRACEPARENT);
    assert.equal(tool?.headers.tracestate, "vendor=abc");
    const [report] = await fake.waitFor("/gov/runs/run-1/tool-result");
    assert.equal(report?.headers.traceparent, TRACEPARENT);
    assert.equal(other.requests[0]?.headers.traceparent, undefined);
  });

  test("log lines written while serving a traced request carry its trace and span ids", async () => {
    const lines: string[] = [];
    await invokeWith({ traceparent: TRACEPARENT }, lines);
    const done = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "invoke_complete");
    assert.deepEqual(
      [done?.trace_id, done?.span_id],
      ["4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"],
    );
    const started = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "runtime_starting");
    assert.equal(started?.trace_id, undefined);
  });

  test("a call without a valid traceparent forwards none", async () => {
    await invokeWith({ traceparent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01" });
    assert.equal(fake.to("/tools/notes")[0]?.headers.traceparent, undefined);
    fake.requests.length = 0;
    await invokeWith({});
    assert.equal(fake.to("/tools/notes")[0]?.headers.traceparent, undefined);
  });

  test("parseTraceparent accepts version 00 with non-zero ids only", () => {
    assert.deepEqual(parseTraceparent(TRACEPARENT), {
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
      spanId: "00f067aa0ba902b7",
      flags: 1,
    });
    for (const bad of [
      undefined,
      "",
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
    ])
      assert.equal(parseTraceparent(bad), undefined, String(bad));
  });
});
