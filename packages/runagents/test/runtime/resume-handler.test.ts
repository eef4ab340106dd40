import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { Agent, type HandlerRequest, type RunContext } from "../../src/agent/index.js";
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
  fake.checkpoints.clear();
});

describe("user handler pause and resume", () => {
  const seen: Array<{ request: HandlerRequest; ctx: RunContext }> = [];
  async function crmHandler(request: HandlerRequest, ctx: RunContext) {
    seen.push({ request, ctx });
    if (!request.resume) {
      return {
        response: "Waiting for approval.",
        approval_required: { action_id: "act-1" },
        resume: { draft: "follow-up" },
      };
    }
    const res = await fetch(`${ctx.tools.crm}/notes`, {
      method: "POST",
      body: JSON.stringify({ note: request.resume.state.draft }),
    });
    return `saved: ${await res.text()}`;
  }

  async function pauseHandler(invokeHeaders: Record<string, string>) {
    seen.length = 0;
    fake.tool("crm", () => ({ body: { id: 1 } }));
    const runtime = await startRuntime(fake, {
      env: { TOOL_URL_CRM: fake.toolUrl("crm") },
      handler: crmHandler,
    });
    const paused = await post(
      `${runtime.url}/invoke`,
      { message: "log a note", history: [{ role: "user", content: "hi" }] },
      invokeHeaders,
    );
    return { runtime, paused: (await paused.json()) as Record<string, unknown> };
  }

  test("a returned pause is checkpointed with the handler's resume state", async () => {
    const { runtime, paused } = await pauseHandler({
      "X-Run-ID": "run-u",
      "X-End-User-Id": "alice@example.com",
      "X-Request-Id": "req-u",
    });
    await runtime.close();
    assert.equal(paused.response, "Waiting for approval.");
    assert.deepEqual(paused.approval_required, { action_id: "act-1" });
    const checkpoint = fake.checkpoints.get("run-u/act-1") as Record<string, unknown>;
    assert.equal(checkpoint.resume_mode, "user_handler");
    assert.deepEqual(checkpoint.resume_state, { draft: "follow-up" });
    assert.deepEqual(checkpoint.pending_calls, []);
    assert.deepEqual(checkpoint.user_request, {
      message: "log a note",
      history: [{ role: "user", content: "hi" }],
      request_id: "req-u",
      run_id: "run-u",
      user_id: "alice@example.com",
    });
  });

  test("resume re-invokes the handler with request.resume, and its calls carry X-Action-ID", async () => {
    const { runtime } = await pauseHandler({ "X-Run-ID": "run-u", "X-End-User-Id": "alice@example.com" });
    const response = await post(
      `${runtime.url}/resume/act-1`,
      {},
      { "X-Run-ID": "run-u", "X-Request-Id": "req-2" },
    );
    const body = (await response.json()) as Record<string, unknown>;
    await runtime.close();
    assert.equal(response.status, 200);
    assert.equal(body.response, 'saved: {"id":1}');
    const resumed = seen[1];
    assert.deepEqual(resumed?.request.resume, {
      action_id: "act-1",
      state: { draft: "follow-up" },
      approved: true,
    });
    assert.equal(resumed?.request.message, "log a note");
    assert.equal(resumed?.request.request_id, "req-2");
    assert.equal(resumed?.request.run_id, "run-u");
    assert.equal(resumed?.request.user_id, "alice@example.com");
    assert.equal(resumed?.ctx.session.actionId, "act-1");
    assert.equal(resumed?.ctx.session.resume?.state.draft, "follow-up");
    const [call] = fake.to("/tools/crm");
    assert.equal(call?.headers["x-action-id"], "act-1");
    assert.equal(call?.headers["x-end-user-id"], "alice@example.com");
    assert.equal(call?.body, '{"note":"follow-up"}');
  });

  test("the end user on resume is the header, else the body's user_id, else the checkpoint's", async () => {
    const { runtime } = await pauseHandler({ "X-Run-ID": "run-u", "X-End-User-Id": "alice@example.com" });
    await post(`${runtime.url}/resume/act-1`, { user_id: "bob" }, { "X-Run-ID": "run-u" });
    await post(
      `${runtime.url}/resume/act-1`,
      { user_id: "bob" },
      { "X-Run-ID": "run-u", "X-End-User-Id": "carol" },
    );
    await runtime.close();
    assert.deepEqual(
      seen.slice(1).map((s) => s.request.user_id),
      ["bob", "carol"],
    );
  });

  test("a streamed user-handler pause emits content, approval_required, done", async () => {
    const { runtime } = await pauseHandler({ "X-Run-ID": "run-u" });
    const events = await readEvents(
      await post(`${runtime.url}/invoke/stream`, { message: "again" }, { "X-Run-ID": "run-u" }),
    );
    await runtime.close();
    assert.deepEqual(eventTypes(events), ["content", "approval_required", "done", "[DONE]"]);
    assert.deepEqual(events[1], { type: "approval_required", detail: { action_id: "act-1" } });
  });

  test("ConsentRequired from Agent.callTool becomes a consent payload and a consent checkpoint", async () => {
    fake.tool("email", () => ({
      status: 403,
      body: {
        code: "CONSENT_REQUIRED",
        message: "Connect Gmail.",
        authorization_url: "https://example.com/oauth",
        resume_id: "res-5",
      },
    }));
    const env = { TOOL_URL_EMAIL: fake.toolUrl("email") };
    const runtime = await startRuntime(fake, {
      env,
      handler: async (request: HandlerRequest) => {
        if (request.resume) return { response: `consented=${request.resume.consented}` };
        await new Agent({ env }).callTool({ name: "email", path: "/messages", method: "GET" });
        return "unreachable";
      },
    });
    const paused = (await (
      await post(`${runtime.url}/invoke`, { message: "mail" }, { "X-Run-ID": "run-e" })
    ).json()) as Record<string, unknown>;
    const resumed = (await (
      await post(`${runtime.url}/resume/res-5`, {}, { "X-Run-ID": "run-e" })
    ).json()) as Record<string, unknown>;
    await runtime.close();
    assert.equal(paused.code, "CONSENT_REQUIRED");
    assert.equal(paused.tool, "email");
    assert.equal(paused.response, "Connect Gmail. https://example.com/oauth");
    assert.equal(paused.resume_id, "res-5");
    assert.deepEqual((fake.checkpoints.get("run-e/res-5") as Record<string, unknown>).resume_state, {
      _runagents_resume_kind: "consent",
    });
    assert.equal(resumed.response, "consented=true");
  });
});

describe("interrupt promotion", () => {
  const consent = {
    code: "CONSENT_REQUIRED",
    message: "User must grant OAuth consent",
    authorization_url: "https://example.com/oauth",
    resume_id: "resume-1",
  };

  async function promoted(toolReply: { status: number; body: unknown }) {
    fake.tool("email", () => toolReply);
    const runtime = await startRuntime(fake, {
      env: { TOOL_URL_EMAIL: fake.toolUrl("email") },
      handler: async (_request: HandlerRequest, ctx: RunContext) => {
        const res = await fetch(`${ctx.tools.email}/messages`);
        await res.text();
        return { response: "I hit a Gmail permissions issue." };
      },
    });
    const body = (await (
      await post(`${runtime.url}/invoke`, { message: "mail" }, { "X-Run-ID": "run-p" })
    ).json()) as Record<string, unknown>;
    await runtime.close();
    return body;
  }

  test("a traced 403 consent the handler swallowed still pauses the run", async () => {
    const body = await promoted({ status: 403, body: consent });
    assert.equal(body.code, "CONSENT_REQUIRED");
    assert.equal(body.authorization_url, "https://example.com/oauth");
    assert.equal(body.resume_id, "resume-1");
    assert.equal(body.tool, "email");
    assert.equal(body.response, "User must grant OAuth consent https://example.com/oauth");
    assert.ok(fake.checkpoints.has("run-p/resume-1"));
  });

  test("a consent nested in an {error, detail} result is promoted too", async () => {
    const body = await promoted({
      status: 502,
      body: { error: "HTTP 403", detail: JSON.stringify(consent) },
    });
    assert.equal(body.code, "CONSENT_REQUIRED");
    assert.equal(body.resume_id, "resume-1");
    assert.equal(body.response, "User must grant OAuth consent https://example.com/oauth");
  });
});
