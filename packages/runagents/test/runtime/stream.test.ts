import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { HandlerRequest, RunContext } from "../../src/agent/index.js";
import { eventTypes, FakePlatform, post, readEvents } from "./fake-platform.js";
import { startRuntime } from "./harness.js";

let fake: FakePlatform;
before(async () => {
  fake = await FakePlatform.start();
});
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.llmReplies.length = 0;
});

type Event = Record<string, unknown> | "[DONE]";

/** Reads SSE events one at a time, as they arrive. */
function eventReader(response: Response): () => Promise<Event | undefined> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return async () => {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.slice("data: ".length);
        return data === "[DONE]" ? "[DONE]" : (JSON.parse(data) as Record<string, unknown>);
      }
      const { value, done } = await reader.read();
      if (done) return undefined;
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const calcTools = JSON.stringify([{ type: "function", function: { name: "calc__add" } }]);

describe("built-in loop streaming", () => {
  test("forwards the gateway's content deltas as they arrive", async () => {
    const held = gate();
    fake.llmReplies.push({ content: "Hello world", chunks: ["Hel", "lo ", "world"], gate: held.promise });
    const runtime = await startRuntime(fake);
    const response = await post(
      `${runtime.url}/invoke/stream`,
      { message: "hi" },
      { "X-Request-Id": "req-s" },
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    assert.equal(response.headers.get("cache-control"), "no-cache");
    assert.equal(response.headers.get("x-request-id"), "req-s");
    const next = eventReader(response);
    // The gateway holds the rest of its answer until the first delta has reached the client.
    assert.deepEqual(await next(), { type: "content", delta: "Hel" });
    held.open();
    const rest: Event[] = [];
    for (let e = await next(); e !== undefined; e = await next()) rest.push(e);
    await runtime.close();
    assert.deepEqual(rest, [
      { type: "content", delta: "lo " },
      { type: "content", delta: "world" },
      { type: "done", model: "test-model", tool_calls_made: [] },
      "[DONE]",
    ]);
    assert.equal(
      (JSON.parse(fake.to("/v1/chat/completions")[0]?.body ?? "") as { stream: boolean }).stream,
      true,
    );
  });

  test("assembles streamed tool calls, runs them, then streams the answer", async () => {
    fake.tool("calc", () => ({ body: { sum: 3 } }));
    fake.llmReplies.push(
      { tool_calls: [{ id: "c1", name: "calc__add", arguments: '{"a":1,"b":2}' }] },
      { content: "Three." },
    );
    const runtime = await startRuntime(fake, {
      env: { TOOL_DEFINITIONS_JSON: calcTools, TOOL_URL_CALC: fake.toolUrl("calc") },
    });
    const events = await readEvents(
      await post(`${runtime.url}/invoke/stream`, { message: "1+2" }, { "X-Run-ID": "run-s" }),
    );
    await runtime.close();
    assert.deepEqual(events, [
      { type: "tool_call", tool: "calc__add", arguments: '{"a":1,"b":2}' },
      { type: "tool_result", tool: "calc__add", result: '{"sum":3}' },
      { type: "content", delta: "Three." },
      {
        type: "done",
        model: "test-model",
        tool_calls_made: [{ function: "calc__add", method: "POST", url: `${fake.toolUrl("calc")}/` }],
      },
      "[DONE]",
    ]);
    assert.equal(fake.to("/tools/calc")[0]?.body, '{"a":1,"b":2}');
    // Unlike the reference, the stream loop reports tool results too.
    assert.equal((await fake.waitFor("/gov/runs/run-s/tool-result")).length, 1);
  });

  test("an approval ends the stream with approval_required and done", async () => {
    fake.tool("calc", () => ({ status: 403, body: { code: "APPROVAL_REQUIRED", action_id: "act-s" } }));
    fake.llmReplies.push({ tool_calls: [{ id: "c1", name: "calc__add", arguments: "{}" }] });
    const runtime = await startRuntime(fake, {
      env: { TOOL_DEFINITIONS_JSON: calcTools, TOOL_URL_CALC: fake.toolUrl("calc") },
    });
    const events = await readEvents(
      await post(`${runtime.url}/invoke/stream`, { message: "x" }, { "X-Run-ID": "run-a" }),
    );
    await runtime.close();
    assert.deepEqual(eventTypes(events), ["tool_call", "approval_required", "done", "[DONE]"]);
    assert.deepEqual(events[1], {
      type: "approval_required",
      tool: "calc__add",
      detail: { code: "APPROVAL_REQUIRED", action_id: "act-s", tool: "calc" },
    });
    assert.ok(fake.checkpoints.has("run-a/act-s"));
  });

  test("a consent ends the stream with consent_required, the consent text and done", async () => {
    fake.tool("calc", () => ({
      status: 403,
      body: { code: "CONSENT_REQUIRED", authorization_url: "https://auth", resume_id: "r-1" },
    }));
    fake.llmReplies.push({ tool_calls: [{ id: "c1", name: "calc__add", arguments: "{}" }] });
    const runtime = await startRuntime(fake, {
      env: { TOOL_DEFINITIONS_JSON: calcTools, TOOL_URL_CALC: fake.toolUrl("calc") },
    });
    const events = await readEvents(await post(`${runtime.url}/invoke/stream`, { message: "x" }));
    await runtime.close();
    assert.deepEqual(eventTypes(events), ["tool_call", "consent_required", "content", "done", "[DONE]"]);
    assert.equal((events[1] as Record<string, unknown>).tool, "calc");
    assert.deepEqual(events[2], {
      type: "content",
      delta: "You need to connect a tool before I can continue. https://auth",
    });
  });

  test("a gateway failure is an error event followed by [DONE], with no done", async () => {
    fake.llmReplies.push({ status: 500, errorBody: "down" });
    const runtime = await startRuntime(fake);
    const events = await readEvents(await post(`${runtime.url}/invoke/stream`, { message: "x" }));
    await runtime.close();
    assert.deepEqual(events, [{ type: "error", message: "LLM Gateway returned 500" }, "[DONE]"]);
  });

  test("an invalid body is a plain JSON 400 before any stream starts", async () => {
    const runtime = await startRuntime(fake);
    const response = await post(`${runtime.url}/invoke/stream`, "{not json");
    await runtime.close();
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { error: "invalid JSON body" });
  });
});

describe("handler streaming", () => {
  test("ctx.emit sends content at once; on /invoke the pieces make the response", async () => {
    const held = gate();
    const handler = async (_request: HandlerRequest, ctx: RunContext) => {
      ctx.emit("first ");
      await held.promise;
      ctx.emit("second");
      return { response: "ignored when streamed", usage: { total_tokens: 2 } };
    };
    const runtime = await startRuntime(fake, { handler });
    const next = eventReader(await post(`${runtime.url}/invoke/stream`, { message: "x" }));
    assert.deepEqual(await next(), { type: "content", delta: "first " });
    held.open();
    assert.deepEqual(await next(), { type: "content", delta: "second" });
    assert.deepEqual(await next(), { type: "done", model: "agent-model", tool_calls_made: [] });
    assert.equal(await next(), "[DONE]");
    const sync = (await (await post(`${runtime.url}/invoke`, { message: "x" })).json()) as Record<
      string,
      unknown
    >;
    await runtime.close();
    assert.equal(sync.response, "first second");
    assert.deepEqual(sync.usage, { total_tokens: 2 });
  });

  test("an async iterable of text is streamed piece by piece", async () => {
    const handler = async function* () {
      yield "x";
      yield new TextEncoder().encode("y");
    };
    const runtime = await startRuntime(fake, { handler });
    const events = await readEvents(await post(`${runtime.url}/invoke/stream`, { message: "x" }));
    const sync = (await (await post(`${runtime.url}/invoke`, { message: "x" })).json()) as Record<
      string,
      unknown
    >;
    await runtime.close();
    assert.deepEqual(eventTypes(events), ["content", "content", "done", "[DONE]"]);
    assert.deepEqual(events[1], { type: "content", delta: "y" });
    assert.equal(sync.response, "xy");
  });

  test("tool calls are streamed as they happen, before the handler's answer", async () => {
    fake.tool("crm", () => ({ body: { ok: true } }));
    const handler = async (_request: HandlerRequest, ctx: RunContext) => {
      await (await fetch(`${ctx.tools.crm}/notes`, { method: "POST", body: '{"n":1}' })).text();
      return "saved";
    };
    const runtime = await startRuntime(fake, { env: { TOOL_URL_CRM: fake.toolUrl("crm") }, handler });
    const events = await readEvents(await post(`${runtime.url}/invoke/stream`, { message: "x" }));
    await runtime.close();
    assert.deepEqual(events.slice(0, 3), [
      { type: "tool_call", tool: "crm__post", arguments: '{"n":1}' },
      { type: "tool_result", tool: "crm__post", result: '{"ok":true}' },
      { type: "content", delta: "saved" },
    ]);
    assert.deepEqual(eventTypes(events).slice(3), ["done", "[DONE]"]);
  });

  test("a handler error is an error event followed by [DONE]", async () => {
    const runtime = await startRuntime(fake, {
      handler: () => {
        throw new Error("handler broke");
      },
    });
    const events = await readEvents(await post(`${runtime.url}/invoke/stream`, { message: "x" }));
    await runtime.close();
    assert.deepEqual(events, [{ type: "error", message: "handler broke" }, "[DONE]"]);
  });
});
