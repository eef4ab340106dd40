import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import {
  addProvider,
  authenticateOpenGateway,
  chat,
  chatStream,
  deferred,
  type FakeProvider,
  readSse,
  sendJson,
  sseData,
  startFakeProvider,
  startSse,
} from "./fake-provider.js";

const KEY = "sk-ant-test-0123456789abcdef";
const MODEL = "claude-sonnet-4-20250514";
const WEATHER = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};
const WEATHER_TOOL = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: WEATHER.function.parameters,
};
/** `created` is the gateway's clock: checked to be a number, then zeroed for comparison. */
const steady = (value: any) => {
  assert.equal(typeof value?.created, "number");
  return { ...value, created: 0 };
};
const chunk = (delta: Record<string, unknown>, finish: string | null = null, id = "msg_s") => ({
  id,
  object: "chat.completion.chunk",
  created: 0,
  model: MODEL,
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe("gateway: Anthropic Messages API translation", () => {
  let platform: TestPlatform;
  let fake: FakeProvider;
  let gateway: string;

  before(async () => {
    platform = await startTestPlatform();
    authenticateOpenGateway(platform);
    gateway = `${platform.url}/v1`;
    fake = await startFakeProvider((_req, res) => sendJson(res, 401, { type: "error" }));
    await addProvider(platform, {
      name: "claude",
      spec: { provider: "anthropic", endpoint: fake.url, models: [MODEL] },
      api_key: KEY,
    });
  });
  beforeEach(() => {
    fake.received.length = 0;
  });
  after(async () => {
    await fake.close();
    await platform.destroy();
  });

  it("translates system prompts, tool calls and tool results, and maps the answer back", async () => {
    fake.handle((_req, res) =>
      sendJson(res, 200, {
        id: "msg_01",
        type: "message",
        role: "assistant",
        model: MODEL,
        content: [{ type: "text", text: "Paris 18C, Rome 24C." }],
        stop_reason: "end_turn",
        usage: { input_tokens: 120, output_tokens: 12, cache_read_input_tokens: 30 },
      }),
    );
    const call = (id: string, city: string) => ({
      id,
      type: "function",
      function: { name: "get_weather", arguments: JSON.stringify({ city }) },
    });
    const res = await chat(gateway, {
      model: MODEL,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Weather in Paris and Rome?" },
        {
          role: "assistant",
          content: "Checking.",
          tool_calls: [call("toolu_1", "Paris"), call("toolu_2", "Rome")],
        },
        { role: "tool", tool_call_id: "toolu_1", content: "18C" },
        { role: "tool", tool_call_id: "toolu_2", content: "24C" },
      ],
      tools: [WEATHER],
      tool_choice: "required",
      max_tokens: 300,
      stop: "END",
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(steady(res.json), {
      id: "msg_01",
      object: "chat.completion",
      created: 0,
      model: MODEL,
      choices: [
        { index: 0, message: { role: "assistant", content: "Paris 18C, Rome 24C." }, finish_reason: "stop" },
      ],
      usage: { prompt_tokens: 150, completion_tokens: 12, total_tokens: 162 },
    });
    const [upstream] = fake.received;
    assert.equal(upstream?.url, "/v1/messages");
    assert.equal(upstream?.headers["x-api-key"], KEY);
    assert.equal(upstream?.headers["anthropic-version"], "2023-06-01");
    assert.equal(upstream?.headers.authorization, undefined);
    const use = (id: string, city: string) => ({
      type: "tool_use",
      id,
      name: "get_weather",
      input: { city },
    });
    assert.deepEqual(upstream?.body, {
      model: MODEL,
      max_tokens: 300,
      system: "Be brief.",
      messages: [
        { role: "user", content: [{ type: "text", text: "Weather in Paris and Rome?" }] },
        {
          role: "assistant",
          content: [{ type: "text", text: "Checking." }, use("toolu_1", "Paris"), use("toolu_2", "Rome")],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "18C" },
            { type: "tool_result", tool_use_id: "toolu_2", content: "24C" },
          ],
        },
      ],
      stop_sequences: ["END"],
      tools: [WEATHER_TOOL],
      tool_choice: { type: "any" },
    });
  });

  it("turns tool_use blocks into OpenAI tool calls, with the default max_tokens", async () => {
    fake.handle((_req, res) =>
      sendJson(res, 200, {
        id: "msg_02",
        type: "message",
        model: MODEL,
        content: [{ type: "tool_use", id: "toolu_5", name: "get_weather", input: { city: "Oslo" } }],
        stop_reason: "tool_use",
        usage: { input_tokens: 40, output_tokens: 20 },
      }),
    );
    const res = await chat(gateway, {
      model: MODEL,
      messages: [{ role: "user", content: "Oslo weather?" }],
      tools: [WEATHER],
      tool_choice: "auto",
    });
    assert.deepEqual(steady(res.json).choices, [
      {
        index: 0,
        message: {
          role: "assistant",
          content: null,
          tool_calls: [
            {
              id: "toolu_5",
              type: "function",
              function: { name: "get_weather", arguments: '{"city":"Oslo"}' },
            },
          ],
        },
        finish_reason: "tool_calls",
      },
    ]);
    assert.equal(fake.received[0]?.body.max_tokens, 4096);
    assert.deepEqual(fake.received[0]?.body.tool_choice, { type: "auto" });
  });

  it("streams text and tool-call deltas as OpenAI chunks, incrementally", { timeout: 10_000 }, async () => {
    const firstSeen = deferred();
    fake.handle(async (_req, res) => {
      const sse = startSse(res);
      const send = (data: Record<string, unknown>) => sse.event(data, data.type as string);
      send({
        type: "message_start",
        message: { id: "msg_s", model: MODEL, usage: { input_tokens: 25, output_tokens: 1 } },
      });
      send({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
      send({ type: "ping" });
      send({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Let me " } });
      await firstSeen.promise;
      send({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "check." } });
      send({ type: "content_block_stop", index: 0 });
      send({
        type: "content_block_start",
        index: 1,
        content_block: { type: "tool_use", id: "toolu_9", name: "get_weather", input: {} },
      });
      send({
        type: "content_block_delta",
        index: 1,
        delta: { type: "input_json_delta", partial_json: '{"city":' },
      });
      send({
        type: "content_block_delta",
        index: 1,
        delta: { type: "input_json_delta", partial_json: '"Oslo"}' },
      });
      send({ type: "content_block_stop", index: 1 });
      send({ type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 40 } });
      send({ type: "message_stop" });
      sse.end();
    });
    const res = await chatStream(gateway, {
      model: MODEL,
      messages: [{ role: "user", content: "Oslo?" }],
      tools: [WEATHER],
    });
    assert.equal(res.status, 200);
    const events: unknown[] = [];
    for await (const data of sseData(res)) {
      events.push(data === "[DONE]" ? data : steady(data));
      if (data.choices?.[0]?.delta?.content === "Let me ") firstSeen.resolve();
    }
    assert.deepEqual(events, [
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Let me " }),
      chunk({ content: "check." }),
      chunk({
        tool_calls: [
          { index: 0, id: "toolu_9", type: "function", function: { name: "get_weather", arguments: "" } },
        ],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
      chunk({}, "tool_calls"),
      { ...chunk({}), choices: [], usage: { prompt_tokens: 25, completion_tokens: 40, total_tokens: 65 } },
      "[DONE]",
    ]);
    assert.equal(fake.received[0]?.body.stream, true);
  });

  it("answers Anthropic errors with 502 and their message, before and during a stream", async () => {
    fake.handle((_req, res) =>
      sendJson(res, 400, {
        type: "error",
        error: { type: "invalid_request_error", message: "max_tokens: 100000 > 64000, the maximum" },
      }),
    );
    const res = await chat(gateway, {
      model: MODEL,
      messages: [{ role: "user", content: "x" }],
      max_tokens: 100000,
    });
    assert.deepEqual(
      [res.status, res.json],
      [
        502,
        {
          error: "provider request failed: max_tokens: 100000 > 64000, the maximum",
          provider: "claude",
          provider_status: 400,
        },
      ],
    );
    fake.handle((_req, res) => {
      const sse = startSse(res);
      sse.event(
        { type: "message_start", message: { id: "msg_e", model: MODEL, usage: { input_tokens: 1 } } },
        "message_start",
      );
      sse.event({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } }, "error");
      sse.end();
    });
    const events = await readSse(
      await chatStream(gateway, { model: MODEL, messages: [{ role: "user", content: "x" }] }),
    );
    assert.deepEqual(events.at(-1), {
      error: { message: "provider request failed: Overloaded", type: "gateway_error", code: 502 },
    });
  });
});
