import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { HandlerRequest, RunContext } from "../../src/agent/index.js";
import { handlerShape } from "../../src/runtime/handler-params.js";
import type { RuntimeServer } from "../../src/runtime/index.js";
import { FakePlatform, post } from "./fake-platform.js";
import { startRuntime } from "./harness.js";

let fake: FakePlatform;
before(async () => {
  fake = await FakePlatform.start();
});
after(() => fake.close());

async function invokeWith(
  handler: (...args: never[]) => unknown,
  body: unknown = { message: "hi" },
  headers = {},
) {
  const runtime: RuntimeServer = await startRuntime(fake, { handler });
  try {
    const response = await post(`${runtime.url}/invoke`, body, headers);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } finally {
    await runtime.close();
  }
}

describe("handler dispatch by parameters", () => {
  test("a zero-parameter handler receives no arguments", async () => {
    let count = -1;
    const result = await invokeWith(function main() {
      // biome-ignore lint/complexity/noArguments: the test checks what the runtime passed.
      count = arguments.length;
      return "ok";
    });
    assert.equal(count, 0);
    assert.equal(result.body.response, "ok");
    assert.equal(result.body.handler, "user");
  });

  test("a one-parameter handler receives the request with message and history verbatim", async () => {
    let seen: HandlerRequest | undefined;
    await invokeWith(
      (request: HandlerRequest) => {
        seen = request;
        return "ok";
      },
      { message: "hello", history: ["prev", { role: "user", content: "" }] },
    );
    assert.equal(seen?.message, "hello");
    assert.deepEqual(seen?.history, ["prev", { role: "user", content: "" }]);
    assert.equal(typeof seen?.request_id, "string");
  });

  test("a rest parameter receives exactly one argument, the request", async () => {
    let args: unknown[] = [];
    await invokeWith((...rest: unknown[]) => {
      args = rest;
      return "ok";
    });
    assert.equal(args.length, 1);
    assert.equal((args[0] as HandlerRequest).message, "hi");
  });

  test("a single parameter named like a message receives the message string", async () => {
    let seen: unknown;
    await invokeWith((prompt: string) => {
      seen = prompt;
      return "ok";
    });
    assert.equal(seen, "hi");
  });

  test("a two-parameter handler receives the request and a RunContext", async () => {
    let ctx: RunContext | undefined;
    await invokeWith((_request: HandlerRequest, context: RunContext) => {
      ctx = context;
      return "ok";
    });
    assert.equal(ctx?.model, "agent-model");
    assert.equal(ctx?.llmUrl, fake.gatewayUrl);
    assert.equal(ctx?.llmBaseUrl, `${fake.url}/v1`);
    assert.equal(ctx?.systemPrompt, "You are a helpful assistant.");
    assert.equal(typeof ctx?.emit, "function");
    assert.deepEqual(ctx?.session.history, []);
  });

  test("a handler with extra rest parameters after (request, ctx) is called like (request, ctx)", async () => {
    let args: unknown[] = [];
    await invokeWith((request: HandlerRequest, ctx: RunContext, ...rest: unknown[]) => {
      args = [request, ctx, ...rest];
      return "ok";
    });
    assert.equal(args.length, 2);
  });
});

describe("return values", () => {
  const cases: Array<[string, unknown, unknown]> = [
    ["{response} gives its response", { response: "from dict" }, "from dict"],
    ["{output} gives its output", { output: "from output" }, "from output"],
    ["a string is the response", "plain string", "plain string"],
    ["a number is its string form", 42, "42"],
    ["undefined is the empty string", undefined, ""],
    ["null is the empty string", null, ""],
    ["another object is its JSON", { answer: 1 }, '{"answer":1}'],
  ];
  for (const [name, value, expected] of cases) {
    test(name, async () => {
      const result = await invokeWith(async () => value);
      assert.equal(result.status, 200);
      assert.equal(result.body.response, expected);
    });
  }

  test("extra keys of a returned object pass through, and runtime fields are added", async () => {
    const result = await invokeWith(() => ({
      response: "x",
      status: "custom",
      model: "mine",
      usage: { total_tokens: 7 },
    }));
    assert.equal(result.body.status, "custom");
    assert.equal(result.body.model, "mine");
    assert.deepEqual(result.body.usage, { total_tokens: 7 });
    assert.deepEqual(result.body.tool_calls_made, []);
    assert.equal(typeof result.body.duration_ms, "number");
  });

  test("a handler error is a 500 naming it", async () => {
    const result = await invokeWith(
      () => {
        throw new Error("boom in handler");
      },
      { message: "hi" },
      { "X-Request-Id": "req-err" },
    );
    assert.equal(result.status, 500);
    assert.deepEqual(result.body, { error: "boom in handler", request_id: "req-err" });
  });
});

describe("request and session metadata", () => {
  test("request id, run id and end user reach both the request and the session", async () => {
    let seen: { request?: HandlerRequest; ctx?: RunContext } = {};
    const handler = (request: HandlerRequest, ctx: RunContext) => {
      seen = { request, ctx };
      return "ok";
    };
    await invokeWith(
      handler,
      { message: "hi" },
      {
        "X-Request-Id": "req-1",
        "X-Run-ID": "run-1",
        "X-End-User-Id": "alice@example.com",
      },
    );
    assert.equal(seen.request?.request_id, "req-1");
    assert.equal(seen.request?.run_id, "run-1");
    assert.equal(seen.request?.user_id, "alice@example.com");
    assert.equal(seen.ctx?.session.requestId, "req-1");
    assert.equal(seen.ctx?.session.runId, "run-1");
    assert.equal(seen.ctx?.session.userId, "alice@example.com");
    assert.equal(seen.request?.resume, undefined);
  });

  test("the body's run_id is used when there is no X-Run-ID header", async () => {
    let runId: string | undefined;
    await invokeWith(
      (request: HandlerRequest) => {
        runId = request.run_id;
      },
      { message: "hi", run_id: "run-body" },
    );
    assert.equal(runId, "run-body");
  });
});

describe("parameter counting", () => {
  const shapes: Array<[string, (...args: never[]) => unknown, number]> = [
    ["()", () => 0, 0],
    ["(x)", (_x: unknown) => 0, 1],
    ["(x, y)", (_x: unknown, _y: unknown) => 0, 2],
    ["(...a)", (..._a: unknown[]) => 0, 1],
    ["(x = 1)", (_x = 1) => 0, 1],
    ["(x, ...rest)", (_x: unknown, ..._rest: unknown[]) => 0, 2],
    ["({ a, b })", ({ a, b }: { a: number; b: number }) => a + b, 1],
    ["(x = f(1, 2))", (_x = Math.max(1, 2)) => 0, 1],
    ['(a = "(,)")', (_a = "(,)") => 0, 1],
    ["x => x", ((x: unknown) => x) as never, 1],
    ["async function (a, b)", async function named(_a: unknown, _b: unknown) {}, 2],
    ["a bound function falls back to length", ((_a: unknown) => {}).bind(null), 1],
  ];
  for (const [name, fn, arity] of shapes) {
    test(`${name} has ${arity} positional parameter(s)`, () => {
      assert.equal(handlerShape(fn).arity, Math.min(arity, 2));
    });
  }

  test("only a single parameter with a message-like name receives the string", () => {
    assert.equal(handlerShape((message: string) => message).passMessage, true);
    assert.equal(handlerShape((user_input: string) => user_input).passMessage, true);
    assert.equal(handlerShape((request: unknown) => request).passMessage, false);
    assert.equal(handlerShape((...args: unknown[]) => args).passMessage, false);
  });
});
