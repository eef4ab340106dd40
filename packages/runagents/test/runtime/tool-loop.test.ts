import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { FakePlatform, freePort, post } from "./fake-platform.js";
import { startRuntime } from "./harness.js";

let fake: FakePlatform;
before(async () => {
  fake = await FakePlatform.start();
});
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.llmReplies.length = 0;
  fake.checkpoints.clear();
});

const calcTools = JSON.stringify([
  { type: "function", function: { name: "calc__add", parameters: { type: "object" } } },
]);

async function invoke(env: Record<string, string>, body: unknown, headers: Record<string, string> = {}) {
  const runtime = await startRuntime(fake, { env });
  try {
    const response = await post(`${runtime.url}/invoke`, body, headers);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } finally {
    await runtime.close();
  }
}

const llmBodies = () =>
  fake.to("/v1/chat/completions").map((r) => JSON.parse(r.body) as Record<string, unknown>);

describe("built-in loop without tools", () => {
  test("makes one model call with system prompt, filtered history and the message", async () => {
    fake.llmReplies.push({
      content: "Hello!",
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
    const result = await invoke(
      { SYSTEM_PROMPT: "Be brief." },
      {
        message: "hi",
        history: [
          { role: "user", content: "earlier" },
          { role: "assistant", content: "" },
          { content: "no role" },
          "not an object",
        ],
      },
      { "X-Request-Id": "req-7", "X-End-User-Id": "bob" },
    );
    assert.equal(result.status, 200);
    assert.equal(result.body.response, "Hello!");
    assert.equal(result.body.model, "test-model");
    assert.deepEqual(result.body.usage, { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 });
    assert.deepEqual(result.body.tool_calls_made, []);
    assert.equal(result.body.request_id, "req-7");
    const [body] = llmBodies();
    assert.deepEqual(body, {
      model: "agent-model",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "earlier" },
        { role: "user", content: "no role" },
        { role: "user", content: "hi" },
      ],
    });
    const [llmCall] = fake.to("/v1/chat/completions");
    assert.equal(llmCall?.headers["x-request-id"], "req-7");
    assert.equal(llmCall?.headers["x-end-user-id"], "bob");
    assert.equal(llmCall?.headers.authorization, undefined);
  });

  test("a missing message is a 400", async () => {
    const result = await invoke({}, { history: [] });
    assert.equal(result.status, 400);
    assert.deepEqual(result.body, { error: "message is required" });
  });
});

describe("built-in tool loop", () => {
  test("runs the model's tool calls and feeds the results back", async () => {
    fake.tool("calc", () => ({ body: { sum: 3 } }));
    fake.llmReplies.push(
      { tool_calls: [{ id: "call-1", name: "calc__add", arguments: '{"a":1,"b":2}' }] },
      { content: "It is 3." },
    );
    const result = await invoke(
      { TOOL_DEFINITIONS_JSON: calcTools, TOOL_URL_CALC: fake.toolUrl("calc") },
      { message: "1+2?" },
      { "X-Run-ID": "run-1", "X-Request-Id": "req-1", "X-End-User-Id": "ann" },
    );
    assert.equal(result.body.response, "It is 3.");
    assert.deepEqual(result.body.usage, { prompt_tokens: 6, completion_tokens: 4, total_tokens: 10 });
    assert.deepEqual(result.body.tool_calls_made, [
      { function: "calc__add", method: "POST", url: `${fake.toolUrl("calc")}/` },
    ]);
    const [toolCall] = fake.to("/tools/calc");
    assert.equal(toolCall?.body, '{"a":1,"b":2}');
    assert.equal(toolCall?.headers["x-tool-call-id"], "call-1");
    assert.equal(toolCall?.headers["x-tool-name"], "calc");
    assert.equal(toolCall?.headers["x-tool-function"], "calc__add");
    assert.equal(toolCall?.headers["x-tool-turn"], "0");
    assert.equal(toolCall?.headers["x-run-id"], "run-1");
    assert.equal(toolCall?.headers["x-request-id"], "req-1");
    assert.equal(toolCall?.headers["x-end-user-id"], "ann");
    const second = llmBodies()[1] as {
      messages: Array<Record<string, unknown>>;
      tools: unknown;
      tool_choice: unknown;
    };
    assert.equal(second.tool_choice, "auto");
    assert.deepEqual(second.messages.slice(-2), [
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call-1", type: "function", function: { name: "calc__add", arguments: '{"a":1,"b":2}' } },
        ],
      },
      { role: "tool", tool_call_id: "call-1", content: '{"sum":3}' },
    ]);
    const [report] = await fake.waitFor("/gov/runs/run-1/tool-result");
    assert.deepEqual(JSON.parse(report?.body ?? ""), {
      tool_call_id: "call-1",
      function_name: "calc__add",
      arguments: '{"a":1,"b":2}',
      result: '{"sum":3}',
      tool_id: "calc",
      turn: 0,
    });
  });

  test("GET routes fill {param} templates and send the other arguments as a query string", async () => {
    const defs = JSON.stringify([{ type: "function", function: { name: "weather__forecast" } }]);
    const routes = JSON.stringify({
      weather__forecast: { tool: "weather", method: "GET", path: "/forecast/{city}" },
    });
    fake.llmReplies.push(
      {
        tool_calls: [
          {
            id: "c1",
            name: "weather__forecast",
            arguments: '{"city":"San Francisco","days":3,"units":["c","f"]}',
          },
        ],
      },
      { content: "Sunny." },
    );
    const result = await invoke(
      { TOOL_DEFINITIONS_JSON: defs, TOOL_ROUTES_JSON: routes, TOOL_URL_WEATHER: fake.toolUrl("weather") },
      { message: "weather?" },
    );
    const [toolCall] = fake.to("/tools/weather");
    assert.equal(toolCall?.method, "GET");
    assert.equal(toolCall?.path, "/tools/weather/forecast/San%20Francisco?days=3&units=c&units=f");
    assert.equal(toolCall?.body, "");
    assert.deepEqual(result.body.tool_calls_made, [
      {
        function: "weather__forecast",
        method: "GET",
        url: `${fake.toolUrl("weather")}/forecast/San%20Francisco?days=3&units=c&units=f`,
      },
    ]);
  });

  test("without a route, a path argument picks the path", async () => {
    fake.llmReplies.push(
      { tool_calls: [{ id: "c1", name: "calc__add", arguments: '{"path":"/v2/add","a":1}' }] },
      { content: "ok" },
    );
    await invoke({ TOOL_DEFINITIONS_JSON: calcTools, TOOL_URL_CALC: fake.toolUrl("calc") }, { message: "x" });
    const [toolCall] = fake.to("/tools/calc");
    assert.equal(toolCall?.path, "/tools/calc/v2/add");
    assert.equal(toolCall?.body, '{"a":1}');
  });

  test("a tool-cache hit skips the call but is still listed and reported", async () => {
    fake.llmReplies.push(
      { tool_calls: [{ id: "c1", name: "calc__add", arguments: '{"a":1,"b":2}' }] },
      { content: "3" },
    );
    const result = await invoke(
      { TOOL_DEFINITIONS_JSON: calcTools, TOOL_URL_CALC: fake.toolUrl("calc") },
      {
        message: "1+2?",
        run_id: "run-c",
        tool_cache: [{ function_name: "calc__add", arguments: '{"a":1,"b":2}', result: "cached 3" }],
      },
    );
    assert.equal(fake.to("/tools/calc").length, 0);
    assert.deepEqual(result.body.tool_calls_made, [
      { function: "calc__add", method: "POST", url: `${fake.toolUrl("calc")}/` },
    ]);
    const second = llmBodies()[1] as { messages: Array<Record<string, unknown>> };
    assert.deepEqual(second.messages.at(-1), { role: "tool", tool_call_id: "c1", content: "cached 3" });
    const [report] = await fake.waitFor("/gov/runs/run-c/tool-result");
    assert.equal(JSON.parse(report?.body ?? "").result, "cached 3");
  });

  test("stops after MAX_TOOL_ITERATIONS model calls", async () => {
    fake.llmReplies.push({ tool_calls: [{ id: "c1", name: "calc__add", arguments: "{}" }] });
    const result = await invoke(
      { TOOL_DEFINITIONS_JSON: calcTools, TOOL_URL_CALC: fake.toolUrl("calc"), MAX_TOOL_ITERATIONS: "1" },
      { message: "loop" },
    );
    assert.equal(
      result.body.response,
      "I reached the maximum number of tool call iterations. Here's what I have so far.",
    );
    assert.equal(llmBodies().length, 1);
  });

  test("a tool answering 403 CONSENT_REQUIRED pauses the run with a consent payload and a checkpoint", async () => {
    const defs = JSON.stringify([{ type: "function", function: { name: "email__list_messages" } }]);
    const routes = JSON.stringify({
      email__list_messages: { tool: "email", method: "GET", path: "/gmail/v1/users/me/messages" },
    });
    fake.tool("email", () => ({
      status: 403,
      body: {
        code: "CONSENT_REQUIRED",
        message: "Connect Gmail to continue.",
        authorization_url: "https://example.com/oauth",
        resume_id: "resume-7",
      },
    }));
    fake.llmReplies.push({ tool_calls: [{ id: "c1", name: "email__list_messages", arguments: "{}" }] });
    const result = await invoke(
      { TOOL_DEFINITIONS_JSON: defs, TOOL_ROUTES_JSON: routes, TOOL_URL_EMAIL: fake.toolUrl("email") },
      { message: "my mail" },
      { "X-Run-ID": "run-9" },
    );
    assert.equal(result.status, 200);
    assert.equal(result.body.code, "CONSENT_REQUIRED");
    assert.equal(result.body.message, "Connect Gmail to continue.");
    assert.equal(result.body.authorization_url, "https://example.com/oauth");
    assert.equal(result.body.response, "Connect Gmail to continue. https://example.com/oauth");
    assert.equal(result.body.resume_id, "resume-7");
    assert.equal((result.body.consent_required as Record<string, unknown>).tool, "email");
    assert.equal(result.body.model, "test-model");
    const checkpoint = fake.checkpoints.get("run-9/resume-7");
    assert.equal((checkpoint?.pending_calls as unknown[] | undefined)?.length, 1);
  });
});

describe("built-in loop failures", () => {
  test("a gateway error status is a 502 with the gateway's body", async () => {
    fake.llmReplies.push({ status: 500, errorBody: "provider down" });
    const result = await invoke({}, { message: "hi" }, { "X-Request-Id": "req-502" });
    assert.equal(result.status, 502);
    assert.deepEqual(result.body, {
      error: "LLM Gateway returned 500",
      detail: "provider down",
      request_id: "req-502",
    });
  });

  test("an unreachable gateway is a 502 naming the reason", async () => {
    const port = await freePort();
    const result = await invoke({ LLM_GATEWAY_URL: `http://127.0.0.1:${port}/v1` }, { message: "hi" });
    assert.equal(result.status, 502);
    assert.match(
      String(result.body.error),
      /^LLM Gateway unreachable: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
    );
  });

  test("an unreachable tool is a 502 naming the tool", async () => {
    const port = await freePort();
    fake.llmReplies.push({ tool_calls: [{ id: "c1", name: "calc__add", arguments: "{}" }] });
    const result = await invoke(
      { TOOL_DEFINITIONS_JSON: calcTools, TOOL_URL_CALC: `http://127.0.0.1:${port}` },
      { message: "x" },
    );
    assert.equal(result.status, 502);
    assert.match(String(result.body.error), /^Tool 'calc' unreachable: connect ECONNREFUSED/);
  });

  test("a tool with no TOOL_URL binding is a 500 naming the variable", async () => {
    fake.llmReplies.push({ tool_calls: [{ id: "c1", name: "calc__add", arguments: "{}" }] });
    const result = await invoke({ TOOL_DEFINITIONS_JSON: calcTools }, { message: "x" });
    assert.equal(result.status, 500);
    assert.equal(result.body.error, "Tool 'calc' not found. Set TOOL_URL_CALC or check requiredTools.");
  });
});
