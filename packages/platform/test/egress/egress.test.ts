import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { rawRequest } from "../helpers/raw-request.js";
import { call, events, governedAgent, newRun, sha256, startToolServer, type ToolServer } from "./helpers.js";

describe("egress: policy decisions and forwarding", () => {
  let platform: TestPlatform;
  let tool: ToolServer;
  let crm: string;
  let token: string;

  before(async () => {
    platform = await startTestPlatform();
    tool = await startToolServer();
    const agent = await governedAgent(platform, {
      agent: "crm-agent",
      tool: {
        name: "crm",
        spec: {
          connection: { baseUrl: `${tool.url}/api` },
          capabilities: [
            { name: "read-contacts", method: "GET", path: "/api/contacts" },
            { name: "create-contact", method: "POST", path: "/api/contacts" },
            { name: "delete-contact", method: "DELETE", path: "/api/contacts/*" },
            { name: "admin", method: "GET", path: "/api/admin" },
            { name: "stream", method: "GET", path: "/api/stream" },
          ],
        },
      },
      rules: [
        { permission: "allow", resource: `${tool.url}/api/*` },
        { permission: "deny", resource: `${tool.url}/api/admin*` },
        { permission: "deny", resource: "crm", operations: ["PUT"] },
      ],
    });
    crm = agent.egress;
    token = agent.token;
  });
  after(async () => {
    await platform.destroy();
    await tool.close();
  });

  it("forwards an allowed call to the tool and streams its answer back, recording both events", async () => {
    const runId = await newRun(platform, "crm-agent", "alice@example.com");
    const res = await rawRequest(
      platform.url,
      "GET",
      `${new URL(crm).pathname}/contacts?limit=2&q=a%20b`,
      undefined,
      {
        "X-Run-ID": runId,
        "X-End-User-Id": "mallory@example.com",
        Authorization: "Bearer agent-supplied",
        Connection: "keep-alive, X-Hop",
        "X-Hop": "1",
        "Proxy-Authorization": "Basic eA==",
        "X-Custom": "kept",
      },
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { ok: true, path: "/api/contacts" });
    const got = tool.received.at(-1);
    assert.equal(got?.method, "GET");
    assert.equal(got?.url, "/api/contacts?limit=2&q=a%20b");
    assert.equal(got?.headers["x-end-user-id"], "alice@example.com", "the run's user, not the agent's claim");
    assert.equal(got?.headers.authorization, undefined);
    assert.equal(got?.headers["x-hop"], undefined);
    assert.equal(got?.headers["proxy-authorization"], undefined);
    assert.equal(got?.headers["x-custom"], "kept");
    assert.equal(got?.headers["x-run-id"], runId);

    const log = await events(platform, runId);
    const request = log.find((e) => e.type === "TOOL_REQUEST");
    const response = log.find((e) => e.type === "TOOL_RESPONSE");
    const url = `${tool.url}/api/contacts?limit=2&q=a%20b`;
    assert.equal(request.actor, "crm-agent");
    assert.equal(request.payload_hash, sha256(""));
    assert.equal(request.data.tool_method, "GET");
    assert.equal(request.data.tool_url, url);
    assert.equal(request.data.capability, "read-contacts");
    assert.equal(request.data.decision, "allow");
    assert.equal(response.data.status_code, 200);
    assert.equal(response.payload_hash, sha256(JSON.stringify({ ok: true, path: "/api/contacts" })));
    assert.ok(response.seq > request.seq);
  });

  it("hashes the request body it forwards, buffered or streamed", async () => {
    const runId = await newRun(platform, "crm-agent");
    const body = JSON.stringify({ name: "Ada" });
    const res = await call(`${crm}/contacts`, {
      method: "POST",
      headers: { "X-Run-ID": runId, "Content-Type": "application/json" },
      body,
    });
    assert.equal(res.status, 200);
    assert.equal(tool.received.at(-1)?.body, body);
    const big = "x".repeat(2 * 1024 * 1024);
    const streamed = await call(`${crm}/contacts`, {
      method: "POST",
      headers: { "X-Run-ID": runId },
      body: new Blob([big]).stream(),
      duplex: "half",
    } as RequestInit);
    assert.equal(streamed.status, 200);
    assert.equal(tool.received.at(-1)?.body.length, big.length);
    const log = await events(platform, runId);
    const requests = log.filter((e) => e.type === "TOOL_REQUEST");
    const responses = log.filter((e) => e.type === "TOOL_RESPONSE");
    assert.equal(requests[0].payload_hash, sha256(body));
    assert.equal(requests[1].payload_hash, "", "a streamed body's hash is known only once it has gone out");
    assert.equal(responses[1].data.request_payload_hash, sha256(big));
  });

  it("streams the tool's answer as it comes", async () => {
    let finish: () => void = () => undefined;
    tool.routes.set("/api/stream", (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.write("first;");
      finish = () => res.end("last");
    });
    const res = await fetch(`${crm}/stream`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), "first;", "arrives before the tool has finished");
    finish();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      rest += new TextDecoder().decode(chunk.value);
    }
    assert.equal(rest, "last");
  });

  it("denies a call a deny rule matches, with the rule as the reason, and never calls the tool", async () => {
    const runId = await newRun(platform, "crm-agent");
    const before = tool.received.length;
    const res = await call(`${crm}/admin`, { headers: { "X-Run-ID": runId } });
    assert.equal(res.status, 403);
    assert.deepEqual(res.json, {
      error: "operation denied",
      code: "POLICY_DENIED",
      tool: "crm",
      reason: `denied by policy crm-agent-policy rule 1 (deny * ${tool.url}/api/admin*)`,
      method: "GET",
      url: `${tool.url}/api/admin`,
      rule: {
        policy: "crm-agent-policy",
        index: 1,
        permission: "deny",
        operations: [],
        resource: `${tool.url}/api/admin*`,
      },
    });
    const byName = await call(`${crm}/contacts`, { method: "PUT", body: "{}" });
    assert.equal(byName.status, 403);
    assert.equal(byName.json.reason, "denied by policy crm-agent-policy rule 2 (deny PUT crm)");
    assert.equal(tool.received.length, before);
    const log = await events(platform, runId);
    assert.deepEqual(
      log.map((e) => [e.type, e.data.decision ?? e.data.status_code]),
      [
        ["RUN_CREATED", undefined],
        ["TOOL_REQUEST", "deny"],
        ["TOOL_DENIED", "deny"],
      ],
    );
    const denied = log.at(-1);
    assert.equal(denied.data.code, "POLICY_DENIED");
    assert.equal(denied.data.tool_method, "GET");
    assert.equal(denied.data.tool_url, `${tool.url}/api/admin`);
    assert.deepEqual(denied.data.rule, res.json.rule);
  });

  it("denies by default what no rule allows, and everything for an agent without policies", async () => {
    const allowed = await call(`${crm}/contacts`);
    assert.equal(allowed.status, 200, "the allow rule covers /api/*");
    const outside = await governedAgent(platform, {
      agent: "outside-agent",
      tool: { name: "outside", spec: { connection: { baseUrl: `${tool.url}/elsewhere` } } },
      rules: [{ permission: "allow", resource: `${tool.url}/api/*` }],
    });
    const res = await call(`${outside.egress}/x`);
    assert.equal(res.status, 403);
    assert.equal(res.json.code, "POLICY_DENIED");
    assert.equal(
      res.json.reason,
      `no rule of the agent's policies (outside-agent-policy) allows GET ${tool.url}/elsewhere/x: default deny`,
    );
    const unbound = await governedAgent(platform, {
      agent: "unbound-agent",
      tool: { name: "unbound", spec: { connection: { baseUrl: tool.url } } },
    });
    const none = await call(`${unbound.egress}/x`);
    assert.equal(none.status, 403);
    assert.equal(none.json.reason, "no policy is bound to agent unbound-agent: default deny");
  });

  it("denies an allowed call outside the tool's capabilities", async () => {
    const before = tool.received.length;
    const res = await call(`${crm}/contacts`, { method: "PATCH", body: "{}" });
    assert.equal(res.status, 403);
    assert.equal(res.json.error, "operation not permitted");
    assert.equal(res.json.code, "CAPABILITY_DENIED");
    assert.match(
      res.json.reason,
      /^tool crm has no capability for PATCH \/api\/contacts \(declared: GET \/api\/contacts, /,
    );
    const deleteOk = await call(`${crm}/contacts/42`, { method: "DELETE" });
    assert.equal(deleteOk.status, 200, "a '*' capability path covers what is below it");
    assert.equal(tool.received.length, before + 1);
  });

  it("answers 504 JSON when the tool does not answer in time, 502 when it is unreachable", async () => {
    tool.routes.set("/api/slow", () => undefined); // never answers
    const slowpoke = await governedAgent(platform, {
      agent: "slow-agent",
      tool: { name: "slowpoke", spec: { connection: { baseUrl: `${tool.url}/api`, timeoutSeconds: 0.3 } } },
      rules: [{ permission: "allow" }],
    });
    const slow = await call(`${slowpoke.egress}/slow`);
    assert.equal(slow.status, 504);
    assert.deepEqual(slow.json, {
      error: "tool slowpoke did not answer within 0.3s",
      code: "UPSTREAM_TIMEOUT",
      tool: "slowpoke",
    });
    const dead = await governedAgent(platform, {
      agent: "dead-agent",
      tool: { name: "dead", spec: { connection: { baseUrl: "http://127.0.0.1:9" } } },
      rules: [{ permission: "allow" }],
    });
    const res = await call(`${dead.egress}/x`);
    assert.equal(res.status, 502);
    assert.deepEqual(res.json, {
      error: "tool dead is unreachable: ECONNREFUSED",
      code: "UPSTREAM_UNAVAILABLE",
      tool: "dead",
    });
  });

  it("refuses unknown tokens, unknown tools and dot segments", async () => {
    const bad = await call(`${platform.url}/egress/ra_agt_${"A".repeat(32)}/crm/contacts`);
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.json, { error: "invalid or revoked agent token" });
    const unknown = await call(`${platform.url}/egress/${token}/nope/x`);
    assert.equal(unknown.status, 403);
    assert.deepEqual(unknown.json, {
      error: "operation denied",
      code: "POLICY_DENIED",
      tool: "nope",
      reason: "tool nope is not registered",
    });
    const dots = await rawRequest(platform.url, "GET", `/egress/${token}/crm/%2e%2e/admin`);
    assert.equal(dots.status, 400);
    assert.deepEqual(dots.json, { error: "the tool path must not contain . or .. segments" });
  });

  it("does not record calls on a run of another agent", async () => {
    const foreign = await newRun(platform, "someone-else");
    const res = await call(`${crm}/contacts`, { headers: { "X-Run-ID": foreign } });
    assert.equal(res.status, 200);
    assert.deepEqual(
      (await events(platform, foreign)).map((e) => e.type),
      ["RUN_CREATED"],
    );
  });
});
