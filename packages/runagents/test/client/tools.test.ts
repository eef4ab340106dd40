import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Tool } from "../../src/index.js";
import { clientFor, serve } from "../helpers/recording-server.js";

const NESTED_TOOL = {
  name: "crm",
  namespace: "default",
  spec: {
    description: "CRM API",
    connection: {
      topology: "External",
      baseUrl: "https://api.crm.com",
      port: 443,
      scheme: "HTTPS",
      authentication: { type: "APIKey" },
    },
    governance: { accessControl: { mode: "Restricted" } },
    capabilities: [{ name: "read", method: "GET", path: "/contacts*", riskTags: ["pii"] }],
  },
  status: { phase: "Available" },
};
const FLAT_TOOL = {
  name: "crm",
  namespace: "default",
  description: "CRM API",
  base_url: "https://api.crm.com",
  auth_type: "APIKey",
  topology: "External",
  access_mode: "Restricted",
  capabilities: [{ name: "read", method: "GET", path: "/contacts*", risk_tags: ["pii"] }],
  status: "Available",
};
const TOOL: Tool = {
  name: "crm",
  namespace: "default",
  description: "CRM API",
  baseUrl: "https://api.crm.com",
  authType: "APIKey",
  topology: "External",
  accessMode: "Restricted",
  capabilities: [{ name: "read", method: "GET", path: "/contacts*", description: "", riskTags: ["pii"] }],
  status: "Available",
};

describe("tools", () => {
  test("list and get parse the nested and flat shapes alike", async (t) => {
    const server = await serve(t);
    server.reply({ json: [NESTED_TOOL, FLAT_TOOL] }, { json: NESTED_TOOL }, { json: "nope" });
    const client = clientFor(server);
    assert.deepEqual(await client.tools.list(), [TOOL, TOOL]);
    assert.deepEqual(await client.tools.get("crm"), TOOL);
    assert.deepEqual(await client.tools.list(), []);
    assert.deepEqual(server.calls(), ["GET /api/v1/tools", "GET /api/v1/tools/crm", "GET /api/v1/tools"]);
  });

  test("create sends the flat body with all six keys and their defaults", async (t) => {
    const server = await serve(t);
    server.reply({ status: 201, json: NESTED_TOOL });
    const tool = await clientFor(server).tools.create({ name: "crm", baseUrl: "https://api.crm.com" });
    assert.deepEqual(tool, TOOL);
    const request = server.only();
    assert.equal(`${request.method} ${request.url}`, "POST /api/v1/tools");
    assert.deepEqual(request.json, {
      name: "crm",
      base_url: "https://api.crm.com",
      description: "",
      auth_type: "None",
      port: 443,
      scheme: "HTTPS",
    });
  });

  test("create adds capabilities and snake_case credentials only when given", async (t) => {
    const server = await serve(t);
    await clientFor(server).tools.create({
      name: "crm",
      baseUrl: "http://crm.local",
      description: "d",
      authType: "OAuth2",
      port: 8080,
      scheme: "HTTP",
      capabilities: [{ name: "read", method: "GET", path: "/x" }],
      credentials: { clientId: "id", clientSecret: "secret" },
    });
    assert.deepEqual(server.only().json, {
      name: "crm",
      base_url: "http://crm.local",
      description: "d",
      auth_type: "OAuth2",
      port: 8080,
      scheme: "HTTP",
      capabilities: [{ name: "read", method: "GET", path: "/x" }],
      credentials: { client_id: "id", client_secret: "secret" },
    });
  });

  test("delete, probe and test send the documented requests and parse ProbeResult", async (t) => {
    const server = await serve(t);
    const probe = { reachable: true, status_code: 401, latency_ms: 12 };
    server.reply({ json: { status: "deleted" } }, { json: probe }, { json: probe });
    const client = clientFor(server);
    assert.deepEqual(await client.tools.delete("crm"), { status: "deleted" });
    assert.deepEqual(await client.tools.probe("https://api.crm.com"), {
      reachable: true,
      statusCode: 401,
      latencyMs: 12,
    });
    assert.deepEqual(await client.tools.test("crm"), { reachable: true, statusCode: 401, latencyMs: 12 });
    assert.deepEqual(server.calls(), [
      "DELETE /api/v1/tools/crm",
      "POST /api/v1/tools/probe",
      "POST /api/v1/tools/crm/test",
    ]);
    assert.deepEqual(server.requests[1]?.json, { url: "https://api.crm.com" });
    assert.equal(server.requests[2]?.body, "");
  });
});
