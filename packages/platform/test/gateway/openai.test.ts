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

const KEY = "sk-test-openai-0123456789abcdef";
const TOOLS = [
  {
    type: "function",
    function: {
      name: "lookup_order",
      description: "Find an order",
      parameters: { type: "object", properties: { id: { type: "string" } }, required: ["id"] },
    },
  },
];
const TOOL_ANSWER = {
  id: "chatcmpl-abc",
  object: "chat.completion",
  created: 1700000000,
  model: "gpt-4o-mini-2024-07-18",
  choices: [
    {
      index: 0,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_1", type: "function", function: { name: "lookup_order", arguments: '{"id":"A-7"}' } },
        ],
      },
      finish_reason: "tool_calls",
    },
  ],
  usage: { prompt_tokens: 52, completion_tokens: 17, total_tokens: 69 },
};
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: "chatcmpl-s1",
  object: "chat.completion.chunk",
  created: 1700000001,
  model: "gpt-4o-mini",
  choices: [{ index: 0, delta, finish_reason: finish }],
});

describe("gateway: OpenAI-compatible providers", () => {
  let platform: TestPlatform;
  let fake: FakeProvider;
  let gateway: string;

  before(async () => {
    platform = await startTestPlatform();
    authenticateOpenGateway(platform);
    gateway = `${platform.url}/v1`;
    fake = await startFakeProvider((_req, res) => sendJson(res, 200, { object: "list", data: [] }));
    await addProvider(platform, {
      name: "oai",
      spec: { provider: "openai", endpoint: `${fake.url}/v1`, models: ["gpt-4o-mini", "gpt-4o"] },
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

  it("passes the request through with the key injected and returns the provider's tool call as is", async () => {
    fake.handle((_req, res) => sendJson(res, 200, TOOL_ANSWER));
    const body = {
      model: "gpt-4o-mini",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Where is order A-7?" },
      ],
      tools: TOOLS,
      tool_choice: "auto",
      temperature: 0.2,
    };
    const res = await chat(gateway, body);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, TOOL_ANSWER);
    const [upstream] = fake.received;
    assert.equal(upstream?.method, "POST");
    assert.equal(upstream?.url, "/v1/chat/completions");
    assert.equal(upstream?.headers.authorization, `Bearer ${KEY}`);
    assert.deepEqual(upstream?.body, { ...body, stream: false });
  });

  it("sends an assistant tool call and its tool result back upstream unchanged", async () => {
    fake.handle((_req, res) =>
      sendJson(res, 200, {
        ...TOOL_ANSWER,
        choices: [
          { index: 0, message: { role: "assistant", content: "Order A-7 shipped." }, finish_reason: "stop" },
        ],
      }),
    );
    const messages = [
      { role: "user", content: "Where is order A-7?" },
      TOOL_ANSWER.choices[0]?.message,
      { role: "tool", tool_call_id: "call_1", content: '{"status":"shipped"}' },
    ];
    const res = await chat(gateway, { model: "gpt-4o-mini", messages, tools: TOOLS });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.choices[0].message.content, "Order A-7 shipped.");
    assert.deepEqual(fake.received[0]?.body.messages, messages);
  });

  it("streams deltas as they arrive, asks for usage, and ends with a usage chunk and [DONE]", {
    timeout: 10_000,
  }, async () => {
    const firstSeen = deferred();
    fake.handle(async (_req, res) => {
      const sse = startSse(res);
      sse.event(chunk({ role: "assistant", content: "" }));
      sse.event(chunk({ content: "Hel" }));
      await firstSeen.promise;
      sse.event(chunk({ content: "lo" }));
      sse.event(chunk({}, "stop"));
      sse.event({
        ...chunk({}),
        choices: [],
        usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
      });
      sse.event("[DONE]");
      sse.end();
    });
    const res = await chatStream(gateway, {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const events: unknown[] = [];
    for await (const data of sseData(res)) {
      events.push(data);
      // The second delta is only sent once the client holds the first: streaming is incremental.
      if ((data as any).choices?.[0]?.delta?.content === "Hel") firstSeen.resolve();
    }
    assert.deepEqual(events, [
      chunk({ role: "assistant", content: "" }),
      chunk({ content: "Hel" }),
      chunk({ content: "lo" }),
      chunk({}, "stop"),
      { ...chunk({}), choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } },
      "[DONE]",
    ]);
    assert.deepEqual(fake.received[0]?.body, {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("estimates usage at four characters a token when a stream reports none", async () => {
    fake.handle((_req, res) => {
      const sse = startSse(res);
      sse.event(chunk({ content: "twelve chars" }));
      sse.event(chunk({}, "stop"));
      sse.event("[DONE]");
      sse.end();
    });
    const res = await chatStream(gateway, {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "seventeen letters" }],
    });
    const events = await readSse(res);
    assert.deepEqual(events.at(-2), {
      ...chunk({}),
      choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    });
    assert.equal(events.at(-1), "[DONE]");
  });

  it("keeps one connection alive across consecutive calls, streamed or not", async () => {
    const streamed = (_req: unknown, res: import("node:http").ServerResponse) => {
      const sse = startSse(res);
      sse.event(chunk({ content: "x" }));
      sse.event("[DONE]");
      sse.end();
    };
    const before = fake.connections();
    for (let i = 0; i < 3; i++) {
      fake.handle((_req, res) => sendJson(res, 200, TOOL_ANSWER));
      assert.equal(
        (await chat(gateway, { model: "gpt-4o", messages: [{ role: "user", content: "x" }] })).status,
        200,
      );
      fake.handle(streamed);
      const res = await chatStream(gateway, { model: "gpt-4o", messages: [{ role: "user", content: "x" }] });
      assert.equal((await readSse(res)).at(-1), "[DONE]");
    }
    assert.ok(fake.connections() - before <= 1, `${fake.connections() - before} new connections for 6 calls`);
  });

  it("accepts a bare host, a custom base path and an Azure deployment URL", async () => {
    fake.handle((_req, res) => sendJson(res, 200, TOOL_ANSWER));
    await addProvider(platform, {
      name: "bare",
      spec: { provider: "openai", endpoint: fake.url, models: ["bare-model"] },
      api_key: KEY,
    });
    await addProvider(platform, {
      name: "proxy",
      spec: { provider: "openai", endpoint: `${fake.url}/proxy/openai/v1/`, models: ["proxy-model"] },
    });
    await addProvider(platform, {
      name: "azure",
      spec: {
        provider: "openai",
        endpoint: `${fake.url}/openai/deployments/gpt4o?api-version=2024-10-21`,
        models: ["azure-gpt-4o"],
        auth: { type: "APIKey", apiKeyConfig: { in: "Header", name: "api-key" } },
      },
      api_key: "azure-key-0123456789",
    });
    fake.received.length = 0;
    const message = [{ role: "user", content: "x" }];
    for (const model of ["bare-model", "proxy-model", "azure-gpt-4o"]) {
      assert.equal((await chat(gateway, { model, messages: message })).status, 200);
    }
    const seen = fake.received.map((r) => [r.url, r.headers.authorization, r.headers["api-key"]]);
    assert.deepEqual(seen, [
      ["/v1/chat/completions", `Bearer ${KEY}`, undefined],
      ["/proxy/openai/v1/chat/completions", undefined, undefined],
      [
        "/openai/deployments/gpt4o/chat/completions?api-version=2024-10-21",
        undefined,
        "azure-key-0123456789",
      ],
    ]);
  });

  it("answers a provider error with 502 and the provider's message, never its key", async () => {
    fake.handle((_req, res) =>
      sendJson(res, 401, {
        error: { message: `Incorrect API key provided: ${KEY}.`, type: "invalid_request_error" },
      }),
    );
    const res = await chat(gateway, { model: "gpt-4o", messages: [{ role: "user", content: "x" }] });
    assert.equal(res.status, 502);
    assert.deepEqual(res.json, {
      error: "provider request failed: Incorrect API key provided: [REDACTED].",
      provider: "oai",
      provider_status: 401,
    });
    const streamed = await chatStream(gateway, {
      model: "gpt-4o",
      messages: [{ role: "user", content: "x" }],
    });
    assert.equal(streamed.status, 502);
    assert.ok(!(await streamed.text()).includes(KEY));
    assert.ok(!platform.logs.join("\n").includes(KEY), "the key is not logged");
    assert.ok(platform.logs.some((l) => l.includes("Incorrect API key provided: [REDACTED]")));
  });

  it("ends a stream that fails midway with an error event", async () => {
    fake.handle((_req, res) => {
      const sse = startSse(res);
      sse.event(chunk({ content: "partial" }));
      sse.event({ error: { message: "upstream overloaded" } });
      sse.end();
    });
    const res = await chatStream(gateway, { model: "gpt-4o", messages: [{ role: "user", content: "x" }] });
    assert.equal(res.status, 200);
    assert.deepEqual(await readSse(res), [
      chunk({ content: "partial" }),
      {
        error: { message: "provider request failed: upstream overloaded", type: "gateway_error", code: 502 },
      },
    ]);
  });

  it("cancels the upstream call when the client goes away mid-stream", { timeout: 10_000 }, async () => {
    const upstreamClosed = deferred();
    fake.handle((req, res) => {
      const sse = startSse(res);
      sse.event(chunk({ content: "first" }));
      res.on("close", () => upstreamClosed.resolve());
      assert.equal(req.method, "POST");
    });
    const client = new AbortController();
    const res = await fetch(`${gateway}/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...platform.authHeaders },
      body: JSON.stringify({ model: "gpt-4o", stream: true, messages: [{ role: "user", content: "x" }] }),
      signal: client.signal,
    });
    const reader = res.body!.getReader();
    assert.match(new TextDecoder().decode((await reader.read()).value), /"content":"first"/);
    client.abort();
    await upstreamClosed.promise;
  });

  it("answers an unreachable provider with 502 naming the failure", async () => {
    const gone = await startFakeProvider((_req, res) => sendJson(res, 200, {}));
    await addProvider(platform, {
      name: "gone",
      spec: { provider: "openai", endpoint: gone.url, models: ["gone-1"] },
    });
    await gone.close();
    const res = await chat(gateway, { model: "gone-1", messages: [{ role: "user", content: "x" }] });
    assert.equal(res.status, 502);
    assert.deepEqual(res.json, {
      error: `provider request failed: connection refused by ${new URL(gone.url).host}`,
      provider: "gone",
    });
  });

  it("answers 400 without a model, 400 for bad messages and 404 for a model nobody serves", async () => {
    const cases: [unknown, number, string][] = [
      [{ messages: [{ role: "user", content: "x" }] }, 400, "model is required"],
      [{ model: "gpt-4o" }, 400, "messages must be a non-empty list of {role, content} objects"],
      [
        { model: "gpt-4o", messages: [{ content: "x" }] },
        400,
        "messages[0] must be an object with a string role",
      ],
      [
        { model: "gpt-4o", messages: [{ role: "user", content: "x" }], stream: "yes" },
        400,
        "stream must be a boolean",
      ],
      [
        { model: "claude-9", messages: [{ role: "user", content: "x" }] },
        404,
        'no provider found for model "claude-9"',
      ],
    ];
    for (const [body, status, error] of cases) {
      const res = await chat(gateway, body);
      assert.deepEqual([res.status, res.json], [status, { error }], JSON.stringify(body));
    }
    assert.equal(fake.received.length, 0);
  });
});
