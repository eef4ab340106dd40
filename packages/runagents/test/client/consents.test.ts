import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildOAuthTokenBody, type Consent, type ConsentStatus } from "../../src/client/consents.js";
import { clientFor, serve } from "../helpers/recording-server.js";

const CONSENT = {
  id: "c-1",
  resume_id: "c-1",
  tool: "mail",
  user_id: "alice@example.com",
  run_id: "run-1",
  agent: "mail-agent",
  status: "pending",
  authorization_url: "http://127.0.0.1:1/authorize?client_id=c&state=s.t",
  expires_at: "2030-01-01T01:00:00.000Z",
  granted_at: "",
  created_at: "2030-01-01T00:00:00.000Z",
  updated_at: "2030-01-01T00:00:00.000Z",
};

describe("consents.list", () => {
  test("sends ?status= only when given and parses every field to camelCase", async (t) => {
    const server = await serve(t);
    server.otherwise({ json: [CONSENT] });
    const client = clientFor(server);
    const [first] = await client.consents.list();
    await client.consents.list({ status: "granted" });
    await client.consents.list({ status: " expired " as ConsentStatus });
    await client.consents.list({ status: " " as ConsentStatus });
    assert.deepEqual(server.calls(), [
      "GET /api/v1/consents",
      "GET /api/v1/consents?status=granted",
      "GET /api/v1/consents?status=expired",
      "GET /api/v1/consents",
    ]);
    assert.deepEqual(first, {
      id: "c-1",
      resumeId: "c-1",
      tool: "mail",
      userId: "alice@example.com",
      runId: "run-1",
      agent: "mail-agent",
      status: "pending",
      authorizationUrl: "http://127.0.0.1:1/authorize?client_id=c&state=s.t",
      expiresAt: "2030-01-01T01:00:00.000Z",
      grantedAt: "",
      createdAt: "2030-01-01T00:00:00.000Z",
      updatedAt: "2030-01-01T00:00:00.000Z",
    } satisfies Consent);
  });

  test("is lenient: missing keys become empty strings, resumeId falls back to id, a non-array is []", async (t) => {
    const server = await serve(t);
    server.reply({ json: [{ id: "c-2", tool_id: "drive", user: "bob", agent_id: "a" }, "junk"] });
    server.reply({ json: { error: "not a list" } });
    const client = clientFor(server);
    const [partial, junk] = await client.consents.list();
    assert.equal(partial?.resumeId, "c-2");
    assert.equal(partial?.tool, "drive");
    assert.equal(partial?.userId, "bob");
    assert.equal(partial?.agent, "a");
    assert.equal(partial?.runId, "");
    assert.equal(partial?.authorizationUrl, "");
    assert.equal(junk?.id, "");
    assert.deepEqual(await client.consents.list(), []);
  });

  test("a platform refusal is an APIError carrying the platform's message", async (t) => {
    const server = await serve(t);
    server.reply({
      status: 400,
      json: { error: "query parameter status must be one of pending, granted, expired" },
    });
    await assert.rejects(clientFor(server).consents.list({ status: "PENDING" as ConsentStatus }), {
      name: "APIError",
      status: 400,
      detail: { error: "query parameter status must be one of pending, granted, expired" },
    });
    assert.equal(server.only().url, "/api/v1/consents?status=PENDING");
  });
});

describe("oauthTokens.set", () => {
  test("posts the snake_case body with only the given fields and parses the status document", async (t) => {
    const server = await serve(t);
    server.reply(
      {
        status: 201,
        json: {
          status: "stored",
          tool: "mail",
          user: "alice@example.com",
          shared: false,
          has_access_token: true,
          has_refresh_token: true,
          resumed_runs: 1,
        },
      },
      {
        json: {
          status: "stored",
          tool: "mail",
          user: "",
          shared: true,
          has_access_token: false,
          has_refresh_token: true,
          resumed_runs: 0,
        },
      },
    );
    const client = clientFor(server);
    const stored = await client.oauthTokens.set({
      tool: " mail ",
      user: " alice@example.com ",
      accessToken: "at-1",
      refreshToken: "rt-1",
      expiresIn: 3600,
    });
    const shared = await client.oauthTokens.set({ tool: "mail", user: "", refreshToken: "rt-2" });
    assert.deepEqual(server.calls(), ["POST /api/v1/oauth/tokens", "POST /api/v1/oauth/tokens"]);
    assert.deepEqual(server.requests[0]?.json, {
      tool: "mail",
      user: "alice@example.com",
      access_token: "at-1",
      refresh_token: "rt-1",
      expires_in: 3600,
    });
    assert.deepEqual(server.requests[1]?.json, { tool: "mail", refresh_token: "rt-2" });
    assert.deepEqual(stored, {
      status: "stored",
      tool: "mail",
      user: "alice@example.com",
      shared: false,
      hasAccessToken: true,
      hasRefreshToken: true,
      resumedRuns: 1,
    });
    assert.deepEqual(shared, {
      status: "stored",
      tool: "mail",
      user: "",
      shared: true,
      hasAccessToken: false,
      hasRefreshToken: true,
      resumedRuns: 0,
    });
  });

  test("expires_in 0 is sent; bad input sends nothing", async (t) => {
    assert.deepEqual(buildOAuthTokenBody({ tool: "mail", accessToken: "t", expiresIn: 0 }), {
      tool: "mail",
      access_token: "t",
      expires_in: 0,
    });
    const server = await serve(t);
    const client = clientFor(server);
    const cases: [Parameters<typeof client.oauthTokens.set>[0], string][] = [
      [{ tool: " ", accessToken: "t" }, "tool is required"],
      [{ tool: "mail" }, "accessToken or refreshToken is required"],
      [{ tool: "mail", accessToken: "", refreshToken: "" }, "accessToken or refreshToken is required"],
      [
        { tool: "mail", accessToken: "t", expiresIn: 1.5 },
        "expiresIn must be a whole number of seconds (0 or more)",
      ],
      [
        { tool: "mail", accessToken: "t", expiresIn: -1 },
        "expiresIn must be a whole number of seconds (0 or more)",
      ],
    ];
    for (const [input, message] of cases) {
      await assert.rejects(client.oauthTokens.set(input), { code: "VALIDATION_ERROR", message });
    }
    assert.equal(server.requests.length, 0);
  });
});

describe("oauthTokens.delete", () => {
  test("encodes the tool as one path segment and sends ?user= only when given", async (t) => {
    const server = await serve(t);
    server.otherwise((r) => ({ json: { status: "deleted", tool: "mail", user: r.search ? "alice" : "" } }));
    const client = clientFor(server);
    assert.deepEqual(await client.oauthTokens.delete("mail", { user: " alice@example.com " }), {
      status: "deleted",
      tool: "mail",
      user: "alice",
    });
    assert.deepEqual(await client.oauthTokens.delete("mail"), { status: "deleted", tool: "mail", user: "" });
    await client.oauthTokens.delete("a/b c", { user: " " });
    assert.deepEqual(server.calls(), [
      "DELETE /api/v1/oauth/tokens/mail?user=alice%40example.com",
      "DELETE /api/v1/oauth/tokens/mail",
      "DELETE /api/v1/oauth/tokens/a%2Fb%20c",
    ]);
    assert.equal(server.requests[0]?.body, "");
  });

  test("a blank tool sends nothing; a 404 is an APIError", async (t) => {
    const server = await serve(t);
    const client = clientFor(server);
    await assert.rejects(client.oauthTokens.delete(" "), {
      code: "VALIDATION_ERROR",
      message: "tool is required",
    });
    assert.equal(server.requests.length, 0);
    server.reply({ status: 404, json: { error: "no shared token is stored for tool mail" } });
    await assert.rejects(client.oauthTokens.delete("mail"), { name: "APIError", status: 404 });
  });
});
