import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadPlatformConfig } from "../../src/config.js";
import { estimateCostUsd, priceFor } from "../../src/gateway/pricing.js";
import {
  type AgentLlmConfig,
  listUsage,
  monthPeriod,
  recordModelUsage,
  resolveModelProvider,
  summarizeSpend,
  usageRows,
} from "../../src/gateway/spend.js";
import { openStore } from "../../src/platform.js";
import type { Store } from "../../src/store/store.js";

const cfg = (model: string, budget: number | null, role = "default"): AgentLlmConfig => ({
  role,
  model_provider: "llm",
  provider: "openai",
  model,
  monthly_budget_usd: budget,
});

describe("model pricing", () => {
  it("prices dated snapshots like their family and prefers the longest family name", () => {
    assert.equal(priceFor("gpt-4o-mini-2024-07-18").input_per_1k, 0.00015);
    assert.equal(priceFor("gpt-4o-2024-08-06").input_per_1k, 0.0025);
    assert.equal(priceFor("claude-3-5-sonnet-20241022").output_per_1k, 0.015);
    assert.equal(priceFor("anthropic.claude-3-haiku-20240307-v1:0").source, "table");
    assert.equal(priceFor("openai/gpt-4o-mini").input_per_1k, 0.00015);
  });

  it("uses the provider's own price first, local providers are free, unknown models pay the fallback", () => {
    const own = priceFor("gpt-4o", { pricing: { "gpt-4o": { input_per_1k: 1, output_per_1k: 2 } } });
    assert.deepEqual(own, { input_per_1k: 1, output_per_1k: 2, source: "provider" });
    assert.equal(priceFor("llama3", { providerType: "ollama" }).source, "free");
    assert.equal(priceFor("mystery-model").source, "fallback");
  });

  it("estimates cost from tokens", () => {
    assert.equal(estimateCostUsd({ input_per_1k: 0.001, output_per_1k: 0.002 }, 2000, 500), 0.003);
  });
});

describe("model usage and spend", () => {
  let dir: string;
  let store: Store;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "runagents-spend-test-"));
    store = openStore({ ...loadPlatformConfig([], {}), dataDir: dir });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("computes the UTC calendar month", () => {
    assert.deepEqual(monthPeriod(new Date("2025-02-14T23:30:00-05:00")), {
      key: "2025-02",
      start: "2025-02-01T00:00:00.000Z",
      end: "2025-02-28T23:59:59.999Z",
    });
    assert.equal(monthPeriod(new Date("2025-12-31T23:59:59Z")).end, "2025-12-31T23:59:59.999Z");
  });

  it("accumulates concurrent recordings without losing any", async () => {
    const at = new Date("2025-03-10T12:00:00Z");
    await Promise.all(
      Array.from({ length: 25 }, () =>
        recordModelUsage(store, "ws", {
          agent: "bot",
          model: "gpt-4o-mini",
          modelProvider: "llm",
          provider: "openai",
          inputTokens: 1000,
          outputTokens: 1000,
          costUsd: 0.04,
          at,
        }),
      ),
    );
    const [usage] = await listUsage(store, "ws", monthPeriod(at), "bot");
    assert.equal(usage?.requests, 25);
    assert.equal(usage?.input_tokens, 25_000);
    assert.equal(usage?.estimated_spend_usd, 1);
    assert.deepEqual(await listUsage(store, "ws", monthPeriod(new Date("2025-04-01T00:00:00Z"))), []);
  });

  it("prices a recording from the table when no cost is given", async () => {
    const at = new Date("2025-05-01T00:00:00Z");
    const doc = await recordModelUsage(store, "ws", {
      agent: "pricer",
      model: "gpt-4o",
      inputTokens: 2000,
      outputTokens: 1000,
      at,
    });
    assert.equal(doc.estimated_spend_usd, 0.015);
  });

  it("derives each row's status from spend against budget (80 % is near)", async () => {
    const period = monthPeriod(new Date("2025-03-10T12:00:00Z"));
    const usage = await listUsage(store, "ws", period);
    const status = (budget: number | null) =>
      usageRows("bot", [cfg("gpt-4o-mini", budget)], usage, period)[0];
    assert.equal(status(null)?.status, "Uncapped");
    assert.equal(status(10)?.status, "Active");
    assert.equal(status(1.25)?.status, "Near budget");
    assert.equal(status(1)?.status, "Budget reached");
    assert.equal(status(0)?.status, "Budget reached");
    assert.equal(status(10)?.remaining_budget_usd, 9);
    assert.equal(status(0.5)?.remaining_budget_usd, 0);
    assert.equal(status(null)?.remaining_budget_usd, null);
    assert.equal(status(10)?.period_start, "2025-03-01T00:00:00.000Z");
  });

  it("summarises spend across agents, keeping usage nobody configured as uncapped", async () => {
    const at = new Date("2025-03-10T12:00:00Z");
    await recordModelUsage(store, "ws", {
      agent: "gone",
      model: "gpt-4o",
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0.5,
      at,
    });
    await recordModelUsage(store, "ws", {
      agent: "bot",
      model: "o3-mini",
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0.25,
      at,
    });
    const period = monthPeriod(at);
    const usage = await listUsage(store, "ws", period);
    const spend = summarizeSpend(
      "ws",
      [
        { name: "bot", configs: [cfg("gpt-4o-mini", 1.2), cfg("gpt-4o", 5, "chat")] },
        { name: "idle", configs: [cfg("gpt-4o-mini", 2)] },
      ],
      usage,
      period,
    );
    assert.deepEqual(spend.summary, {
      total_estimated_spend_usd: 1.75,
      total_budget_usd: 8.2,
      remaining_budget_usd: 7.2,
      budgeted_model_count: 3,
      near_budget_count: 1,
      blocked_count: 0,
      uncapped_spend_usd: 0.75,
      period_start: "2025-03-01T00:00:00.000Z",
      period_end: "2025-03-31T23:59:59.999Z",
    });
    assert.deepEqual(
      spend.warnings.map((w) => [w.agent_name, w.model, w.status]),
      [["bot", "gpt-4o-mini", "Near budget"]],
    );
    assert.deepEqual(
      spend.top_models.map((m) => [m.agent_name, m.model, m.estimated_spend_usd]),
      [
        ["bot", "gpt-4o-mini", 1],
        ["gone", "gpt-4o", 0.5],
        ["bot", "o3-mini", 0.25],
      ],
    );
    assert.equal(spend.top_models[0]?.agent_namespace, "ws");
  });

  it("resolves the serving provider by model, preferring a matching name or type", () => {
    const providers = [
      { name: "a", provider: "anthropic", models: ["m"] },
      { name: "b", provider: "openai", models: ["m"] },
    ];
    const base = { role: "default", model_provider: "", model: "m", monthly_budget_usd: null };
    assert.equal(resolveModelProvider(providers, { ...base, provider: "openai" }), "b");
    assert.equal(resolveModelProvider(providers, { ...base, provider: "a" }), "a");
    assert.equal(resolveModelProvider(providers, { ...base, provider: "other" }), "a");
    assert.equal(resolveModelProvider(providers, { ...base, provider: "x", model: "none" }), "");
    assert.equal(resolveModelProvider(providers, { ...base, provider: "x", model_provider: "set" }), "set");
  });
});
