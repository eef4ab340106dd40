import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Client } from "../../src/index.js";
import { clientFor, serve } from "../helpers/recording-server.js";

describe("Client construction", () => {
  test("normalises the endpoint to its /api/v1 base and keeps the configured endpoint", () => {
    const client = new Client({ endpoint: "http://localhost:8092/", apiKey: "", namespace: "default" });
    assert.equal(client.endpoint, "http://localhost:8092");
    assert.equal(client.baseUrl, "http://localhost:8092/api/v1");
    assert.equal(client.namespace, "default");
    assert.equal(String(client), "Client(endpoint='http://localhost:8092')");
  });

  test("addresses a non-default namespace as /api/v1/workspaces/{namespace}", () => {
    const client = new Client({ endpoint: "https://acme.runagents.io", apiKey: "", namespace: "rev ops" });
    assert.equal(client.baseUrl, "https://acme.runagents.io/api/v1/workspaces/rev%20ops");
  });

  test("keeps a workspace already named by the endpoint", () => {
    const client = new Client({
      endpoint: "https://acme.runagents.io/workspaces/revops",
      apiKey: "",
      namespace: "x",
    });
    assert.equal(client.baseUrl, "https://acme.runagents.io/api/v1/workspaces/revops");
  });

  test("reads endpoint, key and namespace from the config location when not given", () => {
    const env = {
      RUNAGENTS_ENDPOINT: "https://env.example.com",
      RUNAGENTS_NAMESPACE: "team",
      RUNAGENTS_CONFIG_DIR: "/nonexistent-dir",
    };
    const client = new Client({ config: { env } });
    assert.equal(client.baseUrl, "https://env.example.com/api/v1/workspaces/team");
  });

  test("refuses an endpoint that is no http(s) URL with a ConfigError saying what is wrong", () => {
    const cases: [string, string][] = [
      ["127.0.0.1:18300", 'http:// is missing (use "http://127.0.0.1:18300")'],
      ["localhost:8092", 'http:// is missing (use "http://localhost:8092")'],
      ["ftp://files.example.com", "use an http:// or https:// URL"],
      ["http://exa mple.com", "not a valid URL"],
    ];
    for (const [endpoint, problem] of cases) {
      assert.throws(() => new Client({ endpoint, apiKey: "", namespace: "default" }), {
        name: "ConfigError",
        message: `invalid endpoint "${endpoint}": ${problem}`,
      });
    }
  });
});

describe("path encoding", () => {
  test("percent-encodes every path segment, including '/', spaces and '?'", async (t) => {
    const server = await serve(t);
    const client = clientFor(server);
    const name = "a/b c?d#e%";
    await client.agents.get(name);
    await client.tools.get(name);
    await client.runs.get(name);
    await client.policies.delete(name);
    await client.approvals.approve(name);
    await client.approvalConnectors.get(name);
    await client.identityProviders.get(name);
    await client.models.get(name);
    const encoded = "a%2Fb%20c%3Fd%23e%25";
    assert.deepEqual(server.calls(), [
      `GET /api/v1/agents/${encoded}`,
      `GET /api/v1/tools/${encoded}`,
      `GET /api/v1/runs/${encoded}`,
      `DELETE /api/v1/policies/${encoded}`,
      `POST /api/v1/approvals/requests/${encoded}/approve`,
      `GET /api/v1/approval-connectors/${encoded}`,
      `GET /api/v1/identity-providers/${encoded}`,
      `GET /api/v1/model-providers/${encoded}`,
    ]);
  });
});

describe("agents.get(namespace, name)", () => {
  test("selects the workspace named by the first argument", async (t) => {
    const server = await serve(t);
    const client = clientFor(server);
    await client.agents.get("team-x", "bot");
    await client.agents.get("default", "bot");
    await client.agents.get("bot");
    assert.deepEqual(server.calls(), [
      "GET /api/v1/workspaces/team-x/agents/bot",
      "GET /api/v1/agents/bot",
      "GET /api/v1/agents/bot",
    ]);
  });

  test("replaces the client's own workspace, and 'default' leaves the workspace path", async (t) => {
    const server = await serve(t);
    const client = clientFor(server, { namespace: "ops" });
    await client.agents.get("ops", "bot");
    await client.agents.get("sales", "bot");
    await client.agents.get("default", "bot");
    assert.deepEqual(server.calls(), [
      "GET /api/v1/workspaces/ops/agents/bot",
      "GET /api/v1/workspaces/sales/agents/bot",
      "GET /api/v1/agents/bot",
    ]);
  });
});
