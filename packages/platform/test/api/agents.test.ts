import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { monthPeriod, recordModelUsage } from "../../src/gateway/spend.js";
import { phaseIs, waitForAgent } from "../deploy/helpers.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("agents API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
    await platform.call("POST", "/model-providers", {
      name: "openai-main",
      spec: { provider: "openai", endpoint: "https://api.openai.com/v1", models: ["gpt-4o-mini", "gpt-4o"] },
    });
    const res = await platform.call("POST", "/deploy", {
      agent_name: "support-bot",
      source_files: { "agent.py": "def handler(request):\n    return {'response': 'hi'}\n" },
      system_prompt: "Help.",
      required_tools: ["crm"],
      llm_configs: [
        { provider: "openai", model: "gpt-4o-mini", monthly_budget_usd: 2 },
        { provider: "openai", model: "gpt-4o", role: "chat" },
      ],
      policies: ["support-policy"],
    });
    assert.equal(res.status, 201, res.text);
  });
  after(() => platform.destroy());

  it("lists agents as a bare array with the nested shape and the flat keys", async () => {
    // A Python agent cannot run on the local (Node.js) runtime: its build fails.
    await waitForAgent(platform, "support-bot", phaseIs("Failed"));
    const res = await platform.call("GET", "/agents");
    assert.equal(res.status, 200);
    const [agent] = res.json as Record<string, any>[];
    assert.equal(agent?.name, "support-bot");
    assert.equal(agent?.namespace, "default");
    assert.equal(agent?.status.phase, "Failed");
    assert.match(agent?.status.message, /^version 1 failed to build: entry point "agent.py" is Python/);
    assert.equal(agent?.phase, "Failed");
    assert.deepEqual(agent?.required_tools, ["crm"]);
    assert.deepEqual(agent?.llm_config, { provider: "openai", model: "gpt-4o-mini" });
    assert.equal(agent?.system_prompt, "Help.");
    assert.equal(agent?.runtime, "python");
    assert.match(agent?.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(agent?.spec.systemPrompt, "Help.");
  });

  it("answers 404 with the contract's message for an unknown agent", async () => {
    const res = await platform.call("GET", "/agents/nobody");
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, { error: "agent nobody not found" });
    assert.equal((await platform.call("GET", "/agents/nobody/config")).status, 404);
    const put = await platform.call("PUT", "/agents/nobody/config", { system_prompt: "x" });
    assert.deepEqual([put.status, put.json], [404, { error: "agent nobody not found" }]);
  });

  it("returns the agent config with resolved providers and this month's usage", async () => {
    await recordModelUsage(platform.store, "default", {
      agent: "support-bot",
      model: "gpt-4o-mini",
      modelProvider: "openai-main",
      provider: "openai",
      inputTokens: 10,
      outputTokens: 10,
      costUsd: 1.7,
    });
    const res = await platform.call("GET", "/agents/support-bot/config");
    assert.equal(res.status, 200);
    const config = res.json as Record<string, any>;
    assert.equal(config.agent_name, "support-bot");
    assert.equal(config.namespace, "default");
    assert.match(config.image, /^local:\/\/support-bot:/);
    assert.equal(config.runtime, "python");
    assert.equal(config.identity_provider, "");
    assert.deepEqual(config.required_tools, ["crm"]);
    assert.deepEqual(config.policies, ["support-policy"]);
    assert.deepEqual(config.llm_configs, [
      {
        role: "default",
        model_provider: "openai-main",
        provider: "openai",
        model: "gpt-4o-mini",
        monthly_budget_usd: 2,
      },
      {
        role: "chat",
        model_provider: "openai-main",
        provider: "openai",
        model: "gpt-4o",
        monthly_budget_usd: null,
      },
    ]);
    const period = monthPeriod();
    assert.deepEqual(config.model_usage[0], {
      label: "default: openai/gpt-4o-mini",
      role: "default",
      model_provider: "openai-main",
      provider: "openai",
      model: "gpt-4o-mini",
      monthly_budget_usd: 2,
      estimated_spend_usd: 1.7,
      remaining_budget_usd: 0.3,
      period_start: period.start,
      period_end: period.end,
      status: "Near budget",
    });
    assert.equal(config.model_usage[1].status, "Uncapped");
  });

  it("updates only the given config fields", async () => {
    const res = await platform.call("PUT", "/agents/support-bot/config", {
      system_prompt: "Help kindly.",
      identity_provider: "corp",
    });
    assert.equal(res.status, 200, res.text);
    const config = res.json as Record<string, any>;
    assert.equal(config.system_prompt, "Help kindly.");
    assert.equal(config.identity_provider, "corp");
    assert.deepEqual(config.policies, ["support-policy"]);
    assert.equal(config.llm_configs.length, 2);
    const agent = (await platform.call("GET", "/agents/support-bot")).json as Record<string, any>;
    assert.equal(agent.labels["platform.ai/identity-provider"], "corp");

    const cleared = (
      await platform.call("PUT", "/agents/support-bot/config", {
        identity_provider: "",
        llm_configs: [{ provider: "openai", model: "gpt-4o", monthly_budget_usd: 1 }],
        required_tools: ["crm", "billing"],
        policies: [],
      })
    ).json as Record<string, any>;
    assert.equal(cleared.identity_provider, "");
    assert.deepEqual(cleared.required_tools, ["crm", "billing"]);
    assert.deepEqual(cleared.policies, []);
    assert.equal(cleared.llm_configs[0].model, "gpt-4o");
    const after = (await platform.call("GET", "/agents/support-bot")).json as Record<string, any>;
    assert.deepEqual(after.labels, {});
    assert.deepEqual(after.spec.llmConfig, { provider: "openai", model: "gpt-4o" });
  });

  it("accepts a fetched config sent back as is", async () => {
    const config = (await platform.call("GET", "/agents/support-bot/config")).json as Record<string, any>;
    const res = await platform.call("PUT", "/agents/support-bot/config", config);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((res.json as Record<string, any>).llm_configs, config.llm_configs);
  });

  it("rejects an empty or invalid config update, naming the field", async () => {
    const cases: [unknown, string][] = [
      [undefined, "at least one field must be provided"],
      [{}, "at least one field must be provided"],
      [{ system_prompt: null }, "at least one field must be provided"],
      [{ image: "x" }, "at least one field must be provided"],
      [{ system_prompt: 1 }, "system_prompt must be a string"],
      [{ llm_configs: "gpt" }, "llm_configs must be a list"],
      [{ llm_configs: [{ model: "m" }] }, "llm_configs[0].provider is required"],
      [{ required_tools: [3] }, "required_tools must be a list of strings"],
      [
        { policies: ["bad name"] },
        "invalid policies[0] \"bad name\": use letters, digits, '.', '_' and '-', starting and ending with a letter or digit (at most 253 characters)",
      ],
      [
        { colour: "red" },
        'unknown field "colour": updatable fields are system_prompt, identity_provider, llm_configs, required_tools, policies, webhook',
      ],
    ];
    for (const [body, message] of cases) {
      const res = await platform.call("PUT", "/agents/support-bot/config", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.json, { error: message });
    }
  });

  it("deletes an agent and its stored sources, then answers 404", async () => {
    await platform.call("POST", "/deploy", {
      agent_name: "temp-bot",
      source_files: { "agent.ts": "export default () => 1;\n" },
    });
    assert.ok(await platform.store.getResource("default", "agent_source", "temp-bot"));
    const res = await platform.call("DELETE", "/agents/temp-bot");
    assert.deepEqual([res.status, res.json], [200, { status: "deleted" }]);
    assert.equal(await platform.store.getResource("default", "agent_source", "temp-bot"), undefined);
    const again = await platform.call("DELETE", "/agents/temp-bot");
    assert.deepEqual([again.status, again.json], [404, { error: "agent temp-bot not found" }]);
  });
});
