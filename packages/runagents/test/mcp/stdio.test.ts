/**
 * `runagents-mcp` as an assistant runs it: a child process on stdio, driven by the MCP SDK's own
 * Client, configured from `$HOME/.runagents/config.json` (the API key) and `RUNAGENTS_ENDPOINT`,
 * talking to a real platform.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "../../src/index.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { catalogueProblems, PARAMETERS } from "./catalogue.js";
import { call, type McpProcess, spawnMcp } from "./harness.js";

type Json = Record<string, any>;
const VERSION = (createRequire(import.meta.url)("runagents/package.json") as { version: string }).version;
const AGENT_SOURCE = `export async function handler(request: { message?: string }) {
  return { response: \`hello, \${request.message ?? "world"}\` };
}
`;

describe("runagents-mcp over stdio against a real platform", { timeout: 60_000 }, () => {
  let platform: TestPlatform;
  let home: string;
  let server: McpProcess;
  let typed: Client;
  let keySubject = "";

  before(async () => {
    platform = await startTestPlatform();
    const key = await platform.call("POST", "/auth/api-keys", { name: "mcp-stdio", role: "admin" });
    assert.equal(key.status, 201, key.text);
    const token = (key.json as Json).token as string;
    keySubject = `key:${(key.json as Json).key.id}`;
    home = mkdtempSync(join(tmpdir(), "runagents-mcp-home-"));
    mkdirSync(join(home, ".runagents"), { mode: 0o700 });
    writeFileSync(join(home, ".runagents", "config.json"), JSON.stringify({ api_key: token }), {
      mode: 0o600,
    });
    server = await spawnMcp({ HOME: home, RUNAGENTS_ENDPOINT: platform.url });
    typed = new Client({ endpoint: platform.url, apiKey: token, namespace: "default" });
  });
  after(async () => {
    await server?.close();
    await platform?.destroy();
    rmSync(home, { recursive: true, force: true });
  });

  it("introduces itself as RunAgents with instructions, and logs to stderr only", async () => {
    assert.deepEqual(server.mcp.getServerVersion(), { name: "RunAgents", version: VERSION });
    const instructions = server.mcp.getInstructions() ?? "";
    assert.match(instructions, /^RunAgents platform server: deploy AI agents/);
    assert.match(instructions, /Read-only tools .* are always safe to call/);
    assert.deepEqual(server.mcp.getServerCapabilities(), { tools: {} });
    const stderr = await server.stderrIncludes("serving");
    assert.match(stderr, /^runagents-mcp: serving 48 tools over stdio\n/);
  });

  it("lists the 43 reference tools plus invoke_agent, get_agent_logs, evaluate_policy, list_approval_requests and list_consents", async () => {
    const { tools } = await server.mcp.listTools();
    assert.equal(tools.length, 48);
    assert.deepEqual(tools.map((t) => t.name).sort(), Object.keys(PARAMETERS).sort());
    assert.deepEqual(catalogueProblems(tools), []);
    const deploy = tools.find((t) => t.name === "deploy_agent");
    assert.deepEqual(deploy?.inputSchema.properties?.source_files, {
      type: "object",
      description: 'Agent source: file path -> file content, e.g. {"agent.ts": "..."}.',
      additionalProperties: { type: "string" },
    });
    const approve = tools.find((t) => t.name === "approve_request");
    assert.deepEqual(approve?.annotations, {
      title: "Approve a request",
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
      openWorldHint: false,
    });
  });

  it("deploys an agent from source files and shows it through the typed Client", async () => {
    const deployed = await call(server.mcp, "deploy_agent", {
      agent_name: "mcp-hello",
      source_files: { "agent.ts": AGENT_SOURCE },
      system_prompt: "Be brief.",
      required_tools: ["echo-tool"],
    });
    assert.equal(deployed.isError, false, JSON.stringify(deployed.body));
    assert.equal(deployed.body.agentName, "mcp-hello");
    assert.equal(deployed.body.namespace, "default");
    assert.equal(deployed.body.status, "created");
    assert.match(deployed.body.message, /^agent "mcp-hello" created/);
    const agent = await typed.agents.get("mcp-hello");
    assert.equal(agent.systemPrompt, "Be brief.");
    assert.deepEqual(agent.requiredTools, ["echo-tool"]);
    const listed = await call(server.mcp, "list_agents");
    assert.deepEqual(
      listed.body.items.map((a: Json) => a.name),
      ["mcp-hello"],
    );
    await server.stderrIncludes(`runagents-mcp: platform API at ${platform.url}/api/v1\n`);
  });

  it("seeds the starter kit once, then reports nothing new", async () => {
    const first = await call(server.mcp, "seed_starter_kit");
    assert.equal(first.isError, false, JSON.stringify(first.body));
    assert.deepEqual(first.body.tools_created, ["echo-tool"]);
    assert.deepEqual(first.body.model_providers_created, ["playground-llm"]);
    const again = await call(server.mcp, "seed_starter_kit");
    assert.deepEqual([again.body.tools_created, again.body.model_providers_created], [[], []]);
    const tools = await call(server.mcp, "list_tools");
    assert.deepEqual(
      tools.body.items.map((t: Json) => t.name),
      ["echo-tool"],
    );
  });

  it("finds a paused run and approves its request with scope run and a reason", async () => {
    const run = (await typed.post("/runs", { agent_id: "mcp-hello", user_id: "dana" })) as Json;
    const action = (await typed.post(`/runs/${run.id}/actions`, {
      tool_id: "echo-tool",
      capability: "echo",
    })) as Json;
    const runs = await call(server.mcp, "list_runs", { agent: "mcp-hello" });
    assert.deepEqual(
      runs.body.items.map((r: Json) => [r.id, r.status, r.userId, r.blockedActionId]),
      [[run.id, "PAUSED_APPROVAL", "dana", action.action_id]],
    );
    const required = await call(server.mcp, "get_run_events", {
      run_id: run.id,
      event_type: "approval_required",
    });
    assert.equal(required.body.items.length, 1);
    assert.equal(required.body.items[0].data.request_id, action.request_id);

    const approved = await call(server.mcp, "approve_request", {
      request_id: action.request_id,
      scope: "run",
      reason: "Reviewed by ops",
    });
    assert.equal(approved.isError, false, JSON.stringify(approved.body));
    assert.equal(approved.body.status, "APPROVED");

    const request = await typed.approvals.get(action.request_id);
    assert.deepEqual(
      [request.status, request.scope, request.reason, request.approverId, request.runId],
      ["APPROVED", "run", "Reviewed by ops", keySubject, run.id],
    );
    const blocked = (await typed.get(`/runs/${run.id}/actions/${action.action_id}`)) as Json;
    assert.equal(blocked.status, "APPROVED");
    const timeline = await typed.runs.timeline(run.id);
    assert.equal(timeline.find((e) => e.type === "APPROVED")?.summary, `Approved by ${keySubject}`);

    const twice = await call(server.mcp, "approve_request", { request_id: action.request_id });
    assert.deepEqual(twice.body, {
      error: "HTTP 409",
      detail: { error: `request ${action.request_id} is APPROVED, not PENDING` },
    });
  });

  it("returns a missing agent as a tool error with the 404 detail, and keeps serving", async () => {
    const missing = await call(server.mcp, "get_agent", { name: "no-such-agent" });
    assert.equal(missing.isError, true);
    assert.deepEqual(missing.body, { error: "HTTP 404", detail: { error: "agent no-such-agent not found" } });
    const logs = await call(server.mcp, "get_agent_logs", { name: "no-such-agent" });
    assert.equal(logs.isError, true);
    assert.equal(logs.body.error, "HTTP 404");
    const still = await call(server.mcp, "get_agent", { name: "mcp-hello" });
    assert.equal(still.isError, false);
    assert.equal(still.body.name, "mcp-hello");
    await server.stderrIncludes(
      'runagents-mcp: get_agent failed: HTTP 404: {"error":"agent no-such-agent not found"}\n',
    );
  });

  it("answers bad arguments and client-side validation failures with tool errors", async () => {
    const cases: [string, Json, string][] = [
      ["get_agent", {}, "invalid arguments for get_agent: name is required"],
      ["get_agent", { name: "  " }, "invalid arguments for get_agent: name must be a non-empty string"],
      [
        "list_runs",
        { limit: "5", agnt: "x" },
        'invalid arguments for list_runs: limit must be an integer; got string; unknown argument "agnt" (expected: agent, status, user, conversation, limit)',
      ],
      [
        "approve_request",
        { request_id: "r", scope: "forever" },
        'invalid arguments for approve_request: scope must be one of once, run, window; got "forever"',
      ],
      [
        "deploy_agent",
        { agent_name: "x" },
        "provide exactly one deploy source: source_files, image, draft_id, or artifact_id",
      ],
      [
        "approve_request",
        { request_id: "r", scope: "once", duration: "1h" },
        "duration can only be used with scope window",
      ],
      ["update_agent_config", { name: "mcp-hello", config: {} }, "at least one field must be provided"],
    ];
    for (const [tool, args, error] of cases) {
      const result = await call(server.mcp, tool, args);
      assert.deepEqual(result, { isError: true, body: { error } }, tool);
    }
    await assert.rejects(server.mcp.callTool({ name: "no_such_tool", arguments: {} }), {
      code: -32602,
      message: 'MCP error -32602: unknown tool "no_such_tool"; tools/list names the 48 tools',
    });
    assert.deepEqual(server.errors, []);
  });
});
