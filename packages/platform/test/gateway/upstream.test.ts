/**
 * The upstream HTTP client (`gateway/upstream.ts`) against plain local servers: the one retry of
 * a call that hit a kept-alive connection the server had closed, no retry on a fresh connection,
 * cancellation, the inactivity timeout, a cut-off answer, and a stream whose reader stopped early
 * leaving its connection reusable. Then, through the platform: a caller that goes away cancels
 * a non-streamed call, budgets count spend that is recorded but not written yet, and a run's
 * `run_totals` count `LLM_CALL` events appended by anyone.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { loadPlatformConfig } from "../../src/config.js";
import { HttpError } from "../../src/errors.js";
import { readSseData } from "../../src/gateway/answers.js";
import { BUDGET_EXCEEDED, checkBudget } from "../../src/gateway/budget.js";
import { addModelUsage, monthPeriod, recordModelUsage, usageKey } from "../../src/gateway/spend.js";
import { CallCancellation, ProviderError } from "../../src/gateway/types.js";
import { requestText, sendUpstream } from "../../src/gateway/upstream.js";
import { openStore } from "../../src/platform.js";
import type { Store } from "../../src/store/store.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import {
  addAgent,
  addProvider,
  authenticateOpenGateway,
  chat,
  deferred,
  type FakeProvider,
  sendJson,
  startFakeProvider,
} from "./fake-provider.js";

const ANSWER = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1700000000,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 },
};

interface Local {
  url: URL;
  server: Server;
  /** Requests seen, with the number of the connection (1, 2, ...) each came on. */
  requests: number[];
  connections(): number;
}

/** A local server; `handle` gets each request with its connection's number and that connection's request count. */
async function serve(
  handle: (req: IncomingMessage, res: ServerResponse, conn: { id: number; served: number }) => void,
): Promise<Local> {
  const requests: number[] = [];
  const ids = new WeakMap<Socket, { id: number; served: number }>();
  let connections = 0;
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const conn = ids.get(req.socket) as { id: number; served: number };
    conn.served++;
    requests.push(conn.id);
    handle(req, res, conn);
  });
  server.on("connection", (socket: Socket) => ids.set(socket, { id: ++connections, served: 0 }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/v1/chat`),
    server,
    requests,
    connections: () => connections,
  };
}

function stop(local: Local): Promise<void> {
  local.server.closeAllConnections();
  return new Promise((resolve) => local.server.close(() => resolve()));
}

const ok = (res: ServerResponse) => {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.end('{"ok":true}');
};

const post = (url: URL, signal = new CallCancellation(), timeoutMs?: number) =>
  requestText({ url, method: "POST", body: "{}", signal, ...(timeoutMs ? { timeoutMs } : {}) });

describe("gateway upstream client", () => {
  let local: Local | undefined;
  afterEach(async () => {
    if (local) await stop(local);
    local = undefined;
  });

  for (const [how, close] of [
    ["closed", (socket: Socket) => socket.destroy()],
    ["reset", (socket: Socket) => socket.resetAndDestroy()],
  ] as const) {
    it(`retries once a call that hit a kept-alive connection the server ${how} while idle`, async () => {
      // The second request on a connection finds it gone: the server drops it unanswered.
      local = await serve((req, res, conn) => {
        if (conn.served === 2) close(req.socket);
        else ok(res);
      });
      assert.deepEqual(await post(local.url), { status: 200, text: '{"ok":true}' });
      await new Promise((resolve) => setTimeout(resolve, 20)); // the connection is idle
      assert.deepEqual(await post(local.url), { status: 200, text: '{"ok":true}' });
      assert.deepEqual(local.requests, [1, 1, 2], "the dropped request was sent again on a new connection");
    });
  }

  it("does not retry a call whose fresh connection was reset", async () => {
    local = await serve((req) => req.socket.resetAndDestroy());
    await assert.rejects(post(local.url), (err: unknown) => {
      assert.ok(err instanceof ProviderError);
      assert.equal(err.message, `connection to ${local?.url.host} was reset`);
      return true;
    });
    assert.deepEqual(local.requests, [1]);
  });

  it("cancels the call when the caller goes away, closing its connection", async () => {
    const arrived = deferred();
    const closed = deferred();
    local = await serve((req) => {
      req.socket.on("close", () => closed.resolve());
      arrived.resolve();
    });
    const cancel = new CallCancellation();
    const call = post(local.url, cancel);
    await arrived.promise;
    cancel.abort();
    await assert.rejects(call, { name: "ProviderError", message: "the call was cancelled" });
    await closed.promise;
    await assert.rejects(post(local.url, cancel), { message: "the call was cancelled" });
    assert.equal(local.requests.length, 1, "a call cancelled before it starts is not sent");
  });

  it("fails a call that gets no answer within the inactivity limit", async () => {
    local = await serve(() => {});
    const started = performance.now();
    await assert.rejects(post(local.url, new CallCancellation(), 300), {
      message: `no answer from ${local.url.host} within 0.3 s`,
    });
    assert.ok(performance.now() - started < 2000);
  });

  it("reports an answer cut off midway; an error answer cut off still gives its status", async () => {
    local = await serve((req, res) => {
      const status = req.url?.endsWith("/error") ? 500 : 200;
      res.writeHead(status, { "Content-Type": "application/json", "Content-Length": "100" });
      res.write('{"choices": [');
      setTimeout(() => req.socket.destroy(), 20);
    });
    await assert.rejects(post(local.url), (err: unknown) => {
      assert.ok(err instanceof ProviderError);
      assert.match(err.message, /^the provider's answer was cut off: /);
      return true;
    });
    assert.deepEqual(await post(new URL("/error", local.url)), { status: 500, text: "" });
  });

  it("drains a stream whose reader stopped early, so its connection serves the next call", async () => {
    local = await serve((req, res) => {
      if (req.url?.endsWith("/plain")) return ok(res);
      res.writeHead(200, { "Content-Type": "text/event-stream" });
      res.write('data: {"n":1}\n\n');
      setTimeout(() => res.end('data: {"n":2}\n\ndata: [DONE]\n\n'), 20);
    });
    const res = await sendUpstream({
      url: local.url,
      method: "POST",
      body: "{}",
      signal: new CallCancellation(),
    });
    for await (const data of readSseData(res.body)) {
      assert.equal(data, '{"n":1}');
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(await post(new URL("/plain", local.url)), { status: 200, text: '{"ok":true}' });
    assert.deepEqual(local.requests, [1, 1], "one connection served both calls");
  });

  it("sends credentials written in the URL as basic auth, unless the call brings its own", async () => {
    const seen: (string | undefined)[] = [];
    local = await serve((req, res) => {
      seen.push(req.headers.authorization);
      ok(res);
    });
    const url = new URL(local.url);
    url.username = "user";
    url.password = "p@ss";
    await post(url);
    await requestText({ url, headers: { authorization: "Bearer k" }, signal: new CallCancellation() });
    assert.deepEqual(seen, [`Basic ${Buffer.from("user:p@ss").toString("base64")}`, "Bearer k"]);
  });

  it("pauses a stream nobody reads and resumes it for the reader", async () => {
    const big = "x".repeat(16 * 1024);
    local = await serve((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      for (let i = 0; i < 32; i++) res.write(`${big}\n`);
      res.end();
    });
    const res = await sendUpstream({ url: local.url, signal: new CallCancellation() });
    await new Promise((resolve) => setTimeout(resolve, 50));
    let bytes = 0;
    for await (const chunk of res.body) bytes += chunk.length;
    assert.equal(bytes, 32 * (16 * 1024 + 1));
  });
});

describe("gateway: cancellation, pending spend and run totals through the platform", () => {
  let platform: TestPlatform;
  let fake: FakeProvider;

  before(async () => {
    platform = await startTestPlatform();
    authenticateOpenGateway(platform);
    fake = await startFakeProvider((_req, res) => sendJson(res, 200, { object: "list", data: [] }));
    await addProvider(platform, {
      name: "oai",
      spec: { provider: "openai", endpoint: `${fake.url}/v1`, models: ["gpt-4o-mini", "gpt-4o"] },
      api_key: "sk-upstream-test-0123456789",
    });
  });
  after(async () => {
    await fake.close();
    await platform.destroy();
  });

  it("cancels the upstream call when the caller of a non-streamed call goes away", async () => {
    const arrived = deferred();
    const upstreamClosed = deferred();
    fake.handle((_req, res) => {
      res.on("close", () => upstreamClosed.resolve());
      arrived.resolve();
    });
    const client = new AbortController();
    const call = fetch(`${platform.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...platform.authHeaders },
      body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }),
      signal: client.signal,
    });
    await arrived.promise;
    client.abort();
    await assert.rejects(call);
    await upstreamClosed.promise;
  });

  it("answers with the provider's own text when nothing changes, the key always scrubbed", async () => {
    const key = "sk-upstream-test-0123456789";
    const pretty = JSON.stringify({ ...ANSWER, choices: [{ ...ANSWER.choices[0], extra: 1.5 }] }, null, 2);
    const answers: [string, string, boolean][] = [
      // passed through as sent (pretty-printed), the key replaced in place
      [pretty.replace('"hi"', `"key: ${key}"`), "key: [REDACTED]", true],
      // an escape could hide the key from a scan of the text: serialised again, then scrubbed
      [pretty.replace('"hi"', `"key: \\u0073${key.slice(1)}"`), "key: [REDACTED]", false],
      [
        pretty.replace('"hi"', `"key: ${key.replace("-", "\\/")} \\/ ${key}"`),
        `key: ${key.replace("-", "/")} / [REDACTED]`,
        false,
      ],
      // usage missing: filled in, so serialised again
      [JSON.stringify({ ...ANSWER, usage: undefined }, null, 2), "hi", false],
    ];
    for (const [text, content, asSent] of answers) {
      fake.handle((_req, res) => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(text);
      });
      const res = await chat(`${platform.url}/v1`, {
        model: "gpt-4o",
        messages: [{ role: "user", content: "x" }],
      });
      assert.equal(res.status, 200, res.text);
      assert.ok(!res.text.includes(key) && !res.text.includes(`\\u0073${key.slice(1)}`), res.text);
      assert.equal(res.json.choices[0].message.content, content);
      assert.equal(res.text.includes("\n"), asSent, "the provider's own text");
      const sent = JSON.parse(text);
      assert.deepEqual(
        { ...res.json, choices: undefined, usage: undefined },
        { ...sent, choices: undefined, usage: undefined },
      );
      assert.equal(res.json.usage.prompt_tokens > 0, true);
    }
  });

  it("counts LLM_CALL events appended by anyone in a run's running totals", async () => {
    fake.handle((_req, res) => sendJson(res, 200, ANSWER));
    const agent = await addAgent(platform, "tallied", [{ role: "default", model: "gpt-4o-mini" }]);
    const run = (await platform.call("POST", "/runs", { agent_id: "tallied", user_id: "u1" })).json as {
      id: string;
    };
    const headers = { "X-Run-ID": run.id };
    const hello = [{ role: "user", content: "hi" }];
    assert.equal((await chat(agent.gateway, { model: "gpt-4o-mini", messages: hello }, headers)).status, 200);
    await platform.store.appendEvent("default", run.id, { type: "TOOL_REQUEST", data: {} });
    await platform.store.appendEvent("default", run.id, {
      type: "LLM_CALL",
      data: { prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.000001 },
    });
    assert.equal((await chat(agent.gateway, { model: "gpt-4o-mini", messages: hello }, headers)).status, 200);
    const events = (await platform.call("GET", `/runs/${run.id}/events`)).json as Record<string, any>[];
    assert.deepEqual(
      events.filter((e) => e.type === "LLM_CALL").map((e) => e.data.run_totals),
      [
        { llm_calls: 1, prompt_tokens: 1000, completion_tokens: 500, cost_usd: 0.00045 },
        undefined,
        { llm_calls: 3, prompt_tokens: 2010, completion_tokens: 1005, cost_usd: 0.000901 },
      ],
    );
  });
});

describe("budgets count spend recorded but not written yet", () => {
  let dir: string;
  let store: Store;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "runagents-pending-spend-"));
    store = openStore({ ...loadPlatformConfig([], {}), dataDir: dir });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses the next call as soon as a call's spend reaches the budget, before it is stored", async () => {
    const configs = [
      { role: "default", model_provider: "", provider: "openai", model: "gpt-4o", monthly_budget_usd: 0.01 },
    ];
    const call = { agent: "spender", model: "gpt-4o", configs, providers: ["llm"] };
    const usage = { agent: "spender", model: "gpt-4o", modelProvider: "llm", provider: "openai" };
    await recordModelUsage(store, "ws", { ...usage, inputTokens: 0, outputTokens: 0, costUsd: 0.006 });
    await checkBudget(store, "ws", call);
    addModelUsage(store, "ws", { ...usage, inputTokens: 10, outputTokens: 5, costUsd: 0.004 });
    const name = usageKey("spender", "llm", "gpt-4o", monthPeriod().key);
    assert.equal((await store.getResource("ws", "model_usage", name))?.doc.requests, 1, "not stored yet");
    await assert.rejects(checkBudget(store, "ws", call), (err: unknown) => {
      assert.ok(err instanceof HttpError);
      assert.equal(err.status, 429);
      assert.equal(err.code, BUDGET_EXCEEDED);
      assert.match(err.message, /has spent an estimated \$0\.01 of its \$0\.01 budget/);
      return true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    const stored = (await store.getResource("ws", "model_usage", name))?.doc;
    assert.deepEqual([stored?.requests, stored?.input_tokens, stored?.estimated_spend_usd], [2, 10, 0.01]);
  });
});
