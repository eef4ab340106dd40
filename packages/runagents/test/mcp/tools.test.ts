/**
 * The transport-independent tool catalogue, run in-process against a recording server: what each
 * tool puts on the wire, and how results and failures are enveloped.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callTool, findTool, MCP_TOOLS } from "../../src/mcp/index.js";
import { buildCatalogDeployBody } from "../../src/mcp/tools-catalog.js";
import { clientFor, serve } from "../helpers/recording-server.js";

type Json = Record<string, any>;

async function run(client: ReturnType<typeof clientFor>, name: string, args: unknown = {}) {
  const tool = findTool(name);
  assert.ok(tool, name);
  const result = await callTool(tool, client, args);
  return {
    isError: result.isError === true,
    body: result.structuredContent as Json,
    text: result.content[0]?.text,
  };
}

const MANIFEST = {
  id: "hello-world",
  version: "1.1.0",
  defaultModel: "gpt-4o-mini",
  deploymentTemplate: {
    agentName: "hello-world",
    systemPrompt: "  Greet people.  ",
    requiredTools: ["echo-tool", " "],
    policies: ["starter-policy"],
    identityProvider: "",
    sourceFiles: { "agent.ts": "export const x = 1;\n" },
  },
};

describe("MCP tools on the wire", () => {
  it("has 48 uniquely named tools", () => {
    assert.equal(MCP_TOOLS.length, 48);
    assert.equal(new Set(MCP_TOOLS.map((t) => t.name)).size, 48);
  });

  it("invoke_agent posts the message and conversation id and returns the agent's answer", async (t) => {
    const server = (await serve(t)).reply({ json: { response: "hi dana", run_id: "run-7" } });
    const result = await run(clientFor(server), "invoke_agent", {
      name: "mcp-hello",
      message: "hello",
      conversation_id: "c-1",
    });
    assert.deepEqual(result.body, {
      response: "hi dana",
      runId: "run-7",
      raw: { response: "hi dana", run_id: "run-7" },
    });
    const request = server.only();
    assert.equal(`${request.method} ${request.url}`, "POST /api/v1/agents/mcp-hello/invoke");
    assert.deepEqual(request.json, { message: "hello", conversation_id: "c-1" });
  });

  it("get_agent_logs asks for the tail and turns a 404 into a tool error", async (t) => {
    const server = (await serve(t)).reply({
      status: 404,
      json: { error: "no route for GET /api/v1/agents/a%2Fb/logs" },
    });
    const result = await run(clientFor(server), "get_agent_logs", { name: "a/b" });
    assert.deepEqual(result, {
      isError: true,
      body: { error: "HTTP 404", detail: { error: "no route for GET /api/v1/agents/a%2Fb/logs" } },
      text: JSON.stringify(
        { error: "HTTP 404", detail: { error: "no route for GET /api/v1/agents/a%2Fb/logs" } },
        null,
        2,
      ),
    });
    assert.deepEqual(server.calls(), ["GET /api/v1/agents/a%2Fb/logs?tail=100"]);
  });

  it("evaluate_policy posts agent, method and url", async (t) => {
    const server = (await serve(t)).reply({ json: { decision: "approval_required", matched: [] } });
    const result = await run(clientFor(server), "evaluate_policy", {
      agent: "billing",
      method: "POST",
      url: "https://api.stripe.com/v1/refunds",
    });
    assert.deepEqual(result.body, { decision: "approval_required", matched: [] });
    assert.equal(server.only().url, "/api/v1/policies/evaluate");
    assert.deepEqual(server.only().json, {
      agent: "billing",
      method: "POST",
      url: "https://api.stripe.com/v1/refunds",
    });
  });

  it("list_catalog_agents sends repeated filter keys and the page defaults", async (t) => {
    const server = (await serve(t)).reply({ json: { items: [], total: 0, page: 1, page_size: 24 } });
    await run(clientFor(server), "list_catalog_agents", {
      search: " triage ",
      categories: ["support", "ops"],
      tags: ["slack"],
    });
    assert.equal(
      server.only().url,
      "/api/v1/catalog?search=triage&category=support&category=ops&tag=slack&page=1&page_size=24",
    );
  });

  it("deploy_catalog_agent reads the pinned manifest and deploys it per the catalog rules", async (t) => {
    const server = (await serve(t)).reply(
      { json: MANIFEST },
      {
        status: 201,
        json: { agent: "greeter", status: "created", warnings: ["tool tickets does not exist yet"] },
      },
    );
    const result = await run(clientFor(server), "deploy_catalog_agent", {
      agent_id: "hello-world",
      version: "1.1.0",
      name: "greeter",
      tools: ["tickets"],
    });
    assert.deepEqual(server.calls(), [
      "GET /api/v1/catalog/hello-world?version=1.1.0",
      "POST /api/v1/deploy",
    ]);
    assert.deepEqual(server.requests[1]?.json, {
      agent_name: "greeter",
      source_files: { "agent.ts": "export const x = 1;\n" },
      system_prompt: "Greet people.",
      required_tools: ["tickets"],
      policies: ["starter-policy"],
      llm_configs: [{ provider: "openai", model: "gpt-4o-mini", role: "default" }],
    });
    assert.equal(result.body.agentName, "greeter");
    assert.deepEqual(result.body.warnings, ["tool tickets does not exist yet"]);
  });

  it("builds catalog deploy bodies: template defaults, model formats and a missing name", () => {
    assert.deepEqual(buildCatalogDeployBody({ id: "bare" }), { agent_name: "bare", source_files: {} });
    const body = buildCatalogDeployBody(MANIFEST, {
      model: "anthropic/claude-3-5-haiku",
      identityProvider: " okta ",
    });
    assert.deepEqual(body.llm_configs, [
      { provider: "anthropic", model: "claude-3-5-haiku", role: "default" },
    ]);
    assert.deepEqual(body.required_tools, ["echo-tool"]);
    assert.equal(body.identity_provider, "okta");
    assert.throws(() => buildCatalogDeployBody(MANIFEST, { model: "anthropic/" }), {
      name: "RunAgentsValidationError",
      message: "catalog deploy model must be in provider/model format; got 'anthropic/'",
    });
    assert.throws(() => buildCatalogDeployBody({ deploymentTemplate: { agentName: " " } }), {
      message: "catalog manifest is missing an agent name",
    });
  });

  it("deploy_catalog_agent stops before deploying when the model is malformed", async (t) => {
    const server = (await serve(t)).reply({ json: MANIFEST });
    const result = await run(clientFor(server), "deploy_catalog_agent", {
      agent_id: "hello-world",
      model: "/gpt",
    });
    assert.deepEqual(result.body, {
      error: "catalog deploy model must be in provider/model format; got '/gpt'",
    });
    assert.deepEqual(server.calls(), ["GET /api/v1/catalog/hello-world"]);
  });

  it("update_agent_config and approve_request translate their arguments to the wire", async (t) => {
    const server = (await serve(t)).otherwise({ json: {} });
    const client = clientFor(server);
    await run(client, "update_agent_config", {
      name: "billing",
      config: {
        system_prompt: "Be careful.",
        llm_configs: [
          {
            role: "default",
            provider: "openai",
            model: "gpt-4o",
            model_provider: "main",
            monthly_budget_usd: 25,
          },
        ],
        policies: ["billing-policy"],
      },
    });
    await run(client, "approve_request", {
      request_id: "req-1",
      scope: "window",
      duration: "4h",
      reason: " ok ",
    });
    await run(client, "reject_request", { request_id: "req-2" });
    assert.deepEqual(server.calls(), [
      "PUT /api/v1/agents/billing/config",
      "POST /api/v1/approvals/requests/req-1/approve",
      "POST /api/v1/approvals/requests/req-2/reject",
    ]);
    assert.deepEqual(
      server.requests.map((r) => r.json),
      [
        {
          system_prompt: "Be careful.",
          llm_configs: [
            {
              role: "default",
              model_provider: "main",
              provider: "openai",
              model: "gpt-4o",
              monthly_budget_usd: 25,
            },
          ],
          policies: ["billing-policy"],
        },
        { scope: "agent_user_ttl", duration: "4h", reason: "ok" },
        undefined,
      ],
    );
  });

  it("list_approval_requests filters by status and refuses other statuses", async (t) => {
    const request = {
      id: "req-1",
      subject: "alice",
      agent_id: "billing",
      tool_id: "stripe",
      status: "PENDING",
      run_id: "run-1",
      action_id: "act-1",
    };
    const server = (await serve(t)).otherwise({ json: [request] });
    const client = clientFor(server);
    const pending = await run(client, "list_approval_requests", { status: "PENDING" });
    const items = (pending.body as { items: Record<string, unknown>[] }).items;
    assert.deepEqual(
      items.map((r) => [r.id, r.agentId, r.toolId, r.status, r.runId, r.actionId]),
      [["req-1", "billing", "stripe", "PENDING", "run-1", "act-1"]],
    );
    await run(client, "list_approval_requests", {});
    assert.deepEqual(server.calls(), [
      "GET /api/v1/approvals/requests?status=PENDING",
      "GET /api/v1/approvals/requests",
    ]);
    const bad = await run(client, "list_approval_requests", { status: "pending" });
    assert.equal(bad.isError, true);
    assert.equal(server.requests.length, 2);
  });

  it("wraps lists as {items}, accepts null for optional arguments, and refuses unknown config keys", async (t) => {
    const server = (await serve(t)).reply({ json: [] });
    const client = clientFor(server);
    const listed = await run(client, "list_runs", { agent: null, limit: null });
    assert.deepEqual(listed, { isError: false, body: { items: [] }, text: "[]" });
    assert.equal(server.only().url, "/api/v1/runs?limit=20");
    const bad = await run(client, "update_agent_config", { name: "x", config: { model: "gpt" } });
    assert.deepEqual(bad.body, {
      error:
        'invalid arguments for update_agent_config: unknown key in config "model" (expected: system_prompt, identity_provider, llm_configs, required_tools, policies)',
    });
    const nested = await run(client, "deploy_agent", {
      agent_name: "x",
      image: "i",
      tools_to_create: [{ name: "t" }],
    });
    assert.deepEqual(nested.body, {
      error: "invalid arguments for deploy_agent: tools_to_create[0].base_url is required",
    });
    assert.equal(server.requests.length, 1);
  });

  it("turns timeouts into tool errors: a request past its deadline, a run that does not finish", async (t) => {
    const server = (await serve(t)).reply(
      { hang: true },
      { json: { id: "run-1", status: "PAUSED_APPROVAL" } },
    );
    const slow = await run(clientFor(server, { timeoutMs: 50 }), "get_run", { run_id: "run-1" });
    assert.deepEqual(slow.body, { error: "request timed out after 50 ms" });
    const waited = await run(clientFor(server), "wait_for_run", { run_id: "run-1", timeout_seconds: 0 });
    assert.deepEqual(waited, {
      isError: true,
      body: { error: "timed out waiting for run 'run-1' to finish" },
      text: JSON.stringify({ error: "timed out waiting for run 'run-1' to finish" }, null, 2),
    });
  });
});
