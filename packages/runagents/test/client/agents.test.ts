import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildDeployBody } from "../../src/client/agents.js";
import { APIError, type DeployInput, RunAgentsValidationError } from "../../src/index.js";
import { clientFor, serve } from "../helpers/recording-server.js";

const NESTED_AGENT = {
  metadata: { name: "bot", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
  spec: { image: "img:1", systemPrompt: "be brief", requiredTools: [{ name: "echo" }, { name: "crm" }] },
  status: { phase: "Running", message: "" },
};
const FLAT_AGENT = {
  name: "bot",
  namespace: "default",
  status: "Running",
  image: "img:1",
  required_tools: ["echo", "crm"],
  system_prompt: "be brief",
  created_at: "2026-01-01T00:00:00Z",
};
const AGENT = {
  name: "bot",
  namespace: "default",
  status: "Running",
  statusMessage: "",
  image: "img:1",
  requiredTools: ["echo", "crm"],
  systemPrompt: "be brief",
  createdAt: "2026-01-01T00:00:00Z",
};

describe("agents.list / get", () => {
  test("GET /agents parses the nested and the flat shape to the same Agent", async (t) => {
    const server = await serve(t);
    server.reply({ json: [NESTED_AGENT, FLAT_AGENT] }, { json: { error: "not a list" } });
    const client = clientFor(server);
    assert.deepEqual(await client.agents.list(), [AGENT, AGENT]);
    assert.deepEqual(await client.agents.list(), []);
    assert.deepEqual(server.calls(), ["GET /api/v1/agents", "GET /api/v1/agents"]);
  });

  test("GET /agents/{name}", async (t) => {
    const server = await serve(t);
    server.reply({ json: NESTED_AGENT });
    assert.deepEqual(await clientFor(server).agents.get("bot"), AGENT);
    assert.equal(server.only().url, "/api/v1/agents/bot");
  });

  test("a Failed agent carries its status message", async (t) => {
    const server = await serve(t);
    const message = "build failed: agent.ts(3,1): error TS1005";
    server.reply({ json: { ...NESTED_AGENT, status: { phase: "Failed", message } } });
    const agent = await clientFor(server).agents.get("bot");
    assert.equal(agent.status, "Failed");
    assert.equal(agent.statusMessage, message);
  });
});

describe("agents config", () => {
  const CONFIG = {
    agent_name: "bot",
    namespace: "default",
    image: "img",
    runtime: "node",
    system_prompt: "p",
    identity_provider: "okta",
    llm_configs: [
      { role: "default", model_provider: "pg", provider: "openai", model: "gpt", monthly_budget_usd: 5 },
    ],
    model_usage: [{ label: "default", estimated_spend_usd: 1.5, status: "Active", monthly_budget_usd: null }],
    required_tools: ["echo"],
    policies: ["p1"],
  };

  test("GET /agents/{name}/config returns a typed AgentConfig", async (t) => {
    const server = await serve(t);
    server.reply({ json: CONFIG });
    const config = await clientFor(server).agents.getConfig("bot");
    assert.equal(server.only().url, "/api/v1/agents/bot/config");
    assert.equal(config.agentName, "bot");
    assert.deepEqual(config.llmConfigs, [
      { role: "default", modelProvider: "pg", provider: "openai", model: "gpt", monthlyBudgetUsd: 5 },
    ]);
    assert.equal(config.modelUsage[0]?.estimatedSpendUsd, 1.5);
    assert.equal(config.modelUsage[0]?.monthlyBudgetUsd, null);
    assert.deepEqual(config.policies, ["p1"]);
  });

  test("PUT /agents/{name}/config sends only the given fields, snake_case, empty LLM fields dropped", async (t) => {
    const server = await serve(t);
    server.reply({ json: CONFIG });
    await clientFor(server).agents.updateConfig("bot", {
      systemPrompt: "",
      llmConfigs: [
        { role: "default", provider: "openai", model: "gpt-4o", modelProvider: "", monthlyBudgetUsd: 10 },
      ],
      policies: [],
    });
    const request = server.only();
    assert.equal(request.method, "PUT");
    assert.equal(request.url, "/api/v1/agents/bot/config");
    assert.deepEqual(request.json, {
      system_prompt: "",
      llm_configs: [{ role: "default", provider: "openai", model: "gpt-4o", monthly_budget_usd: 10 }],
      policies: [],
    });
  });

  test("updateConfig with no field is a validation error and sends nothing", async (t) => {
    const server = await serve(t);
    await assert.rejects(clientFor(server).agents.updateConfig("bot", {}), (error: unknown) => {
      assert.ok(error instanceof RunAgentsValidationError);
      assert.equal(error.code, "VALIDATION_ERROR");
      assert.equal(error.message, "at least one field must be provided");
      return true;
    });
    assert.equal(server.requests.length, 0);
  });
});

describe("agents.deploy", () => {
  test("POST /deploy with the snake_case body and optional keys only when set", async (t) => {
    const server = await serve(t);
    server.reply({
      status: 201,
      json: { agent: "bot", namespace: "default", status: "created", tools_created: ["crm"] },
    });
    const result = await clientFor(server).agents.deploy({
      name: "  bot ",
      sourceFiles: { "agent.ts": "export {}" },
      requirements: "zod\n",
      entryPoint: " agent.ts ",
      framework: " ",
      systemPrompt: " keep spaces ",
      requiredTools: [" echo ", "", "  "],
      toolUrlMappings: { "https://api.crm.com": "crm" },
      toolsToCreate: [{ name: "crm", baseUrl: "https://api.crm.com", authType: "APIKey" }],
      llmConfigs: [{ provider: "openai", model: "gpt-4o-mini", role: "default" }],
      env: [{ name: "A", value: "1" }],
      policies: [" p1 ", ""],
      identityProvider: " okta ",
    });
    const request = server.only();
    assert.equal(request.url, "/api/v1/deploy");
    assert.deepEqual(request.json, {
      agent_name: "bot",
      source_files: { "agent.ts": "export {}" },
      requirements: "zod\n",
      entry_point: "agent.ts",
      system_prompt: " keep spaces ",
      required_tools: ["echo"],
      tool_url_mappings: { "https://api.crm.com": "crm" },
      tools_to_create: [{ name: "crm", base_url: "https://api.crm.com", auth_type: "APIKey" }],
      llm_configs: [{ provider: "openai", model: "gpt-4o-mini", role: "default" }],
      env: [{ name: "A", value: "1" }],
      policies: ["p1"],
      identity_provider: "okta",
    });
    assert.deepEqual(result, {
      agentName: "bot",
      namespace: "default",
      toolsCreated: ["crm"],
      status: "created",
      message: "",
      buildId: "",
      imageUri: "",
      executionMode: "",
      buildRequired: false,
      buildProfile: "",
      decisionReason: "",
    });
  });

  test("deploys from an image, a draft or an artifact (trimmed)", () => {
    assert.deepEqual(buildDeployBody({ name: "a", image: " img:2 " }), { agent_name: "a", image: "img:2" });
    assert.deepEqual(buildDeployBody({ name: "a", draftId: " d1 " }), { agent_name: "a", draft_id: "d1" });
    assert.deepEqual(buildDeployBody({ name: "a", artifactId: "art" }), {
      agent_name: "a",
      artifact_id: "art",
    });
  });

  test("reads agent_name before agent and falls back to execution_mode for status", async (t) => {
    const server = await serve(t);
    server.reply({
      json: {
        agent_name: "a1",
        agent: "a2",
        execution_mode: "FAST_OVERLAY",
        build_required: true,
        build_id: "b1",
      },
    });
    const result = await clientFor(server).agents.deploy({ name: "a", image: "i" });
    assert.equal(result.agentName, "a1");
    assert.equal(result.status, "FAST_OVERLAY");
    assert.equal(result.executionMode, "FAST_OVERLAY");
    assert.equal(result.buildRequired, true);
    assert.equal(result.buildId, "b1");
  });

  const SOURCE_ERROR = "provide exactly one deploy source: source_files, image, draft_id, or artifact_id";
  const invalid: [string, DeployInput, string][] = [
    ["a blank name", { name: "  ", image: "i" }, "agent name is required"],
    ["no source", { name: "a" }, SOURCE_ERROR],
    ["only blank or empty sources", { name: "a", image: " ", sourceFiles: {}, draftId: " " }, SOURCE_ERROR],
    ["two sources", { name: "a", image: "i", draftId: "d" }, SOURCE_ERROR],
    ["files and an artifact", { name: "a", sourceFiles: { f: "x" }, artifactId: "z" }, SOURCE_ERROR],
    [
      "requirements with an image",
      { name: "a", image: "i", requirements: "x" },
      "requirements can only be used with source_files",
    ],
    [
      "entryPoint with a draft",
      { name: "a", draftId: "d", entryPoint: "main.ts" },
      "entry_point can only be used with source_files",
    ],
    [
      "framework with an artifact",
      { name: "a", artifactId: "z", framework: "langgraph" },
      "framework can only be used with source_files",
    ],
  ];
  for (const [name, input, message] of invalid) {
    test(`rejects ${name} before sending anything`, async (t) => {
      const server = await serve(t);
      await assert.rejects(clientFor(server).agents.deploy(input), { code: "VALIDATION_ERROR", message });
      assert.equal(server.requests.length, 0);
    });
  }
});

describe("agents.delete / invoke", () => {
  test("DELETE /agents/{name} returns the delete status", async (t) => {
    const server = await serve(t);
    server.reply({ json: { status: "deleted" } }, { text: "gone" });
    const client = clientFor(server);
    assert.deepEqual(await client.agents.delete("bot"), { status: "deleted" });
    assert.deepEqual(await client.agents.delete("bot"), { status: "gone" });
    assert.deepEqual(server.calls(), ["DELETE /api/v1/agents/bot", "DELETE /api/v1/agents/bot"]);
  });

  test("POST /agents/{name}/invoke sends {message, history?, conversation_id?} and types the answer", async (t) => {
    const server = await serve(t);
    const answer = { response: "hi!", run_id: "run-1", model: "m", tool_calls_made: [] };
    server.reply({ json: answer }, { json: { response: "again" } });
    const client = clientFor(server);
    const history = [{ role: "user", content: "before" }];
    const result = await client.agents.invoke("bot", { message: "hello", history, conversationId: "c1" });
    assert.deepEqual(result, { response: "hi!", runId: "run-1", raw: answer });
    assert.deepEqual(await client.agents.invoke("bot", { message: "m2", userId: "u1" }), {
      response: "again",
      raw: { response: "again" },
    });
    assert.equal(server.requests[0]?.url, "/api/v1/agents/bot/invoke");
    assert.deepEqual(server.requests[0]?.json, { message: "hello", history, conversation_id: "c1" });
    assert.deepEqual(server.requests[1]?.json, { message: "m2", user_id: "u1" });
  });
});

describe("agents.invokeStream", () => {
  test("yields the runtime SSE events, JSON-parsed, and stops at data: [DONE]", async (t) => {
    const server = await serve(t);
    server.reply({
      headers: { "content-type": "text/event-stream" },
      chunks: [
        'data: {"type":"tool_call","tool":"echo"}\n\n: keep-alive\n\nda',
        'ta: {"type":"content",',
        '"delta":"Hello"}\r\n\r\nevent: note\ndata: plain\ndata: text\n\n',
        "data: [DONE]\n\ndata: after-done\n\n",
      ],
    });
    const events = [];
    for await (const event of clientFor(server).agents.invokeStream("bot", {
      message: "hi",
      conversationId: "c",
    })) {
      events.push(event);
    }
    assert.deepEqual(events, [
      { event: "message", data: { type: "tool_call", tool: "echo" } },
      { event: "message", data: { type: "content", delta: "Hello" } },
      { event: "note", data: "plain\ntext" },
    ]);
    const request = server.only();
    assert.equal(request.url, "/api/v1/agents/bot/invoke/stream");
    assert.equal(request.headers.accept, "text/event-stream");
    assert.deepEqual(request.json, { message: "hi", conversation_id: "c" });
  });

  test("throws APIError from the first next() when the platform refuses", async (t) => {
    const server = await serve(t);
    server.reply({ status: 404, json: { error: "agent bot not found" } });
    const stream = clientFor(server).agents.invokeStream("bot", { message: "hi" });
    await assert.rejects(
      stream.next(),
      (error: unknown) => error instanceof APIError && error.status === 404,
    );
  });

  test("stops reading when the consumer breaks early", async (t) => {
    const server = await serve(t);
    server.reply({ chunks: ["data: 1\n\n", "data: 2\n\n", "data: 3\n\n"] });
    for await (const event of clientFor(server).agents.invokeStream("bot", { message: "hi" })) {
      assert.deepEqual(event, { event: "message", data: 1 });
      break;
    }
  });
});
