import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  addProvider,
  authenticateOpenGateway,
  chatStream,
  type FakeProvider,
  readSse,
  sendJson,
  startFakeProvider,
  startSse,
} from "../gateway/fake-provider.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

const KEY = "sk-split-0123456789abcdefXYZ";

const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: "chatcmpl-s",
  object: "chat.completion.chunk",
  created: 1700000001,
  model: "m",
  choices: [{ index: 0, delta, finish_reason: finish }],
});

/** The content and tool-call arguments a client reassembles from the stream's events. */
function reassemble(events: unknown[]): { content: string; args: string } {
  let content = "";
  let args = "";
  for (const event of events as any[]) {
    for (const choice of event?.choices ?? []) {
      content += choice.delta?.content ?? "";
      for (const call of choice.delta?.tool_calls ?? []) args += call.function?.arguments ?? "";
    }
  }
  return { content, args };
}

describe("security: a provider key split across streamed deltas is redacted", () => {
  let platform: TestPlatform;
  let fake: FakeProvider;
  let gateway: string;

  before(async () => {
    platform = await startTestPlatform();
    authenticateOpenGateway(platform);
    gateway = `${platform.url}/v1`;
    fake = await startFakeProvider((_req, res) => sendJson(res, 200, { object: "list", data: [] }));
    await addProvider(platform, {
      name: "leaky",
      spec: { provider: "openai", endpoint: `${fake.url}/v1`, models: ["m"] },
      api_key: KEY,
    });
  });
  after(async () => {
    await fake.close();
    await platform.destroy();
  });

  const stream = async () => {
    const res = await chatStream(gateway, { model: "m", messages: [{ role: "user", content: "key?" }] });
    assert.equal(res.status, 200);
    return readSse(res);
  };

  it("a key split across two content deltas never reaches the caller", async () => {
    fake.handle((_req, res) => {
      const sse = startSse(res);
      sse.event(chunk({ role: "assistant", content: "" }));
      sse.event(chunk({ content: `the key is ${KEY.slice(0, 10)}` }));
      sse.event(chunk({ content: `${KEY.slice(10)}, done` }));
      sse.event(chunk({}, "stop"));
      sse.event("[DONE]");
      sse.end();
    });
    const events = await stream();
    assert.ok(!JSON.stringify(events).includes(KEY.slice(0, 10)), JSON.stringify(events));
    assert.equal(reassemble(events).content, "the key is [REDACTED], done");
  });

  it("a key split across tool-call argument deltas never reaches the caller", async () => {
    fake.handle((_req, res) => {
      const sse = startSse(res);
      const call = (args: string, extra: Record<string, unknown> = {}) =>
        chunk({ tool_calls: [{ index: 0, ...extra, function: { arguments: args } }] });
      sse.event(call('{"k":"', { id: "call_1", type: "function", function: { name: "f", arguments: "" } }));
      sse.event(call(KEY.slice(0, 5)));
      sse.event(call(KEY.slice(5, 20)));
      sse.event(call(`${KEY.slice(20)}"}`));
      sse.event(chunk({}, "tool_calls"));
      sse.event("[DONE]");
      sse.end();
    });
    const events = await stream();
    assert.ok(!JSON.stringify(events).includes(KEY.slice(0, 5)), JSON.stringify(events));
    assert.equal(reassemble(events).args, '{"k":"[REDACTED]"}');
  });

  it("text that only looks like a key's start is delivered whole when the stream ends", async () => {
    fake.handle((_req, res) => {
      const sse = startSse(res);
      sse.event(chunk({ content: "ends with sk-spl" }));
      sse.event("[DONE]");
      sse.end();
    });
    assert.equal(reassemble(await stream()).content, "ends with sk-spl");
  });
});
