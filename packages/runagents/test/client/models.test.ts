import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { clientFor, serve } from "../helpers/recording-server.js";

const PROVIDER = {
  name: "playground-llm",
  spec: { provider: "openai", endpoint: "https://api.openai.com/v1", models: ["gpt-4o-mini"] },
  status: { phase: "Available", message: "" },
};
const FLAT_PROVIDER = {
  name: "playground-llm",
  provider: "openai",
  endpoint: "https://api.openai.com/v1",
  models: ["gpt-4o-mini"],
  status: "Available",
};
const PARSED = {
  name: "playground-llm",
  namespace: "",
  provider: "openai",
  models: ["gpt-4o-mini"],
  status: "Available",
  endpoint: "https://api.openai.com/v1",
};

describe("models", () => {
  test("list reads GET /model-providers in either shape; get reads one", async (t) => {
    const server = await serve(t);
    server.reply({ json: [PROVIDER, FLAT_PROVIDER] }, { json: PROVIDER });
    const client = clientFor(server);
    assert.deepEqual(await client.models.list(), [PARSED, PARSED]);
    assert.deepEqual(await client.models.get("playground-llm"), PARSED);
    assert.deepEqual(server.calls(), [
      "GET /api/v1/model-providers",
      "GET /api/v1/model-providers/playground-llm",
    ]);
  });

  test("create posts {name, spec} from flat fields, with an apiKey as credentials", async (t) => {
    const server = await serve(t);
    const client = clientFor(server);
    await client.models.create({ name: "oa", provider: "openai", models: ["gpt-4o"], apiKey: "sk-1" });
    await client.models.create({
      name: "local",
      provider: "ollama",
      models: ["llama3"],
      endpoint: "http://o:11434",
    });
    await client.models.create({
      name: "raw",
      spec: { provider: "anthropic", models: ["claude"], rateLimit: {} },
    });
    assert.deepEqual(server.calls(), [
      "POST /api/v1/model-providers",
      "POST /api/v1/model-providers",
      "POST /api/v1/model-providers",
    ]);
    assert.deepEqual(
      server.requests.map((r) => r.json),
      [
        { name: "oa", spec: { provider: "openai", models: ["gpt-4o"] }, credentials: { api_key: "sk-1" } },
        { name: "local", spec: { provider: "ollama", models: ["llama3"], endpoint: "http://o:11434" } },
        { name: "raw", spec: { provider: "anthropic", models: ["claude"], rateLimit: {} } },
      ],
    );
  });

  test("delete sends DELETE /model-providers/{name}", async (t) => {
    const server = await serve(t);
    server.reply({ json: { status: "deleted" } });
    assert.deepEqual(await clientFor(server).models.delete("oa"), { status: "deleted" });
    assert.equal(server.only().url, "/api/v1/model-providers/oa");
  });

  test("modelSpend.get parses GET /model-spend", async (t) => {
    const server = await serve(t);
    const row = {
      agent_name: "bot",
      agent_namespace: "default",
      label: "default",
      role: "default",
      model_provider: "pg",
      provider: "openai",
      model: "gpt",
      monthly_budget_usd: 10,
      estimated_spend_usd: 8.5,
      remaining_budget_usd: 1.5,
      period_start: "2026-01-01T00:00:00Z",
      period_end: "2026-02-01T00:00:00Z",
      status: "Near budget",
    };
    server.reply({
      json: {
        summary: { total_estimated_spend_usd: 8.5, budgeted_model_count: 1, near_budget_count: 1 },
        warnings: [row],
        top_models: [row],
      },
    });
    const spend = await clientFor(server).modelSpend.get();
    assert.equal(server.only().url, "/api/v1/model-spend");
    assert.equal(spend.summary.totalEstimatedSpendUsd, 8.5);
    assert.equal(spend.summary.totalBudgetUsd, 0);
    assert.equal(spend.summary.nearBudgetCount, 1);
    assert.deepEqual(spend.warnings[0], {
      agentName: "bot",
      agentNamespace: "default",
      label: "default",
      role: "default",
      modelProvider: "pg",
      provider: "openai",
      model: "gpt",
      monthlyBudgetUsd: 10,
      estimatedSpendUsd: 8.5,
      remainingBudgetUsd: 1.5,
      periodStart: "2026-01-01T00:00:00Z",
      periodEnd: "2026-02-01T00:00:00Z",
      status: "Near budget",
    });
    assert.equal(spend.topModels.length, 1);
  });
});
