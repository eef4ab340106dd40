import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { monthPeriod, usageKey } from "../../src/gateway/spend.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import {
  addAgent,
  addProvider,
  authenticateOpenGateway,
  chat,
  chatStream,
  type FakeProvider,
  readSse,
  sendJson,
  startFakeProvider,
  startSse,
} from "./fake-provider.js";

const KEY = "sk-spend-test-key-0123456789";
const USAGE = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 };
const hello = [{ role: "user", content: "hello" }];

/** Answers every call with USAGE; streams when asked; fails (echoing the key) for model "broken". */
async function fakeOpenAI(): Promise<FakeProvider> {
  return startFakeProvider((req, res) => {
    if (req.method === "GET") return sendJson(res, 200, { data: [] });
    if (req.body.model === "broken") {
      return sendJson(res, 500, { error: { message: `backend rejected key ${KEY}` } });
    }
    const message = { role: "assistant", content: "ok" };
    if (!req.body.stream) {
      return sendJson(res, 200, {
        id: "c1",
        object: "chat.completion",
        created: 1,
        model: req.body.model,
        choices: [{ index: 0, message, finish_reason: "stop" }],
        usage: USAGE,
      });
    }
    const sse = startSse(res);
    sse.event({
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: req.body.model,
      choices: [{ index: 0, delta: { content: "ok" }, finish_reason: "stop" }],
    });
    sse.event({
      id: "c1",
      object: "chat.completion.chunk",
      created: 1,
      model: req.body.model,
      choices: [],
      usage: USAGE,
    });
    sse.event("[DONE]");
    sse.end();
  });
}

describe("gateway: spend, budgets and run events", () => {
  let platform: TestPlatform;
  let fake: FakeProvider;
  let bot: { token: string; gateway: string };
  let writer: { token: string; gateway: string };

  before(async () => {
    platform = await startTestPlatform();
    authenticateOpenGateway(platform);
    fake = await fakeOpenAI();
    await addProvider(platform, {
      name: "oai",
      spec: { provider: "openai", endpoint: `${fake.url}/v1`, models: ["gpt-4o", "gpt-4o-mini", "broken"] },
      api_key: KEY,
    });
    bot = await addAgent(platform, "bot", [
      { role: "default", model_provider: "", provider: "openai", model: "gpt-4o", monthly_budget_usd: 0.01 },
    ]);
    writer = await addAgent(platform, "writer", [
      {
        role: "default",
        model_provider: "oai",
        provider: "openai",
        model: "gpt-4o-mini",
        monthly_budget_usd: null,
      },
    ]);
  });
  after(async () => {
    await fake.close();
    await platform.destroy();
  });

  it("charges a call made through an agent's token URL to that agent, per model, this month", async () => {
    const res = await chat(bot.gateway, { model: "gpt-4o", messages: hello });
    assert.equal(res.status, 200, res.text);
    const period = monthPeriod(new Date());
    const usage = await platform.store.getResource(
      "default",
      "model_usage",
      usageKey("bot", "oai", "gpt-4o", period.key),
    );
    assert.deepEqual(
      { ...usage?.doc, last_used_at: undefined },
      {
        agent_name: "bot",
        model_provider: "oai",
        provider: "openai",
        model: "gpt-4o",
        period: period.key,
        input_tokens: 1000,
        output_tokens: 500,
        requests: 1,
        estimated_spend_usd: 0.0075,
        last_used_at: undefined,
      },
    );
    const spend = (await platform.call("GET", "/model-spend")).json as Record<string, any>;
    const row = spend.top_models.find((r: any) => r.agent_name === "bot");
    assert.deepEqual(
      [row.model, row.model_provider, row.estimated_spend_usd, row.remaining_budget_usd, row.status],
      ["gpt-4o", "oai", 0.0075, 0.0025, "Active"],
    );
  });

  it("refuses the agent's next call with 429 MODEL_BUDGET_EXCEEDED once its budget is reached", async () => {
    assert.equal((await chat(bot.gateway, { model: "gpt-4o", messages: hello })).status, 200);
    const before = fake.received.length;
    const refused = await chat(bot.gateway, { model: "gpt-4o", messages: hello });
    assert.equal(refused.status, 429);
    const period = monthPeriod(new Date());
    assert.deepEqual(refused.json, {
      error:
        'monthly model budget reached: agent "bot" has spent an estimated $0.015 of its $0.01 budget for model "gpt-4o" this month',
      code: "MODEL_BUDGET_EXCEEDED",
      agent: "bot",
      model: "gpt-4o",
      monthly_budget_usd: 0.01,
      estimated_spend_usd: 0.015,
      period_end: period.end,
    });
    const retryAfter = Number(refused.headers.get("retry-after"));
    const untilNextMonth = (Date.parse(period.end) + 1 - Date.now()) / 1000;
    assert.ok(retryAfter >= 1 && Math.abs(retryAfter - untilNextMonth) < 5, `Retry-After ${retryAfter}`);
    assert.equal(fake.received.length, before, "the refused call never reached the provider");
    const streamed = await chatStream(bot.gateway, { model: "gpt-4o", messages: hello });
    assert.equal(streamed.status, 429);
    // Other models of the agent, and other callers of the model, are not capped by it.
    assert.equal((await chat(bot.gateway, { model: "gpt-4o-mini", messages: hello })).status, 200);
    assert.equal((await chat(`${platform.url}/v1`, { model: "gpt-4o", messages: hello })).status, 200);
    const spend = (await platform.call("GET", "/model-spend")).json as Record<string, any>;
    assert.equal(spend.summary.blocked_count, 1);
    assert.deepEqual(
      spend.warnings.map((w: any) => [w.agent_name, w.model, w.status]),
      [["bot", "gpt-4o", "Budget reached"]],
    );
    assert.ok(
      spend.top_models.some((r: any) => r.agent_name === "_direct" && r.estimated_spend_usd === 0.0075),
    );
  });

  it("records an LLM_CALL event with tokens, cost and a running tally on the caller's run", async () => {
    const run = (await platform.call("POST", "/runs", { agent_id: "writer", user_id: "u1" })).json as {
      id: string;
    };
    const headers = { "X-Run-ID": run.id };
    assert.equal(
      (await chat(writer.gateway, { model: "gpt-4o-mini", messages: hello }, headers)).status,
      200,
    );
    const events = await readSse(
      await chatStream(writer.gateway, { model: "gpt-4o-mini", messages: hello }, headers),
    );
    assert.equal(events.at(-1), "[DONE]");
    // Another agent cannot write to writer's run; an API caller's call counts as the run's agent.
    assert.equal((await chat(bot.gateway, { model: "gpt-4o-mini", messages: hello }, headers)).status, 200);
    assert.equal(
      (await chat(`${platform.url}/v1`, { model: "gpt-4o-mini", messages: hello }, headers)).status,
      200,
    );
    const list = (await platform.call("GET", `/runs/${run.id}/events`)).json as Record<string, any>[];
    const calls = list.filter((e) => e.type === "LLM_CALL");
    const data = (n: number, stream: boolean) => ({
      message: "LLM call to gpt-4o-mini via oai: 1000 prompt + 500 completion tokens, $0.00045",
      model: "gpt-4o-mini",
      provider: "openai",
      model_provider: "oai",
      prompt_tokens: 1000,
      completion_tokens: 500,
      total_tokens: 1500,
      cost_usd: 0.00045,
      usage_estimated: false,
      stream,
      run_totals: {
        llm_calls: n,
        prompt_tokens: 1000 * n,
        completion_tokens: 500 * n,
        cost_usd: Math.round(n * 450) / 1e6,
      },
    });
    assert.deepEqual(
      calls.map((e) => [e.actor, e.data]),
      [
        ["writer", data(1, false)],
        ["writer", data(2, true)],
        ["writer", data(3, false)],
      ],
    );
    const usage = await platform.store.getResource(
      "default",
      "model_usage",
      usageKey("writer", "oai", "gpt-4o-mini", monthPeriod(new Date()).key),
    );
    assert.equal(usage?.doc.requests, 3);
  });

  it("keeps the provider key out of responses, run events, spend and logs", async () => {
    const run = (await platform.call("POST", "/runs", { agent_id: "writer", user_id: "u1" })).json as {
      id: string;
    };
    const res = await chat(writer.gateway, { model: "broken", messages: hello }, { "X-Run-ID": run.id });
    assert.deepEqual(
      [res.status, res.json],
      [
        502,
        {
          error: "provider request failed: backend rejected key [REDACTED]",
          provider: "oai",
          provider_status: 500,
        },
      ],
    );
    const events = await platform.call("GET", `/runs/${run.id}/events`);
    const failed = (events.json as Record<string, any>[]).find((e) => e.type === "LLM_CALL");
    assert.equal(failed?.data.error, "backend rejected key [REDACTED]");
    const everything = [
      res.text,
      events.text,
      (await platform.call("GET", "/model-spend")).text,
      (await platform.call("GET", "/model-providers/oai")).text,
      platform.logs.join("\n"),
    ].join("\n");
    assert.ok(!everything.includes(KEY));
  });
});
