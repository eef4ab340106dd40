/**
 * What an agent process is started with: tool functions generated from capabilities, and an
 * environment built from scratch.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { agentEnvironment } from "../../src/deploy/agent-env.js";
import { toolDefinitions } from "../../src/deploy/tool-definitions.js";

const crm = {
  spec: {
    description: "Customer records",
    capabilities: [
      { name: "get customer", method: "GET", path: "/customers/{id}" },
      { name: "create", method: "POST", path: "/customers", description: "Create a customer" },
      {
        name: "search",
        method: "POST",
        path: "/search",
        parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] },
      },
    ],
  },
};

describe("tool functions from capabilities", () => {
  it("makes one routed function per capability, with path placeholders as required arguments", () => {
    const { definitions, routes } = toolDefinitions([
      { name: "crm", doc: crm },
      { name: "echo-tool", doc: { spec: { capabilities: [] } } },
      { name: "unregistered", doc: undefined },
    ]);
    assert.deepEqual(
      definitions.map((d) => d.function.name),
      ["crm__get_customer", "crm__create", "crm__search", "echo-tool__request"],
    );
    assert.deepEqual(routes, {
      crm__get_customer: { tool: "crm", method: "GET", path: "/customers/{id}" },
      crm__create: { tool: "crm", method: "POST", path: "/customers" },
      crm__search: { tool: "crm", method: "POST", path: "/search" },
    });
    assert.deepEqual(definitions[0], {
      type: "function",
      function: {
        name: "crm__get_customer",
        description: "GET /customers/{id} on the crm tool: Customer records",
        parameters: {
          type: "object",
          properties: { id: { type: "string" } },
          required: ["id"],
          additionalProperties: true,
        },
      },
    });
    assert.equal(definitions[1]?.function.description, "Create a customer");
    assert.deepEqual(definitions[1]?.function.parameters, { type: "object", additionalProperties: true });
    assert.deepEqual(definitions[2]?.function.parameters, crm.spec.capabilities[2]?.parameters);
    assert.deepEqual(Object.keys(definitions[3]?.function.parameters.properties as object), ["path", "body"]);
  });

  it("keeps function names valid and unique", () => {
    const doc = {
      spec: {
        capabilities: [
          { name: "a b", method: "GET", path: "/1" },
          { name: "a/b", method: "GET", path: "/2" },
          { name: "x".repeat(80), method: "GET", path: "/3" },
        ],
      },
    };
    const names = toolDefinitions([{ name: "t.ool", doc }]).definitions.map((d) => d.function.name);
    assert.deepEqual(names.slice(0, 2), ["t_ool__a_b", "t_ool__a_b_2"]);
    assert.equal(names[2]?.length, 64);
    for (const name of names) assert.match(name, /^[A-Za-z0-9_-]{1,64}$/);
  });
});

describe("the agent process environment", () => {
  const base = {
    agent: "support",
    spec: {
      systemPrompt: "Help.",
      toolUrlMappings: { "https://api.stripe.com": "stripe" },
      env: [
        { name: "GREETING", value: "hi" },
        { name: "NODE_ENV", value: "development" },
        { name: "RUNAGENTS_RUNTIME_SECRET", value: "chosen-by-the-deployer" },
      ],
    },
    llmConfigs: [
      {
        role: "chat",
        model_provider: "",
        provider: "anthropic",
        model: "claude-x",
        monthly_budget_usd: null,
      },
      {
        role: "default",
        model_provider: "",
        provider: "openai",
        model: "gpt-4o-mini",
        monthly_budget_usd: null,
      },
    ],
    tools: [
      {
        name: "echo-tool",
        doc: { spec: { capabilities: [{ name: "echo", method: "POST", path: "/echo" }] } },
      },
      { name: "stripe", doc: undefined },
    ],
    providers: [{ name: "playground-llm", provider: "playground", models: ["gpt-4o-mini"] }],
    baseUrl: "http://127.0.0.1:8092",
    token: "ra_agt_TOKEN",
    homeDir: "/data/agents/default/support/scratch",
    runtime: { socket: "/run/runagents/runtime.sock", secret: "s3cret" },
    codeDir: "/data/agents/default/support/v3",
    entry: "agent.js",
    path: "/usr/bin:/bin",
  };

  it("holds exactly the contract's variables, the agent's identity URLs and its own env", () => {
    const env = agentEnvironment(base);
    assert.deepEqual(env, {
      PATH: "/usr/bin:/bin",
      HOME: "/data/agents/default/support/scratch",
      NODE_ENV: "development",
      RUNAGENTS_RUNTIME_SOCKET: "/run/runagents/runtime.sock",
      RUNAGENTS_RUNTIME_SECRET: "s3cret",
      AGENT_NAME: "support",
      LLM_GATEWAY_URL: "http://127.0.0.1:8092/gateway/ra_agt_TOKEN/v1",
      GOVERNANCE_URL: "http://127.0.0.1:8092/internal/ra_agt_TOKEN",
      SYSTEM_PROMPT: "Help.",
      LLM_MODEL_CHAT: "claude-x",
      LLM_PROVIDER_CHAT: "anthropic",
      LLM_MODEL: "gpt-4o-mini",
      LLM_PROVIDER: "openai",
      LLM_PROVIDER_NAME: "playground-llm",
      TOOL_URL_ECHO_TOOL: "http://127.0.0.1:8092/egress/ra_agt_TOKEN/echo-tool",
      TOOL_URL_STRIPE: "http://127.0.0.1:8092/egress/ra_agt_TOKEN/stripe",
      TOOL_NAMES: "echo-tool,stripe",
      TOOL_DEFINITIONS_JSON: JSON.stringify([
        {
          type: "function",
          function: {
            name: "echo-tool__echo",
            description: "POST /echo on the echo-tool tool",
            parameters: { type: "object", additionalProperties: true },
          },
        },
      ]),
      TOOL_ROUTES_JSON: JSON.stringify({
        "echo-tool__echo": { tool: "echo-tool", method: "POST", path: "/echo" },
      }),
      TOOL_URL_REWRITES_JSON: JSON.stringify({
        "https://api.stripe.com": "http://127.0.0.1:8092/egress/ra_agt_TOKEN/stripe",
      }),
      USER_ENTRY_POINT: "agent.js",
      RUNAGENTS_USER_CODE_DIR: "/data/agents/default/support/v3",
      GREETING: "hi",
    });
  });

  it("leaves USER_ENTRY_POINT unset without user code, so the built-in tool loop runs", () => {
    const env = agentEnvironment({ ...base, entry: "", llmConfigs: [], spec: {} });
    assert.equal(env.USER_ENTRY_POINT, undefined);
    assert.equal(env.RUNAGENTS_USER_CODE_DIR, undefined);
    assert.equal(env.LLM_MODEL, undefined);
    assert.equal(env.SYSTEM_PROMPT, undefined);
  });
});
