/**
 * Verified end users on invoke (sync and stream) and on the MCP endpoint, with a real agent: the
 * run's user is the token's claim, recorded with how it was established; `user_id` in the body is
 * honoured only from an API key created with `actForUsers`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client as McpClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { Client } from "runagents";
import { startAgentPlatform } from "../deploy/helpers.js";
import type { TestPlatform } from "../helpers/platform.js";
import { type JwksServer, makeKey, mint, providerDoc, startJwksServer, type TestKey } from "./idp.js";

type Json = Record<string, any>;

const WHO_AGENT = `export async function handler(request: { message: string; user_id?: string }) {
  return { response: \`hi \${request.user_id}\`, user: request.user_id ?? "" };
}
`;

describe("verified end users on invoke", () => {
  let p: TestPlatform;
  let jwks: JwksServer;
  let key: TestKey;
  let admin: Client;
  let adminToken = "";
  let serviceToken = "";
  let serviceId = "";
  let plainToken = "";
  const withKey = (token: string) => ({ "X-RunAgents-API-Key": token });

  before(async () => {
    key = makeKey("k1", "RS256");
    jwks = await startJwksServer([key]);
    p = await startAgentPlatform();
    const created = await p.call("POST", "/auth/api-keys", { name: "admin", role: "admin" });
    adminToken = (created.json as Json).token;
    admin = new Client({ endpoint: p.url, apiKey: adminToken });
    await admin.agents.deploy({
      name: "who",
      sourceFiles: { "agent.ts": WHO_AGENT, "runagents.yaml": "name: who\nentry_point: agent.ts\n" },
    });
    await p.call("POST", "/identity-providers", providerDoc("corp", jwks.uri), withKey(adminToken));
    const service = await p.call(
      "POST",
      "/auth/api-keys",
      { name: "backend", role: "developer", actForUsers: true },
      withKey(adminToken),
    );
    serviceToken = (service.json as Json).token;
    serviceId = (service.json as Json).key.id;
    plainToken = (
      (await p.call("POST", "/auth/api-keys", { name: "ci", role: "developer" }, withKey(adminToken)))
        .json as Json
    ).token;
    await waitForRunning(p, adminToken);
  });
  after(async () => {
    await p.destroy();
    await jwks.close();
  });

  it("runs the agent for the token's user: the run records the claim and jwt:<provider>", async () => {
    const token = await mint(key, { sub: "user-42" });
    const userClient = new Client({ endpoint: p.url, apiKey: "" });
    const reply = await userClient.agents.invoke("who", { message: "hello" }, { userToken: token });
    assert.equal(reply.raw.user, "user-42");
    const run = await admin.runs.get(reply.runId as string);
    assert.equal(run.userId, "user-42");
    assert.equal(run.userAuth, "jwt:corp");
    const events = await p.call("GET", `/runs/${reply.runId}/events`, undefined, withKey(adminToken));
    assert.ok(!events.text.includes(token), "the token is not in the run's events");
    assert.ok(!p.logs.some((l) => l.includes(token)), "nor in the logs");
  });

  it("refuses to send a workspace API key as a user token (Client)", async () => {
    const client = new Client({ endpoint: p.url, apiKey: "" });
    await assert.rejects(client.agents.invoke("who", { message: "x" }, { userToken: plainToken }), {
      name: "RunAgentsValidationError",
      message: "userToken must be an end user's JWT, not a workspace API key",
    });
  });

  it("streams for the token's user too", async () => {
    const token = await mint(key, { sub: "streamer" });
    const userClient = new Client({ endpoint: p.url, apiKey: "" });
    const events: Json[] = [];
    for await (const e of userClient.agents.invokeStream("who", { message: "hi" }, { userToken: token })) {
      events.push(e.data as Json);
    }
    const runId = events.find((e) => e.type === "run")?.run_id as string;
    const run = await admin.runs.get(runId);
    assert.equal(run.userId, "streamer");
    assert.equal(run.userAuth, "jwt:corp");
  });

  it("refuses an end user who names another user in user_id", async () => {
    const res = await p.call(
      "POST",
      "/agents/who/invoke",
      { message: "x", user_id: "someone-else" },
      { Authorization: `Bearer ${await mint(key)}` },
    );
    assert.equal(res.status, 403);
    assert.deepEqual(res.json, {
      error: "user_id cannot be set by an end user: the run's user is the verified claim of the bearer token",
    });
  });

  it("answers 401 to an invoke without a token, before looking at the agent", async () => {
    for (const path of ["/agents/who/invoke", "/agents/no-such-agent/invoke", "/agents/who/invoke/stream"]) {
      const res = await p.call("POST", path, { message: "x" }, withKey(plainToken));
      assert.equal(res.status, 401, path);
      assert.deepEqual(res.json, {
        error: 'end-user token required: send Authorization: Bearer <JWT> from identity provider "corp"',
      });
    }
  });

  it("answers 403 when an API key without actForUsers names the user", async () => {
    const res = await p.call(
      "POST",
      "/agents/who/invoke",
      { message: "x", user_id: "alice" },
      withKey(plainToken),
    );
    assert.equal(res.status, 403);
    assert.deepEqual(res.json, {
      error:
        'API key "ci" may not set user_id: only an API key created with actForUsers may act for users; otherwise send the end user\'s token as Authorization: Bearer <JWT>',
    });
  });

  it("lets a service key with actForUsers act for a user, recorded as service:<key id>", async () => {
    const service = new Client({ endpoint: p.url, apiKey: serviceToken });
    const reply = await service.agents.invoke("who", { message: "x", userId: "alice@example.com" });
    assert.equal(reply.raw.user, "alice@example.com");
    const run = await admin.runs.get(reply.runId as string);
    assert.equal(run.userId, "alice@example.com");
    assert.equal(run.userAuth, `service:${serviceId}`);
    const keys = (await p.call("GET", "/auth/api-keys", undefined, withKey(adminToken))).json as Json[];
    assert.deepEqual(
      keys.map((k) => [k.name, k.actForUsers]),
      [
        ["local-admin", undefined],
        ["admin", undefined],
        ["backend", true],
        ["ci", undefined],
      ],
    );
  });

  it("rejects a non-boolean actForUsers", async () => {
    const res = await p.call(
      "POST",
      "/auth/api-keys",
      { name: "x", actForUsers: "yes" },
      withKey(adminToken),
    );
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, { error: "actForUsers must be a boolean" });
  });

  it("serves the MCP endpoint to an end user: invoke_agent runs as them, management is refused", async () => {
    const token = await mint(key, { sub: "mcp-user" });
    const transport = new StreamableHTTPClientTransport(new URL(`${p.api}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    const mcp = new McpClient({ name: "ingress-test", version: "1.0.0" });
    await mcp.connect(transport);
    try {
      const invoked = (await mcp.callTool({
        name: "invoke_agent",
        arguments: { name: "who", message: "hi" },
      })) as Json;
      assert.notEqual(invoked.isError, true, JSON.stringify(invoked));
      const body = invoked.structuredContent as Json;
      assert.equal(body.raw.user, "mcp-user");
      assert.equal((await admin.runs.get(body.runId)).userAuth, "jwt:corp");
      const listed = (await mcp.callTool({ name: "list_agents", arguments: {} })) as Json;
      assert.equal(listed.isError, true);
      assert.match(JSON.stringify(listed.content), /needs a workspace API key/);
    } finally {
      await mcp.close();
    }
  });

  it("refuses a bad token on the MCP endpoint with the reason", async () => {
    const expired = await mint(key, { exp: Math.floor(Date.now() / 1000) - 3600 });
    const res = await p.call("POST", "/mcp", {}, { Authorization: `Bearer ${expired}` });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { error: "invalid end-user token: token expired" });
  });
});

/** `waitForAgent` with an API key (the platform is keyed once the test made its keys). */
async function waitForRunning(p: TestPlatform, token: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await p.call("GET", "/agents/who", undefined, { "X-RunAgents-API-Key": token });
    if ((res.json as Json)?.status?.phase === "Running") return;
    if (Date.now() > deadline) throw new Error(`agent who did not start: ${res.text}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
