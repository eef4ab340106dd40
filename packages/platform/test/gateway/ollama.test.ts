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
  sendJson,
  sseData,
  startFakeProvider,
} from "./fake-provider.js";

const TOOL = {
  type: "function",
  function: {
    name: "add",
    parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
  },
};

describe("gateway: Ollama native chat API", () => {
  let platform: TestPlatform;
  let fake: FakeProvider;
  let gateway: string;

  before(async () => {
    platform = await startTestPlatform();
    authenticateOpenGateway(platform);
    gateway = `${platform.url}/api/v1/v1`;
    fake = await startFakeProvider((_req, res) => sendJson(res, 200, { models: [] }));
    const provider = await addProvider(platform, {
      name: "local",
      spec: { provider: "ollama", endpoint: fake.url, models: ["llama3.2", "llama9"] },
    });
    assert.equal(provider.status.phase, "Pending");
  });
  beforeEach(() => {
    fake.received.length = 0;
  });
  after(async () => {
    await fake.close();
    await platform.destroy();
  });

  it("translates messages, tools and options, and maps tool calls and counts back", async () => {
    fake.handle((_req, res) =>
      sendJson(res, 200, {
        model: "llama3.2",
        created_at: "2025-01-01T00:00:00Z",
        message: {
          role: "assistant",
          content: "",
          tool_calls: [{ function: { name: "add", arguments: { a: 2, b: 3 } } }],
        },
        done: true,
        done_reason: "stop",
        prompt_eval_count: 31,
        eval_count: 9,
      }),
    );
    const res = await chat(gateway, {
      model: "llama3.2",
      messages: [
        { role: "developer", content: "Use tools." },
        { role: "user", content: [{ type: "text", text: "2+3?" }] },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "call_x", type: "function", function: { name: "add", arguments: '{"a":1,"b":1}' } },
          ],
        },
        { role: "tool", tool_call_id: "call_x", content: "2" },
      ],
      tools: [TOOL],
      temperature: 0,
      max_tokens: 64,
      stop: "\n\n",
    });
    assert.equal(res.status, 200, res.text);
    const [call] = res.json.choices[0].message.tool_calls;
    assert.match(call.id, /^call_[0-9a-f]{12}$/);
    assert.deepEqual(res.json.choices[0], {
      index: 0,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: call.id, type: "function", function: { name: "add", arguments: '{"a":2,"b":3}' } },
        ],
      },
      finish_reason: "tool_calls",
    });
    assert.deepEqual(res.json.usage, { prompt_tokens: 31, completion_tokens: 9, total_tokens: 40 });
    assert.equal(fake.received[0]?.url, "/api/chat");
    assert.deepEqual(fake.received[0]?.body, {
      model: "llama3.2",
      stream: false,
      messages: [
        { role: "system", content: "Use tools." },
        { role: "user", content: "2+3?" },
        {
          role: "assistant",
          content: "",
          tool_calls: [{ function: { name: "add", arguments: { a: 1, b: 1 } } }],
        },
        { role: "tool", content: "2", tool_name: "add" },
      ],
      tools: [TOOL],
      options: { temperature: 0, num_predict: 64, stop: ["\n\n"] },
    });
  });

  it("streams NDJSON lines as OpenAI chunks, incrementally", { timeout: 10_000 }, async () => {
    const firstSeen = deferred();
    fake.handle(async (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/x-ndjson" });
      const line = (value: unknown) => res.write(`${JSON.stringify(value)}\n`);
      line({ model: "llama3.2", message: { role: "assistant", content: "Hel" }, done: false });
      await firstSeen.promise;
      line({ model: "llama3.2", message: { role: "assistant", content: "lo" }, done: false });
      line({
        model: "llama3.2",
        message: { role: "assistant", content: "" },
        done: true,
        done_reason: "stop",
        prompt_eval_count: 8,
        eval_count: 2,
      });
      res.end();
    });
    const res = await chatStream(gateway, { model: "llama3.2", messages: [{ role: "user", content: "hi" }] });
    const events: any[] = [];
    for await (const data of sseData(res)) {
      events.push(data);
      if (data.choices?.[0]?.delta?.content === "Hel") firstSeen.resolve();
    }
    const id = events[0].id;
    assert.match(id, /^chatcmpl-[0-9a-f]{24}$/);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
      id,
      object: "chat.completion.chunk",
      created: events[0].created,
      model: "llama3.2",
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    assert.deepEqual(events, [
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Hel" }),
      chunk({ content: "lo" }),
      chunk({}, "stop"),
      { ...chunk({}), choices: [], usage: { prompt_tokens: 8, completion_tokens: 2, total_tokens: 10 } },
      "[DONE]",
    ]);
    assert.equal(fake.received[0]?.body.stream, true);
  });

  it("answers Ollama's error with 502 and its message", async () => {
    fake.handle((_req, res) =>
      sendJson(res, 404, { error: 'model "llama9" not found, try pulling it first' }),
    );
    const res = await chat(gateway, { model: "llama9", messages: [{ role: "user", content: "x" }] });
    assert.deepEqual(
      [res.status, res.json],
      [
        502,
        {
          error: 'provider request failed: model "llama9" not found, try pulling it first',
          provider: "local",
          provider_status: 404,
        },
      ],
    );
  });
});
