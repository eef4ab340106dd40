import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { eventTypes, FakePlatform, freePort, post, readEvents } from "./fake-platform.js";
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

const defs = JSON.stringify([
  { type: "function", function: { name: "calc__add" } },
  { type: "function", function: { name: "calc__mul" } },
]);
const routes = JSON.stringify({ calc__mul: { tool: "calc", method: "POST", path: "/mul" } });

/** The calc tool needs approval act-9 for /add, unless the call carries X-Action-ID act-9. */
function approvalTool(): void {
  fake.tool("calc", (req) => {
    if (req.path.endsWith("/mul")) return { body: { product: 6 } };
    if (req.headers["x-action-id"] === "act-9") return { body: { sum: 5 } };
    return {
      status: 403,
      body: { code: "APPROVAL_REQUIRED", action_id: "act-9", message: "Adding needs approval." },
    };
  });
}

async function pauseTierOne() {
  approvalTool();
  const runtime = await startRuntime(fake, {
    env: { TOOL_DEFINITIONS_JSON: defs, TOOL_ROUTES_JSON: routes, TOOL_URL_CALC: fake.toolUrl("calc") },
  });
  fake.llmReplies.push({
    tool_calls: [
      { id: "c1", name: "calc__add", arguments: '{"a":2,"b":3}' },
      { id: "c2", name: "calc__mul", arguments: '{"a":2,"b":3}' },
    ],
  });
  const response = await post(
    `${runtime.url}/invoke`,
    { message: "add and multiply" },
    { "X-Run-ID": "run-1" },
  );
  return { runtime, response, body: (await response.json()) as Record<string, unknown> };
}

describe("built-in loop pause and resume", () => {
  test("an approval at the first of two calls checkpoints both calls and the conversation", async () => {
    const { runtime, response, body } = await pauseTierOne();
    await runtime.close();
    assert.equal(response.status, 200);
    assert.equal(body.response, "Adding needs approval.");
    assert.deepEqual(body.approval_required, {
      code: "APPROVAL_REQUIRED",
      action_id: "act-9",
      message: "Adding needs approval.",
      tool: "calc",
    });
    assert.deepEqual(body.tool_calls_made, []);
    const checkpoint = fake.checkpoints.get("run-1/act-9") as Record<string, unknown>;
    const pending = checkpoint.pending_calls as Array<Record<string, unknown>>;
    assert.deepEqual(
      pending.map((p) => [p.tool_call_id, p.function_name, p.method, p.url, p.arguments]),
      [
        ["c1", "calc__add", "POST", `${fake.toolUrl("calc")}/`, '{"a":2,"b":3}'],
        ["c2", "calc__mul", "POST", `${fake.toolUrl("calc")}/mul`, '{"a":2,"b":3}'],
      ],
    );
    const messages = checkpoint.messages as Array<Record<string, unknown>>;
    assert.deepEqual(
      messages.map((m) => m.role),
      ["system", "user", "assistant"],
    );
    assert.equal((messages[2]?.tool_calls as unknown[] | undefined)?.length, 2);
    assert.equal(checkpoint.model, "agent-model");
    assert.equal(checkpoint.resume_mode, undefined);
  });

  test("/resume/{id}/stream replays the pending calls with X-Action-ID, then the model answers", async () => {
    const { runtime } = await pauseTierOne();
    fake.requests.length = 0;
    fake.llmReplies.push({ content: "Sum 5, product 6.", chunks: ["Sum 5, ", "product 6."] });
    const response = await post(`${runtime.url}/resume/act-9/stream`, {}, { "X-Run-ID": "run-1" });
    const events = await readEvents(response);
    await runtime.close();
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    assert.deepEqual(eventTypes(events), [
      "tool_call",
      "tool_result",
      "tool_call",
      "tool_result",
      "content",
      "content",
      "done",
      "[DONE]",
    ]);
    assert.deepEqual(events[0], { type: "tool_call", tool: "calc__add", arguments: '{"a":2,"b":3}' });
    assert.deepEqual(events[1], { type: "tool_result", tool: "calc__add", result: '{"sum":5}' });
    const replays = fake.to("/tools/calc");
    assert.deepEqual(
      replays.map((r) => [
        r.headers["x-action-id"],
        r.headers["x-tool-turn"],
        r.headers["x-tool-call-id"],
        r.body,
      ]),
      [
        ["act-9", "0", "c1", '{"a":2,"b":3}'],
        ["act-9", "1", "c2", '{"a":2,"b":3}'],
      ],
    );
    const done = events.at(-2) as Record<string, unknown>;
    assert.equal(done.model, "test-model");
    assert.equal((done.tool_calls_made as unknown[]).length, 2);
    const continued = JSON.parse(fake.to("/v1/chat/completions")[0]?.body ?? "") as {
      messages: Array<Record<string, unknown>>;
    };
    assert.deepEqual(
      continued.messages.slice(-2).map((m) => [m.role, m.tool_call_id, m.content]),
      [
        ["tool", "c1", '{"sum":5}'],
        ["tool", "c2", '{"product":6}'],
      ],
    );
  });

  test("a synchronous resume answers with the continuation and every call made", async () => {
    const { runtime } = await pauseTierOne();
    fake.llmReplies.push({ content: "All done." });
    const response = await post(
      `${runtime.url}/resume/act-9`,
      { run_id: "run-1" },
      { "X-Request-Id": "req-r" },
    );
    const body = (await response.json()) as Record<string, unknown>;
    await runtime.close();
    assert.equal(response.status, 200);
    assert.equal(body.response, "All done.");
    assert.equal(body.request_id, "req-r");
    assert.deepEqual(body.tool_calls_made, [
      { function: "calc__add", method: "POST", url: `${fake.toolUrl("calc")}/` },
      { function: "calc__mul", method: "POST", url: `${fake.toolUrl("calc")}/mul` },
    ]);
  });

  test("a second approval during the replay checkpoints the remaining calls under the new id", async () => {
    const { runtime } = await pauseTierOne();
    fake.tool("calc", () => ({ status: 403, body: { code: "APPROVAL_REQUIRED", action_id: "act-10" } }));
    const response = await post(`${runtime.url}/resume/act-9`, {}, { "X-Run-ID": "run-1" });
    const body = (await response.json()) as Record<string, unknown>;
    await runtime.close();
    assert.equal(response.status, 200);
    assert.equal(body.response, "Tool 'calc__add' requires another approval.");
    assert.equal((body.approval_required as Record<string, unknown>).action_id, "act-10");
    const next = fake.checkpoints.get("run-1/act-10") as Record<string, unknown>;
    assert.equal((next.pending_calls as unknown[]).length, 2);
  });
});

describe("checkpoints hold no agent token", () => {
  const OLD = "ra_agt_OLDoldOLDoldOLDoldOLDoldOLDold00";
  const NEW = "ra_agt_NEWnewNEWnewNEWnewNEWnewNEWnew11";

  test("a pause checkpoints tool paths, not capability URLs, and a resume replays to the tool's current URL", async () => {
    approvalTool();
    const env = (token: string) => ({
      TOOL_DEFINITIONS_JSON: defs,
      TOOL_ROUTES_JSON: routes,
      TOOL_URL_CALC: `${fake.toolUrl("calc")}/${token}`,
    });
    const paused = await startRuntime(fake, { env: env(OLD) });
    fake.llmReplies.push({
      tool_calls: [
        { id: "c1", name: "calc__add", arguments: '{"a":2,"b":3}' },
        { id: "c2", name: "calc__mul", arguments: '{"a":2,"b":3}' },
      ],
    });
    // A token elsewhere (here: pasted into the conversation) is hidden too.
    const message = `add and multiply, see ${fake.toolUrl("calc")}/${OLD}`;
    await (await post(`${paused.url}/invoke`, { message }, { "X-Run-ID": "run-1" })).json();
    await paused.close();
    const checkpoint = fake.checkpoints.get("run-1/act-9") as Record<string, unknown>;
    assert.doesNotMatch(JSON.stringify(checkpoint), /ra_agt_/);
    const pending = checkpoint.pending_calls as Array<Record<string, unknown>>;
    assert.deepEqual(
      pending.map((p) => [p.path, p.url]),
      [
        ["/", `${fake.toolUrl("calc")}/[token]/`],
        ["/mul", `${fake.toolUrl("calc")}/[token]/mul`],
      ],
    );

    // The token changed meanwhile (a platform restart issues a new one).
    const resumed = await startRuntime(fake, { env: env(NEW) });
    fake.requests.length = 0;
    fake.llmReplies.push({ content: "All done." });
    const response = await post(`${resumed.url}/resume/act-9`, {}, { "X-Run-ID": "run-1" });
    const body = (await response.json()) as Record<string, unknown>;
    await resumed.close();
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.deepEqual(
      fake.to("/tools/calc").map((r) => r.path),
      [`/tools/calc/${NEW}/`, `/tools/calc/${NEW}/mul`],
    );
  });
});

describe("resume failures are answered, never dropped", () => {
  test("no run id is a 400", async () => {
    const runtime = await startRuntime(fake);
    const response = await post(`${runtime.url}/resume/act-1`, "not json");
    const body = await response.json();
    await runtime.close();
    assert.equal(response.status, 400);
    assert.equal((body as Record<string, unknown>).error, "X-Run-ID header or run_id in body is required");
  });

  test("a missing checkpoint is a 404", async () => {
    const runtime = await startRuntime(fake);
    const response = await post(`${runtime.url}/resume/nope`, {}, { "X-Run-ID": "run-x" });
    const body = (await response.json()) as Record<string, unknown>;
    await runtime.close();
    assert.equal(response.status, 404);
    assert.equal(body.error, "checkpoint for action nope not found");
  });

  test("a gateway failure in the continuation is a 502, or an error event when streaming", async () => {
    const { runtime } = await pauseTierOne();
    fake.llmReplies.push({ status: 503, errorBody: "overloaded" });
    const sync = await post(`${runtime.url}/resume/act-9`, {}, { "X-Run-ID": "run-1" });
    assert.equal(sync.status, 502);
    assert.equal(((await sync.json()) as Record<string, unknown>).error, "LLM Gateway returned 503");
    fake.llmReplies.push({ status: 503, errorBody: "overloaded" });
    const stream = await post(`${runtime.url}/resume/act-9/stream`, {}, { "X-Run-ID": "run-1" });
    const events = await readEvents(stream);
    await runtime.close();
    assert.deepEqual(eventTypes(events).slice(-2), ["error", "[DONE]"]);
    assert.deepEqual(events.at(-2), { type: "error", message: "LLM Gateway returned 503" });
  });

  test("an unreachable tool during the replay is a 502 naming it", async () => {
    const { runtime } = await pauseTierOne();
    const checkpoint = fake.checkpoints.get("run-1/act-9") as {
      pending_calls: Array<{ url: string; path?: string }>;
    };
    const port = await freePort();
    // Written by an older runtime (no `path`): the stored URL is replayed.
    for (const call of checkpoint.pending_calls) {
      call.url = `http://127.0.0.1:${port}/add`;
      delete call.path;
    }
    const response = await post(`${runtime.url}/resume/act-9`, {}, { "X-Run-ID": "run-1" });
    const body = (await response.json()) as Record<string, unknown>;
    await runtime.close();
    assert.equal(response.status, 502);
    assert.match(
      String(body.error),
      /^Tool call failed on resume: Tool 'calc' unreachable: connect ECONNREFUSED/,
    );
  });

  test("a user-handler checkpoint on an agent without a handler is a 409", async () => {
    fake.checkpoints.set("run-h/act-h", { action_id: "act-h", resume_mode: "user_handler", messages: [] });
    const runtime = await startRuntime(fake);
    const response = await post(`${runtime.url}/resume/act-h`, {}, { "X-Run-ID": "run-h" });
    await runtime.close();
    assert.equal(response.status, 409);
  });
});
