import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { Agent, LLMGatewayError, ToolNotConfigured, tool } from "../../src/agent/index.js";
import { FakePlatform } from "../runtime/fake-platform.js";

let fake: FakePlatform;
before(async () => {
  fake = await FakePlatform.start();
});
after(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.llmReplies.length = 0;
});

describe("Agent configuration", () => {
  test("defaults apply when the environment is empty", () => {
    const agent = new Agent({ env: {} });
    assert.equal(agent.systemPrompt, "You are a helpful assistant.");
    assert.equal(agent.model, "gpt-4o-mini");
    assert.equal(agent.llmGatewayUrl, "http://llm-gateway.agent-system.svc:8080/v1/chat/completions");
    assert.deepEqual(agent.toolUrls, {});
  });

  test("the environment sets prompt, model, gateway and tools; TOOL_URL_REWRITES_JSON is not a tool", () => {
    const agent = new Agent({
      env: {
        SYSTEM_PROMPT: "Be terse.",
        LLM_MODEL: "m-1",
        LLM_GATEWAY_URL: "http://gw/v1",
        TOOL_URL_ECHO_TOOL: "http://echo",
        TOOL_URL_STRIPE: "http://stripe",
        TOOL_URL_EMPTY: "",
        TOOL_URL_REWRITES_JSON: '{"https://a":"http://b"}',
      },
    });
    assert.equal(agent.systemPrompt, "Be terse.");
    assert.equal(agent.model, "m-1");
    assert.equal(agent.llmGatewayUrl, "http://gw/v1");
    assert.deepEqual(agent.toolUrls, { "echo-tool": "http://echo", stripe: "http://stripe" });
  });

  test("hasTool and availableTools (sorted) reflect the bindings", () => {
    const agent = new Agent({ env: { TOOL_URL_STRIPE: "http://s", TOOL_URL_ECHO_TOOL: "http://e" } });
    assert.equal(agent.hasTool("echo-tool"), true);
    assert.equal(agent.hasTool("calendar"), false);
    assert.deepEqual(agent.availableTools(), ["echo-tool", "stripe"]);
  });
});

describe("Agent.callTool", () => {
  test("an unbound tool raises ToolNotConfigured with the variable to set", async () => {
    await assert.rejects(new Agent({ env: {} }).callTool({ name: "crm-api" }), (error: unknown) => {
      assert.ok(error instanceof ToolNotConfigured);
      assert.equal(error.toolName, "crm-api");
      assert.equal(error.envKey, "TOOL_URL_CRM_API");
      assert.equal(error.code, "TOOL_NOT_CONFIGURED");
      assert.equal(error.message, "Tool 'crm-api' not found. Set TOOL_URL_CRM_API or check requiredTools.");
      return true;
    });
  });

  test("POSTs the payload as JSON to base + path and returns the parsed answer", async () => {
    fake.tool("echo", (req) => ({ body: { got: JSON.parse(req.body) as unknown } }));
    const agent = new Agent({ env: { TOOL_URL_ECHO: `${fake.toolUrl("echo")}/` } });
    assert.deepEqual(await agent.callTool({ name: "echo", path: "/items", payload: { a: 1 } }), {
      got: { a: 1 },
    });
    const [call] = fake.to("/tools/echo");
    assert.equal(call?.path, "/tools/echo/items");
    assert.equal(call?.method, "POST");
    assert.equal(call?.headers["content-type"], "application/json");
  });

  test("a GET payload becomes the query string", async () => {
    fake.tool("echo", () => ({ body: {} }));
    const agent = new Agent({ env: { TOOL_URL_ECHO: fake.toolUrl("echo") } });
    await agent.callTool({ name: "echo", path: "/search", payload: { q: "a b", n: 2 }, method: "GET" });
    assert.equal(fake.to("/tools/echo")[0]?.path, "/tools/echo/search?q=a+b&n=2");
  });

  test("a non-JSON answer is returned as { raw }", async () => {
    fake.tool("text", () => ({ body: "plain words" }));
    const agent = new Agent({ env: { TOOL_URL_TEXT: fake.toolUrl("text") } });
    assert.deepEqual(await agent.callTool({ name: "text" }), { raw: "plain words" });
  });
});

describe("Agent.chat", () => {
  test("sends the system prompt and the message to the gateway and returns the OpenAI response", async () => {
    fake.llmReplies.push({ content: "Hi there." });
    const agent = new Agent({
      env: { LLM_GATEWAY_URL: `${fake.url}/v1`, LLM_MODEL: "m-2", SYSTEM_PROMPT: "Be kind." },
    });
    const completion = await agent.chat("hello");
    assert.equal(completion.choices[0]?.message.content, "Hi there.");
    assert.deepEqual(JSON.parse(fake.to("/v1/chat/completions")[0]?.body ?? ""), {
      model: "m-2",
      messages: [
        { role: "system", content: "Be kind." },
        { role: "user", content: "hello" },
      ],
    });
  });

  test("with history, the system prompt is not added; tools from tool() are converted", async () => {
    const lookup = tool(
      { name: "lookup", description: "Look up", parameters: { type: "object" } },
      () => "x",
    );
    const agent = new Agent({ env: { LLM_GATEWAY_URL: fake.gatewayUrl } });
    await agent.chat("", { history: [{ role: "system", content: "Custom." }], tools: [lookup] });
    const body = JSON.parse(fake.to("/v1/chat/completions")[0]?.body ?? "") as Record<string, unknown>;
    assert.deepEqual(body.messages, [
      { role: "system", content: "Custom." },
      { role: "user", content: "" },
    ]);
    assert.deepEqual(body.tools, [
      {
        type: "function",
        function: { name: "lookup", description: "Look up", parameters: { type: "object" } },
      },
    ]);
    assert.equal(body.tool_choice, "auto");
  });

  test("a gateway error raises LLMGatewayError with the status and body", async () => {
    fake.llmReplies.push({ status: 429, errorBody: "slow down" });
    await assert.rejects(
      new Agent({ env: { LLM_GATEWAY_URL: fake.gatewayUrl } }).chat("x"),
      (error: unknown) => {
        assert.ok(error instanceof LLMGatewayError);
        assert.equal(error.status, 429);
        assert.equal(error.detail, "slow down");
        assert.equal(error.message, "LLM Gateway returned 429");
        return true;
      },
    );
  });
});
