import assert from "node:assert/strict";
import http, { request as namedRequest } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { Agent, type HandlerRequest, type RunContext } from "../../src/agent/index.js";
import { UnboundOutboundURL } from "../../src/runtime/index.js";
import {
  createOutboundPolicy,
  isExternalUrl,
  resolveOutboundUrl,
  rewriteUrl,
} from "../../src/runtime/outbound.js";
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

async function invokeWith(
  env: Record<string, string>,
  handler: (...args: never[]) => unknown,
  headers: Record<string, string> = {},
) {
  const runtime = await startRuntime(fake, { env, handler });
  try {
    const response = await post(`${runtime.url}/invoke`, { message: "go" }, headers);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } finally {
    await runtime.close();
  }
}

const ids = { "X-Run-ID": "run-1", "X-Request-Id": "req-1", "X-End-User-Id": "alice@example.com" };

describe("tracing a handler's tool calls", () => {
  test("Agent.callTool is traced once, reported once, and carries identity and tool headers", async () => {
    fake.tool("calendar", () => ({ body: { events: ["standup"] } }));
    const env = { TOOL_URL_CALENDAR: fake.toolUrl("calendar") };
    const result = await invokeWith(
      env,
      async () => ({
        response: JSON.stringify(
          await new Agent({ env }).callTool({ name: "calendar", payload: { query: "today" } }),
        ),
      }),
      ids,
    );
    assert.equal(result.body.response, '{"events":["standup"]}');
    const made = result.body.tool_calls_made as Array<Record<string, unknown>>;
    assert.equal(made.length, 1);
    assert.deepEqual(made[0], {
      function: "calendar",
      tool: "calendar",
      method: "POST",
      url: `${fake.toolUrl("calendar")}/`,
      status_code: 200,
      source: "agent_sdk",
      arguments: '{"query":"today"}',
      result: '{"events":["standup"]}',
    });
    const [call] = fake.to("/tools/calendar");
    assert.equal(call?.headers["x-run-id"], "run-1");
    assert.equal(call?.headers["x-request-id"], "req-1");
    assert.equal(call?.headers["x-end-user-id"], "alice@example.com");
    assert.equal(call?.headers["x-tool-name"], "calendar");
    assert.equal(call?.headers["x-tool-function"], "calendar");
    assert.match(String(call?.headers["x-tool-call-id"]), /^user-call-1-[0-9a-f]{8}$/);
    const reports = await fake.waitFor("/gov/runs/run-1/tool-result");
    assert.equal(reports.length, 1);
    const report = JSON.parse(reports[0]?.body ?? "") as Record<string, unknown>;
    assert.equal(report.tool_id, "calendar");
    assert.equal(report.function_name, "calendar");
    assert.equal(report.turn, 0);
  });

  test("a raw fetch to a tool URL is traced with the exact response body", async () => {
    fake.tool("knowledge-base", () => ({ body: { hits: ["risk register"] } }));
    const result = await invokeWith(
      { TOOL_URL_KNOWLEDGE_BASE: fake.toolUrl("knowledge-base") },
      async (_request: HandlerRequest, ctx: RunContext) => {
        const res = await fetch(`${ctx.tools["knowledge-base"]}/search`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: "risks" }),
        });
        return (await res.json()) as Record<string, unknown>;
      },
      ids,
    );
    const [made] = result.body.tool_calls_made as Array<Record<string, unknown>>;
    assert.equal(made?.tool, "knowledge-base");
    assert.equal(made?.function, "knowledge-base__post");
    assert.equal(made?.source, "fetch");
    assert.equal(made?.arguments, '{"query":"risks"}');
    assert.equal(made?.result, '{"hits":["risk register"]}');
    const [call] = fake.to("/tools/knowledge-base");
    assert.equal(call?.headers["x-tool-turn"], "1");
    assert.equal(call?.headers["x-tool-name"], "knowledge-base");
    assert.equal(call?.headers["content-type"], "application/json");
    const [report] = await fake.waitFor("/gov/runs/run-1/tool-result");
    assert.equal(JSON.parse(report?.body ?? "").result, '{"hits":["risk register"]}');
  });

  test("a fetch of a Request object is traced and keeps its method, headers and body", async () => {
    fake.tool("notes", (req) => ({ body: { got: req.body, auth: req.headers.authorization ?? null } }));
    const result = await invokeWith(
      { TOOL_URL_NOTES: fake.toolUrl("notes") },
      async (_request: HandlerRequest, ctx: RunContext) => {
        const request = new Request(`${ctx.tools.notes}/n`, {
          method: "PATCH",
          headers: { Authorization: "Bearer user-token" },
          body: "note body",
        });
        return (await fetch(request)).json();
      },
      ids,
    );
    assert.deepEqual([result.body.got, result.body.auth], ["note body", "Bearer user-token"]);
    const [made] = result.body.tool_calls_made as Array<Record<string, unknown>>;
    assert.deepEqual([made?.function, made?.arguments], ["notes__patch", "note body"]);
    assert.equal(fake.to("/tools/notes")[0]?.headers["x-run-id"], "run-1");
  });

  test("node:http calls (default and named imports) are traced with body and result", async () => {
    fake.tool("crm", (req) => ({ body: { got: req.body } }));
    const send = (fn: typeof http.request, url: string, body: string) =>
      new Promise<string>((resolve, reject) => {
        const req = fn(url, { method: "PUT" }, (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        req.write(body.slice(0, 2));
        req.end(body.slice(2));
      });
    const result = await invokeWith(
      { TOOL_URL_CRM: fake.toolUrl("crm") },
      async (_request: HandlerRequest, ctx: RunContext) => {
        const a = await send(http.request, `${ctx.tools.crm}/a`, "first");
        const b = await send(namedRequest, `${ctx.tools.crm}/b`, "second");
        return `${a} ${b}`;
      },
      ids,
    );
    assert.equal(result.body.response, '{"got":"first"} {"got":"second"}');
    const made = result.body.tool_calls_made as Array<Record<string, unknown>>;
    assert.deepEqual(
      made.map((m) => [m.function, m.method, m.source, m.status_code, m.arguments, m.result]),
      [
        ["crm__put", "PUT", "http", 200, "first", '{"got":"first"}'],
        ["crm__put", "PUT", "http", 200, "second", '{"got":"second"}'],
      ],
    );
    const calls = fake.to("/tools/crm");
    assert.deepEqual(
      calls.map((c) => [c.headers["x-run-id"], c.headers["x-end-user-id"], c.headers["x-tool-turn"]]),
      [
        ["run-1", "alice@example.com", "1"],
        ["run-1", "alice@example.com", "2"],
      ],
    );
  });

  test("identity headers are not sent to hosts that are not tools, the gateway or governance", async () => {
    await invokeWith(
      {},
      async () => {
        await (await fetch(`${other.url}/tools/x`)).text();
        return "ok";
      },
      ids,
    );
    const [call] = other.requests;
    assert.equal(call?.headers["x-end-user-id"], undefined);
    assert.equal(call?.headers["x-run-id"], undefined);
  });

  test("a resumed handler's tool call carries X-Action-ID", async () => {
    fake.checkpoints.set("run-1/act-1", {
      action_id: "act-1",
      resume_mode: "user_handler",
      user_request: { message: "m", history: [] },
      resume_state: {},
    });
    const env = { TOOL_URL_CALENDAR: fake.toolUrl("calendar") };
    const runtime = await startRuntime(fake, {
      env,
      handler: async () => new Agent({ env }).callTool({ name: "calendar", payload: { q: 1 } }),
    });
    await post(`${runtime.url}/resume/act-1`, {}, { "X-Run-ID": "run-1" });
    await runtime.close();
    assert.equal(fake.to("/tools/calendar")[0]?.headers["x-action-id"], "act-1");
  });
});

describe("URL rewrites and strict outbound mode", () => {
  const policy = (rewrites: Record<string, string>, strict: boolean) =>
    createOutboundPolicy({
      rewrites,
      outboundMode: strict ? "strict" : "direct",
      toolUrls: {},
      llmBaseUrl: "http://gw/v1",
      governanceUrl: "http://gov",
    });

  test("strict mode refuses an external URL with no rewrite", () => {
    assert.throws(
      () => resolveOutboundUrl("https://api.stripe.com/v1/charges", policy({}, true)),
      (error: unknown) => {
        assert.ok(error instanceof UnboundOutboundURL);
        assert.equal(
          error.message,
          "Outbound URL 'https://api.stripe.com/v1/charges' is not bound to a managed tool",
        );
        return true;
      },
    );
  });

  test("strict mode lets in-cluster URLs through unchanged", () => {
    const url = "http://calendar.default.svc.cluster.local/events";
    assert.equal(resolveOutboundUrl(url, policy({}, true)), url);
  });

  test("strict mode plus a rewrite routes a placeholder URL to the managed tool", () => {
    const target = "http://istio-egressgateway.istio-system.svc.cluster.local/runagents-tools/default/stripe";
    assert.equal(
      resolveOutboundUrl(
        "https://api.stripe.com/v1/charges",
        policy({ "https://api.stripe.com": target }, true),
      ),
      `${target}/v1/charges`,
    );
  });

  test("rewrites try the longest placeholder first and avoid doubling a suffix", () => {
    const p = policy(
      { "https://api.x.com": "http://t/x", "https://api.x.com/v2": "http://t/v2-tool/v2/items" },
      false,
    );
    assert.deepEqual(rewriteUrl("https://api.x.com/v2/items", p), {
      url: "http://t/v2-tool/v2/items",
      rewritten: true,
    });
    assert.deepEqual(rewriteUrl("https://api.x.com", p), { url: "http://t/x", rewritten: true });
    assert.deepEqual(rewriteUrl("https://other.com/a", p), { url: "https://other.com/a", rewritten: false });
  });

  test("local, cluster and private hosts are not external; public hosts are", () => {
    for (const url of [
      "http://localhost:1/x",
      "http://127.0.0.1/x",
      "http://[::1]/x",
      "http://10.1.2.3/",
      "http://a.svc/x",
      "ftp://example.com/x",
    ]) {
      assert.equal(isExternalUrl(url), false, url);
    }
    for (const url of ["https://api.stripe.com/x", "http://8.8.8.8/"])
      assert.equal(isExternalUrl(url), true, url);
  });

  test("a handler's fetch is rewritten to the bound tool, traced under its name", async () => {
    fake.tool("stripe", (req) => ({ body: { path: req.path } }));
    const result = await invokeWith(
      {
        TOOL_URL_STRIPE: fake.toolUrl("stripe"),
        TOOL_URL_REWRITES_JSON: JSON.stringify({ "https://api.stripe.com": fake.toolUrl("stripe") }),
        RUNAGENTS_OUTBOUND_MODE: "strict",
      },
      async () => (await fetch("https://api.stripe.com/v1/charges", { method: "POST", body: "{}" })).json(),
      ids,
    );
    assert.deepEqual(result.body.path, "/tools/stripe/v1/charges");
    const [made] = result.body.tool_calls_made as Array<Record<string, unknown>>;
    assert.equal(made?.tool, "stripe");
    assert.equal(fake.to("/tools/stripe")[0]?.headers["x-end-user-id"], "alice@example.com");
  });

  test("a handler's unbound external call in strict mode is a 500 naming the URL", async () => {
    const result = await invokeWith({ RUNAGENTS_OUTBOUND_MODE: "strict" }, async () =>
      fetch("https://api.stripe.com/v1/charges"),
    );
    assert.equal(result.status, 500);
    assert.equal(
      result.body.error,
      "Outbound URL 'https://api.stripe.com/v1/charges' is not bound to a managed tool",
    );
  });
});
