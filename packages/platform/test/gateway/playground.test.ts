import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { playgroundAnswer } from "../../src/gateway/providers/playground.js";
import type { ChatMessage, ChatRequest, ToolDef } from "../../src/gateway/types.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { authenticateOpenGateway, chat, chatStream, readSse } from "./fake-provider.js";

const tool = (name: string, properties?: Record<string, unknown>, required?: string[]): ToolDef => ({
  type: "function",
  function: {
    name,
    ...(properties ? { parameters: { type: "object", properties, ...(required ? { required } : {}) } } : {}),
  },
});
const ECHO = tool("echo_tool__echo", { message: { type: "string" } });
const ORDERS = tool("lookup_order", { verbose: { type: "boolean" }, order_id: { type: "string" } }, [
  "order_id",
]);
const SEARCH = tool("search", { query: { type: "string" } });
const user = (content: string): ChatMessage => ({ role: "user", content });
const ask = (messages: ChatMessage[], extra: Partial<ChatRequest> = {}) =>
  playgroundAnswer({ model: "playground", messages, ...extra });
const callOf = (answer: ReturnType<typeof playgroundAnswer>) => {
  assert.equal(answer.finish_reason, "tool_calls");
  assert.equal(answer.message.content, null);
  const [call] = answer.message.tool_calls ?? [];
  return [call?.id, call?.function.name, JSON.parse(call?.function.arguments ?? "null")];
};

describe("the playground model's rules", () => {
  it("answers plainly with the user's words, and counts ~4 characters a token", () => {
    assert.deepEqual(ask([{ role: "system", content: "Be nice." }, user("  hello there ")]), {
      message: { role: "assistant", content: "[playground] You said: hello there" },
      finish_reason: "stop",
      usage: { prompt_tokens: 6, completion_tokens: 9, total_tokens: 15 },
    });
    assert.equal(
      ask([{ role: "system", content: "x" }]).message.content,
      "[playground] Hello from the offline playground model.",
    );
    assert.equal(
      ask([user("echo hi")], { tools: [ECHO], tool_choice: "none" }).message.content,
      "[playground] You said: echo hi",
    );
    assert.equal(
      ask([user("put it together")], { tools: [tool("get")] }).message.content,
      "[playground] You said: put it together",
    );
  });

  it("calls the tool the message names, with the text after its name", () => {
    const tools = [SEARCH, ECHO, ORDERS];
    const cases: [string, unknown[]][] = [
      ["please echo hello world", ["call_playground_1", "echo_tool__echo", { message: "hello world" }]],
      ["echo-tool: ship it", ["call_playground_1", "echo_tool__echo", { message: "ship it" }]],
      ['Echo "hi there"', ["call_playground_1", "echo_tool__echo", { message: "hi there" }]],
      ["lookup_order A-7", ["call_playground_1", "lookup_order", { order_id: "A-7" }]],
      ["use lookup_order", ["call_playground_1", "lookup_order", { order_id: "use lookup_order" }]],
      ["search for echo", ["call_playground_1", "search", { query: "for echo" }]],
    ];
    for (const [text, expected] of cases)
      assert.deepEqual(callOf(ask([user(text)], { tools })), expected, text);
    const answer = ask([{ role: "system", content: "s" }, user("echo abc")], { tools });
    assert.deepEqual(answer.usage, { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
    assert.equal(answer.message.tool_calls?.[0]?.id, "call_playground_2");
  });

  it("follows tool_choice: a named function, or the first tool when one is required", () => {
    const tools = [SEARCH, ORDERS];
    const named = { type: "function", function: { name: "lookup_order" } };
    assert.deepEqual(callOf(ask([user("where is A-7")], { tools, tool_choice: named })), [
      "call_playground_1",
      "lookup_order",
      { order_id: "where is A-7" },
    ]);
    assert.deepEqual(callOf(ask([user("anything")], { tools, tool_choice: "required" })), [
      "call_playground_1",
      "search",
      { query: "anything" },
    ]);
    assert.deepEqual(callOf(ask([user("echo x")], { tools: [tool("echoer")] })), [
      "call_playground_1",
      "echoer",
      { message: "x" },
    ]);
  });

  it("summarises a tool result", () => {
    const call = {
      id: "call_playground_1",
      type: "function" as const,
      function: { name: "echo_tool__echo", arguments: "{}" },
    };
    const messages: ChatMessage[] = [
      user("echo hi"),
      { role: "assistant", content: null, tool_calls: [call] },
      { role: "tool", tool_call_id: "call_playground_1", content: '{"reply": "hi",\n  "echo": true}' },
    ];
    assert.deepEqual(ask(messages, { tools: [ECHO] }).message, {
      role: "assistant",
      content: '[playground] echo_tool__echo returned: {"reply": "hi", "echo": true}',
    });
    const long = ask([user("x"), { role: "tool", tool_call_id: "nope", content: "y".repeat(600) }]);
    assert.equal(long.message.content, `[playground] the tool returned: ${"y".repeat(500)}…`);
    assert.equal(long.finish_reason, "stop");
  });
});

describe("the playground model through the gateway", () => {
  let platform: TestPlatform;
  let gateway: string;
  before(async () => {
    platform = await startTestPlatform();
    authenticateOpenGateway(platform);
    assert.equal((await platform.call("POST", "/starter-kit")).status, 201);
    gateway = `${platform.url}/v1`;
  });
  after(() => platform.destroy());

  it("drives a tool call against the echo tool and summarises its answer", async () => {
    const tools = [ECHO];
    const messages: ChatMessage[] = [user("echo hello from the playground")];
    const first = await chat(gateway, { model: "gpt-4o-mini", messages, tools, tool_choice: "auto" });
    assert.equal(first.status, 200, first.text);
    const assistant = first.json.choices[0].message;
    assert.deepEqual(assistant.tool_calls, [
      {
        id: "call_playground_1",
        type: "function",
        function: { name: "echo_tool__echo", arguments: '{"message":"hello from the playground"}' },
      },
    ]);
    const echoed = await fetch(`${platform.url}/echo`, {
      method: "POST",
      body: assistant.tool_calls[0].function.arguments,
    });
    const result = await echoed.text();
    messages.push(assistant, { role: "tool", tool_call_id: "call_playground_1", content: result });
    const second = await chat(gateway, { model: "gpt-4o-mini", messages, tools });
    assert.equal(
      second.json.choices[0].message.content,
      '[playground] echo_tool__echo returned: {"reply":"hello from the playground","message":"hello from the playground","echo":true}',
    );
    assert.equal(second.json.choices[0].finish_reason, "stop");
  });

  it("streams its answer word by word", async () => {
    const events = await readSse(
      await chatStream(gateway, { model: "playground", messages: [user("hi you")] }),
    );
    const deltas = events.slice(0, -2).map((e: any) => [e.choices[0].delta, e.choices[0].finish_reason]);
    assert.deepEqual(deltas, [
      [{ role: "assistant", content: "" }, null],
      [{ content: "[playground] " }, null],
      [{ content: "You " }, null],
      [{ content: "said: " }, null],
      [{ content: "hi " }, null],
      [{ content: "you" }, null],
      [{}, "stop"],
    ]);
    assert.deepEqual((events.at(-2) as any).usage, {
      prompt_tokens: 2,
      completion_tokens: 8,
      total_tokens: 10,
    });
    assert.equal(events.at(-1), "[DONE]");
  });
});
