import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { authHeaders, encodeQuery, joinUrl, workspaceBaseUrl } from "../../src/client/http.js";
import {
  APIError,
  Client,
  normalizeEndpoint,
  RunAgentsConnectionError,
  RunAgentsError,
  RunAgentsTimeoutError,
} from "../../src/index.js";
import { clientFor, RecordingServer, serve } from "../helpers/recording-server.js";

describe("normalizeEndpoint", () => {
  const rows: [string, string, string][] = [
    ["default endpoint gets /api/v1", "http://localhost:8092", "http://localhost:8092/api/v1"],
    ["trailing slash is removed first", "https://x.try.runagents.io/", "https://x.try.runagents.io/api/v1"],
    [
      "/workspaces/... gets /api/v1 prefixed",
      "https://acme.runagents.io/workspaces/revops",
      "https://acme.runagents.io/api/v1/workspaces/revops",
    ],
    ["exactly /api/v1 is kept", "https://h.example.com/api/v1", "https://h.example.com/api/v1"],
    [
      "/api/v1/ with trailing slashes is kept",
      "https://h.example.com/api/v1///",
      "https://h.example.com/api/v1",
    ],
    [
      "/api/v1/workspaces/... is kept",
      "https://h.example.com/api/v1/workspaces/ops",
      "https://h.example.com/api/v1/workspaces/ops",
    ],
    [
      "any other path gets /api/v1 appended",
      "https://h.example.com/proxy",
      "https://h.example.com/proxy/api/v1",
    ],
    [
      "a deeper /api/v1 path is 'other'",
      "https://h.example.com/api/v1/agents",
      "https://h.example.com/api/v1/agents/api/v1",
    ],
    ["/api is 'other'", "http://h:1/api", "http://h:1/api/api/v1"],
    ["the query is dropped", "https://h.example.com/api/v1?x=1", "https://h.example.com/api/v1"],
    [
      "the fragment is dropped",
      "https://h.example.com/workspaces/a#top",
      "https://h.example.com/api/v1/workspaces/a",
    ],
    ["query on a bare host is dropped", "https://h.example.com?x=1&y=2", "https://h.example.com/api/v1"],
    ["surrounding whitespace is trimmed", "  http://localhost:8092/  ", "http://localhost:8092/api/v1"],
    ["no scheme: unchanged", "localhost:8092", "localhost:8092"],
    [
      "no scheme with a path: unchanged",
      "example.com/api/v1/workspaces/x",
      "example.com/api/v1/workspaces/x",
    ],
    ["empty: unchanged", "", ""],
  ];
  for (const [name, input, expected] of rows) {
    test(`${name}: ${JSON.stringify(input)}`, () => assert.equal(normalizeEndpoint(input), expected));
  }
});

describe("workspaceBaseUrl", () => {
  test("appends /workspaces/{namespace} for a non-default namespace", () => {
    assert.equal(workspaceBaseUrl("http://h/api/v1", "team a"), "http://h/api/v1/workspaces/team%20a");
  });
  test("keeps the base for default or empty namespaces and for endpoints already naming a workspace", () => {
    assert.equal(workspaceBaseUrl("http://h/api/v1", "default"), "http://h/api/v1");
    assert.equal(workspaceBaseUrl("http://h/api/v1", ""), "http://h/api/v1");
    assert.equal(
      workspaceBaseUrl("http://h/api/v1/workspaces/ops", "other"),
      "http://h/api/v1/workspaces/ops",
    );
  });
});

describe("authHeaders", () => {
  test("sends ra_ws_ keys (trimmed) as X-RunAgents-API-Key and nothing else", () => {
    assert.deepEqual(authHeaders("  ra_ws_abc \n"), { "X-RunAgents-API-Key": "ra_ws_abc" });
  });
  test("sends any other key as a Bearer token", () => {
    assert.deepEqual(authHeaders(" jwt.token "), { Authorization: "Bearer jwt.token" });
  });
  test("sends no auth header for an empty or blank key", () => {
    assert.deepEqual(authHeaders(""), {});
    assert.deepEqual(authHeaders("   "), {});
  });
});

describe("joinUrl", () => {
  test("gives the path exactly one leading slash and turns '/' into nothing", () => {
    assert.equal(joinUrl("http://h/api/v1", "agents"), "http://h/api/v1/agents");
    assert.equal(joinUrl("http://h/api/v1", "///agents"), "http://h/api/v1/agents");
    assert.equal(joinUrl("http://h/api/v1", "/"), "http://h/api/v1");
    assert.equal(joinUrl("http://h/api/v1", ""), "http://h/api/v1");
  });
  test("uses http:// and https:// paths as absolute URLs", () => {
    assert.equal(joinUrl("http://h/api/v1", "https://other/x"), "https://other/x");
    assert.equal(joinUrl("http://h/api/v1", "HTTP://other/x", { a: 1 }), "HTTP://other/x?a=1");
  });
  test("form-encodes the query, repeats keys for lists, skips undefined and appends with & after ?", () => {
    assert.equal(
      encodeQuery({ tag: ["a", "b c"], q: "x&y", n: 2, t: true, skip: undefined, nil: null }),
      "tag=a&tag=b+c&q=x%26y&n=2&t=true",
    );
    assert.equal(joinUrl("http://h", "/p?x=1", { y: "2" }), "http://h/p?x=1&y=2");
    assert.equal(joinUrl("http://h", "/p", {}), "http://h/p");
  });
});

describe("transport on the wire", () => {
  test("always sends Content-Type: application/json, the auth header, and never X-Workspace-Namespace", async (t) => {
    const server = await serve(t);
    await clientFor(server, { apiKey: "ra_ws_secret", namespace: "ops" }).get("/agents");
    await clientFor(server, { apiKey: "oidc-token" }).delete("/tools/x");
    await clientFor(server, { apiKey: "" }).post("/starter-kit");
    const [a, b, c] = server.requests;
    assert.equal(a?.headers["content-type"], "application/json");
    assert.equal(a?.headers["x-runagents-api-key"], "ra_ws_secret");
    assert.equal(a?.headers.authorization, undefined);
    assert.equal(a?.url, "/api/v1/workspaces/ops/agents");
    assert.equal(b?.headers["content-type"], "application/json");
    assert.equal(b?.headers.authorization, "Bearer oidc-token");
    assert.equal(b?.headers["x-runagents-api-key"], undefined);
    assert.equal(c?.headers["content-type"], "application/json");
    assert.equal(c?.headers.authorization, undefined);
    assert.equal(c?.headers["x-runagents-api-key"], undefined);
    assert.equal(c?.body, "");
    for (const request of server.requests) assert.equal(request.headers["x-workspace-namespace"], undefined);
  });

  test("JSON-encodes a body only when one is given", async (t) => {
    const server = await serve(t);
    const client = clientFor(server);
    await client.post("/things", { a: [1, "two"] });
    await client.put("/things/1", null);
    await client.patch("/things/1");
    assert.deepEqual(server.calls(), [
      "POST /api/v1/things",
      "PUT /api/v1/things/1",
      "PATCH /api/v1/things/1",
    ]);
    assert.equal(server.requests[0]?.body, '{"a":[1,"two"]}');
    assert.equal(server.requests[1]?.body, "null");
    assert.equal(server.requests[2]?.body, "");
  });

  test("low-level get sends repeated query keys and absolute URLs bypass the endpoint", async (t) => {
    const server = await serve(t);
    const other = await serve(t);
    const client = clientFor(server);
    await client.get("/catalog", { tag: ["a", "b"], page: 1 });
    await client.get(`${other.url}/healthz`, { x: "1" });
    assert.equal(server.only().url, "/api/v1/catalog?tag=a&tag=b&page=1");
    assert.equal(other.only().url, "/healthz?x=1");
  });

  test("parses JSON, falls back to raw text, and returns '' for an empty body", async (t) => {
    const server = await serve(t);
    server.reply({ json: { ok: true } }, { text: "plain words" }, { status: 204 }, { text: "" });
    const client = clientFor(server);
    assert.deepEqual(await client.get("/a"), { ok: true });
    assert.equal(await client.get("/b"), "plain words");
    assert.equal(await client.delete("/c"), "");
    assert.equal(await client.get("/d"), "");
  });

  test("throws APIError with the status and parsed JSON detail for HTTP >= 400", async (t) => {
    const server = await serve(t);
    server.reply({ status: 404, json: { error: "agent x not found" } }, { status: 502, text: "bad gateway" });
    const client = clientFor(server);
    await assert.rejects(client.get("/agents/x"), (error: unknown) => {
      assert.ok(error instanceof APIError && error instanceof RunAgentsError);
      assert.equal(error.code, "API_ERROR");
      assert.equal(error.status, 404);
      assert.deepEqual(error.detail, { error: "agent x not found" });
      assert.equal(error.message, 'HTTP 404: {"error":"agent x not found"}');
      return true;
    });
    await assert.rejects(client.get("/y"), {
      status: 502,
      detail: "bad gateway",
      message: "HTTP 502: bad gateway",
    });
  });

  test("throws RunAgentsConnectionError 'Connection failed: <reason>' when nothing listens", async () => {
    const server = await RecordingServer.start();
    const url = server.url;
    await server.close();
    const client = new Client({ endpoint: url, apiKey: "", namespace: "default" });
    await assert.rejects(client.get("/agents"), (error: unknown) => {
      assert.ok(error instanceof RunAgentsConnectionError);
      assert.equal(error.code, "CONNECTION_ERROR");
      assert.match(error.message, /^Connection failed: .*ECONNREFUSED/);
      return true;
    });
  });

  test("throws RunAgentsTimeoutError when the platform does not answer in time", async (t) => {
    const server = await serve(t);
    server.otherwise({ hang: true });
    const client = clientFor(server, { timeoutMs: 40 });
    await assert.rejects(client.get("/slow"), (error: unknown) => {
      assert.ok(error instanceof RunAgentsTimeoutError);
      assert.equal(error.code, "TIMEOUT");
      assert.equal(error.message, "request timed out after 40 ms");
      return true;
    });
    await assert.rejects(clientFor(server).get("/slow", undefined, { timeoutMs: 20 }), {
      code: "TIMEOUT",
      message: "request timed out after 20 ms",
    });
  });

  test("aborts an in-flight request when the per-call signal fires", async (t) => {
    const server = await serve(t);
    server.otherwise({ hang: true });
    const controller = new AbortController();
    const pending = clientFor(server).get("/slow", undefined, { signal: controller.signal });
    await server.waitForRequests(1);
    controller.abort(new Error("user cancelled"));
    await assert.rejects(pending, (error: unknown) => {
      assert.ok(error instanceof RunAgentsError);
      assert.equal(error.code, "ABORTED");
      assert.equal((error.cause as Error).message, "user cancelled");
      return true;
    });
  });

  test("aborts through the client-wide signal, and sends nothing when it already fired", async (t) => {
    const server = await serve(t);
    server.otherwise({ hang: true });
    const controller = new AbortController();
    const client = clientFor(server, { signal: controller.signal });
    const pending = client.get("/slow");
    await server.waitForRequests(1);
    controller.abort();
    await assert.rejects(pending, { code: "ABORTED" });
    await assert.rejects(client.get("/never"), { code: "ABORTED" });
    assert.equal(server.requests.length, 1);
  });

  test("uses an injected fetch", async () => {
    const seen: string[] = [];
    const client = new Client({
      endpoint: "https://injected.example.com",
      apiKey: "",
      namespace: "default",
      fetch: async (url, init) => {
        seen.push(`${init.method} ${url}`);
        return new Response(JSON.stringify([{ name: "a" }]), { status: 200 });
      },
    });
    assert.deepEqual(await client.agents.list(), [
      {
        name: "a",
        namespace: "",
        status: "",
        statusMessage: "",
        image: "",
        requiredTools: [],
        systemPrompt: "",
        createdAt: "",
      },
    ]);
    assert.deepEqual(seen, ["GET https://injected.example.com/api/v1/agents"]);
  });
});
