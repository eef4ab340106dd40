/**
 * The MCP server over Streamable HTTP at /api/v1/mcp, driven by the MCP SDK's own Client and
 * StreamableHTTPClientTransport: the same tools as `runagents-mcp`, authorized by the caller's API
 * key exactly like the REST API, in the default workspace and the workspace form.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client as McpClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { Client } from "runagents";
import { MCP_TOOLS, toListing } from "runagents/mcp";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { rawRequest } from "../helpers/raw-request.js";

type Json = Record<string, any>;
const JSON_AND_SSE = "application/json, text/event-stream";
const INITIALIZE = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};

async function call(
  mcp: McpClient,
  name: string,
  args: Json = {},
): Promise<{ isError: boolean; body: Json }> {
  const result = (await mcp.callTool({ name, arguments: args })) as Json;
  const parsed = JSON.parse(result.content[0].text);
  assert.equal(result.content[0].text, JSON.stringify(parsed, null, 2));
  assert.deepEqual(result.structuredContent, Array.isArray(parsed) ? { items: parsed } : parsed);
  return { isError: result.isError === true, body: result.structuredContent as Json };
}

describe("MCP over Streamable HTTP", () => {
  let platform: TestPlatform;
  let token = "";
  let keyId = "";
  const clients: McpClient[] = [];
  const connect = async (path = "/mcp", headers: Record<string, string> = {}): Promise<McpClient> => {
    const transport = new StreamableHTTPClientTransport(new URL(`${platform.api}${path}`), {
      requestInit: { headers },
    });
    const mcp = new McpClient({ name: "runagents-http-test", version: "1.0.0" });
    await mcp.connect(transport);
    clients.push(mcp);
    return mcp;
  };
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    platform.call("POST", "/mcp", body, { Accept: JSON_AND_SSE, "X-RunAgents-API-Key": token, ...headers });

  before(async () => {
    platform = await startTestPlatform({ config: { maxBodyBytes: 64 * 1024 } });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await platform.destroy();
  });

  it("serves a caller with an API key the runagents-mcp tools", async () => {
    const mcp = await connect("/mcp", platform.authHeaders);
    assert.equal(mcp.getServerVersion()?.name, "RunAgents");
    assert.match(mcp.getInstructions() ?? "", /^RunAgents platform server/);
    const { tools } = await mcp.listTools();
    assert.equal(tools.length, 48);
    assert.deepEqual(
      tools.map((t) => [t.name, t.title, t.description, t.annotations]),
      MCP_TOOLS.map(toListing).map((t) => [t.name, t.title, t.description, t.annotations]),
    );
    assert.deepEqual(tools.find((t) => t.name === "get_agent")?.inputSchema, {
      type: "object",
      properties: { name: { type: "string", description: "The agent's name.", minLength: 1 } },
      required: ["name"],
      additionalProperties: false,
    });
  });

  it("refuses a caller without a valid API key (401)", async () => {
    const key = await platform.call("POST", "/auth/api-keys", { name: "mcp-http", role: "admin" });
    assert.equal(key.status, 201, key.text);
    token = (key.json as Json).token;
    keyId = (key.json as Json).key.id;
    await assert.rejects(connect(), (err: Json) => {
      assert.equal(err.code, 401);
      assert.match(err.message, /"error":"missing API key: send it in the X-RunAgents-API-Key header"/);
      return true;
    });
    const wrong = await post(INITIALIZE, { "X-RunAgents-API-Key": "ra_ws_wrong" });
    assert.deepEqual([wrong.status, wrong.json], [401, { error: "invalid or expired API key" }]);
  });

  it("deploys, seeds, lists runs and approves a blocked action with the caller's key", async () => {
    const mcp = await connect("/mcp", { "X-RunAgents-API-Key": token });
    const typed = new Client({ endpoint: platform.url, apiKey: token, namespace: "default" });
    const deployed = await call(mcp, "deploy_agent", {
      agent_name: "mcp-web",
      source_files: { "agent.ts": "export async function handler() { return { response: 'hi' }; }\n" },
      required_tools: ["echo-tool"],
    });
    assert.deepEqual(
      [deployed.isError, deployed.body.agentName, deployed.body.status],
      [false, "mcp-web", "created"],
    );
    assert.deepEqual((await typed.agents.get("mcp-web")).requiredTools, ["echo-tool"]);

    const seeded = await call(mcp, "seed_starter_kit");
    assert.deepEqual(seeded.body.tools_created, ["echo-tool"]);

    const run = (await typed.post("/runs", { agent_id: "mcp-web", user_id: "eve" })) as Json;
    const action = (await typed.post(`/runs/${run.id}/actions`, { tool_id: "echo-tool" })) as Json;
    const runs = await call(mcp, "list_runs", { status: "PAUSED_APPROVAL" });
    assert.deepEqual(
      runs.body.items.map((r: Json) => r.id),
      [run.id],
    );
    const approved = await call(mcp, "approve_request", {
      request_id: action.request_id,
      scope: "run",
      reason: "Checked over HTTP",
    });
    assert.equal(approved.body.status, "APPROVED");
    const request = await typed.approvals.get(action.request_id);
    assert.deepEqual(
      [request.status, request.scope, request.reason, request.approverId],
      ["APPROVED", "run", "Checked over HTTP", `key:${keyId}`],
    );

    const missing = await call(mcp, "get_agent", { name: "no-such-agent" });
    assert.deepEqual(missing, {
      isError: true,
      body: { error: "HTTP 404", detail: { error: "agent no-such-agent not found" } },
    });
    assert.equal((await call(mcp, "get_agent", { name: "mcp-web" })).body.name, "mcp-web");
  });

  it("tags the tools' own API calls with the MCP request's id", async () => {
    const mcp = await connect("/mcp", { "X-RunAgents-API-Key": token });
    await call(mcp, "get_agent_config", { name: "mcp-web" });
    const lines = platform.logs.map((l) => JSON.parse(l) as Json).filter((l) => l.msg === "request");
    const inner = lines.findLast((l) => l.path === "/api/v1/agents/mcp-web/config");
    assert.ok(inner);
    const outer = lines.filter((l) => l.request_id === inner.request_id).map((l) => `${l.method} ${l.path}`);
    assert.deepEqual(outer, ["GET /api/v1/agents/mcp-web/config", "POST /api/v1/mcp"]);
  });

  it("serves the workspace form against that workspace only", async () => {
    const mcp = await connect("/workspaces/team-a/mcp", { "X-RunAgents-API-Key": token });
    const deployed = await call(mcp, "deploy_agent", {
      agent_name: "ws-agent",
      image: "registry.example/ws:1",
    });
    assert.deepEqual([deployed.body.namespace, deployed.body.status], ["team-a", "created"]);
    const inTeam = await platform.call("GET", "/workspaces/team-a/agents/ws-agent", undefined, {
      "X-RunAgents-API-Key": token,
    });
    assert.equal(inTeam.status, 200);
    const inDefault = await call(await connect("/mcp", { "X-RunAgents-API-Key": token }), "get_agent", {
      name: "ws-agent",
    });
    assert.equal(inDefault.body.error, "HTTP 404");
  });

  it("answers a raw JSON-RPC request with a JSON response", async () => {
    const res = await post({ jsonrpc: "2.0", id: 7, method: "tools/list" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal((res.json as Json).id, 7);
    assert.equal((res.json as Json).result.tools.length, 48);
  });

  it("rejects malformed HTTP requests with a JSON error", async () => {
    const notRpc =
      "the body must be a JSON-RPC 2.0 message (or a non-empty array of them): a request, notification or response";
    const versions = SUPPORTED_PROTOCOL_VERSIONS.join(", ");
    const key = { "X-RunAgents-API-Key": token };
    const cases: [string, () => Promise<{ status: number; json: unknown }>, number, string][] = [
      [
        "no Accept",
        () => platform.call("POST", "/mcp", INITIALIZE, key),
        406,
        "the Accept header must list both application/json and text/event-stream",
      ],
      [
        "text body",
        () => post(JSON.stringify(INITIALIZE), { "Content-Type": "text/plain" }),
        415,
        "Content-Type must be application/json",
      ],
      ["malformed JSON", () => post('{"jsonrpc": '), 400, "invalid JSON body: Unexpected end of JSON input"],
      ["{}", () => post({}), 400, notRpc],
      ["[]", () => post([]), 400, notRpc],
      [
        "bad version",
        () => post(INITIALIZE, { "MCP-Protocol-Version": "1999-01-01" }),
        400,
        `unsupported MCP protocol version "1999-01-01"; supported: ${versions}`,
      ],
      [
        // The platform may answer and close before the whole body is written: node:http, not fetch.
        "oversized",
        () =>
          rawRequest(
            platform.url,
            "POST",
            "/api/v1/mcp",
            JSON.stringify({ ...INITIALIZE, pad: "x".repeat(65536) }),
            {
              Accept: JSON_AND_SSE,
              ...key,
            },
          ),
        413,
        "request body too large: the limit is 65536 bytes",
      ],
    ];
    for (const [label, send, status, error] of cases) {
      const res = await send();
      assert.deepEqual([res.status, res.json], [status, { error }], label);
    }
    for (const method of ["GET", "DELETE"]) {
      const res = await platform.call(method, "/mcp", undefined, {
        Accept: "text/event-stream",
        "X-RunAgents-API-Key": token,
      });
      assert.equal(res.status, 405, method);
      assert.equal(res.headers.get("allow"), "POST");
      assert.deepEqual(res.json, {
        error: `method ${method} not allowed on the MCP endpoint: it is stateless (no server stream, no sessions); send JSON-RPC messages with POST`,
      });
    }
  });
});
