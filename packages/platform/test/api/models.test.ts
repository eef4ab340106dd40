import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { monthPeriod, recordModelUsage } from "../../src/gateway/spend.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("model providers API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("creates a provider with its key in a secret only, status as an object plus flat keys", async () => {
    const res = await platform.call("POST", "/model-providers", {
      name: "openai-main",
      spec: {
        provider: "openai",
        endpoint: "https://api.openai.com/v1",
        models: ["gpt-4o-mini", " gpt-4o "],
        pricing: { "gpt-4o": { input_per_1k: 0.002, output_per_1k: 0.008 } },
      },
      api_key: "sk-provider-secret-9876",
    });
    assert.equal(res.status, 201, res.text);
    const provider = res.json as Record<string, any>;
    assert.equal(provider.name, "openai-main");
    assert.equal(provider.namespace, "default");
    assert.deepEqual(provider.status, {
      phase: "Pending",
      message: "registered; the health check has not run yet",
    });
    assert.equal(provider.provider, "openai");
    assert.deepEqual(provider.models, ["gpt-4o-mini", "gpt-4o"]);
    assert.equal(provider.endpoint, "https://api.openai.com/v1");
    assert.equal(provider.spec.auth.type, "APIKey");
    assert.deepEqual(provider.spec.auth.apiKeyConfig.secretRef, { name: "openai-main-provider-key" });
    assert.ok(!res.text.includes("sk-provider-secret-9876"));
    assert.deepEqual(await platform.store.getSecret("default", "openai-main-provider-key"), {
      api_key: "sk-provider-secret-9876",
    });
    const stored = await platform.store.getResource("default", "model_provider", "openai-main");
    assert.ok(!JSON.stringify(stored?.doc).includes("sk-provider-secret-9876"));
  });

  it("updates in place with 200 and keeps the key when none is sent", async () => {
    const res = await platform.call("POST", "/model-providers", {
      name: "openai-main",
      spec: { provider: "openai", endpoint: "https://api.openai.com/v1", models: ["gpt-4o-mini"] },
    });
    assert.equal(res.status, 200);
    const provider = res.json as Record<string, any>;
    assert.deepEqual(provider.spec.auth.apiKeyConfig.secretRef, { name: "openai-main-provider-key" });
    assert.deepEqual(provider.models, ["gpt-4o-mini"]);
  });

  it("never lets a caller point a provider at another secret", async () => {
    await platform.call("POST", "/tools", {
      name: "stripe",
      base_url: "https://api.stripe.com",
      auth_type: "APIKey",
      credentials: { api_key: "sk-stripe" },
    });
    const res = await platform.call("POST", "/model-providers", {
      name: "sneaky",
      spec: {
        provider: "openai",
        endpoint: "https://evil.example/v1",
        models: ["x"],
        auth: { type: "APIKey", apiKeyConfig: { secretRef: { name: "stripe-credentials" } } },
      },
    });
    assert.equal(res.status, 201);
    assert.equal((res.json as Record<string, any>).spec.auth.apiKeyConfig.secretRef, undefined);
  });

  it("accepts the flat body and a playground provider without an endpoint", async () => {
    const res = await platform.call("POST", "/model-providers", {
      name: "offline",
      provider: "playground",
      models: ["playground"],
    });
    assert.equal(res.status, 201, res.text);
    assert.equal((res.json as Record<string, any>).endpoint, "");
  });

  it("validates the body, naming the field", async () => {
    const cases: [unknown, string][] = [
      [{ spec: {} }, "model provider name is required"],
      [{ name: "p" }, "provider must be one of openai, anthropic, bedrock, ollama, playground"],
      [{ name: "p", spec: "x" }, "spec must be an object"],
      [
        { name: "p", spec: { provider: "azure" } },
        "spec.provider must be one of openai, anthropic, bedrock, ollama, playground",
      ],
      [{ name: "p", spec: { provider: "openai", models: ["m"] } }, "spec.endpoint is required"],
      [
        { name: "p", spec: { provider: "ollama", endpoint: "ftp://x", models: ["m"] } },
        "spec.endpoint must be an absolute http(s) URL",
      ],
      [
        { name: "p", spec: { provider: "openai", endpoint: "https://x", models: [] } },
        "spec.models must be a non-empty list of model names",
      ],
      [
        { name: "p", spec: { provider: "openai", endpoint: "https://x", models: [""] } },
        "spec.models[0] must be a non-empty string",
      ],
      [
        {
          name: "p",
          spec: { provider: "openai", endpoint: "https://x", models: ["m"], auth: { type: "Basic" } },
        },
        "spec.auth.type must be one of APIKey, AWSSignature, OAuth2, None",
      ],
      [
        {
          name: "p",
          spec: {
            provider: "openai",
            endpoint: "https://x",
            models: ["m"],
            rateLimit: { requestsPerMinute: -1 },
          },
        },
        "spec.rateLimit.requestsPerMinute must be an integer >= 0",
      ],
      [
        {
          name: "p",
          spec: {
            provider: "openai",
            endpoint: "https://x",
            models: ["m"],
            pricing: { m: { input_per_1k: -1 } },
          },
        },
        "spec.pricing.m.input_per_1k must be a number >= 0",
      ],
      [
        { name: "p", spec: { provider: "openai", endpoint: "https://x", models: ["m"] }, api_key: 5 },
        "api_key must be a string",
      ],
      [
        {
          name: "p",
          spec: { provider: "openai", endpoint: "https://x", models: ["m"] },
          credentials: { token: "t" },
        },
        "credentials.token is not supported (use api_key, aws_access_key_id, aws_secret_access_key, aws_session_token)",
      ],
      [
        {
          name: "p",
          spec: { provider: "openai", endpoint: "https://x", models: ["m"], auth: { type: "None" } },
          api_key: "k",
        },
        "credentials cannot be used with auth type None",
      ],
    ];
    for (const [body, message] of cases) {
      const res = await platform.call("POST", "/model-providers", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.json, { error: message });
    }
    assert.equal((await platform.call("GET", "/model-providers/p")).status, 404);
  });

  it("lists, gets and deletes providers; the key goes with the provider", async () => {
    const list = await platform.call("GET", "/model-providers");
    assert.ok(Array.isArray(list.json));
    assert.ok((list.json as { name: string }[]).some((p) => p.name === "openai-main"));
    const get = await platform.call("GET", "/model-providers/openai-main");
    assert.equal(get.status, 200);
    const res = await platform.call("DELETE", "/model-providers/openai-main");
    assert.deepEqual([res.status, res.json], [200, { status: "deleted" }]);
    assert.equal(await platform.store.getSecret("default", "openai-main-provider-key"), undefined);
    const missing = await platform.call("GET", "/model-providers/openai-main");
    assert.deepEqual(
      [missing.status, missing.json],
      [404, { error: 'model provider "openai-main" not found' }],
    );
    const again = await platform.call("DELETE", "/model-providers/openai-main");
    assert.deepEqual([again.status, again.json], [404, { error: 'model provider "openai-main" not found' }]);
  });
});

describe("model spend API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("reports an empty month when nothing is deployed", async () => {
    const res = await platform.call("GET", "/model-spend");
    assert.equal(res.status, 200);
    const period = monthPeriod();
    assert.deepEqual(res.json, {
      summary: {
        total_estimated_spend_usd: 0,
        total_budget_usd: 0,
        remaining_budget_usd: 0,
        budgeted_model_count: 0,
        near_budget_count: 0,
        blocked_count: 0,
        uncapped_spend_usd: 0,
        period_start: period.start,
        period_end: period.end,
      },
      warnings: [],
      top_models: [],
    });
  });

  it("summarises agents' budgets against recorded usage", async () => {
    await platform.call("POST", "/deploy", {
      agent_name: "spender",
      image: "img",
      llm_configs: [{ provider: "openai", model: "gpt-4o", monthly_budget_usd: 1 }],
    });
    await recordModelUsage(platform.store, "default", {
      agent: "spender",
      model: "gpt-4o",
      provider: "openai",
      inputTokens: 100_000,
      outputTokens: 100_000,
    });
    const res = await platform.call("GET", "/model-spend");
    const spend = res.json as Record<string, any>;
    assert.equal(spend.summary.total_estimated_spend_usd, 1.25);
    assert.equal(spend.summary.total_budget_usd, 1);
    assert.equal(spend.summary.remaining_budget_usd, 0);
    assert.equal(spend.summary.blocked_count, 1);
    assert.equal(spend.warnings[0].status, "Budget reached");
    assert.equal(spend.warnings[0].agent_name, "spender");
    assert.equal(spend.warnings[0].agent_namespace, "default");
    assert.equal(spend.top_models[0].model, "gpt-4o");
    const other = (await platform.call("GET", "/workspaces/other/model-spend")).json as Record<string, any>;
    assert.equal(other.summary.total_estimated_spend_usd, 0);
  });
});
