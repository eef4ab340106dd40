import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { buildOpenApiDocument, toOpenApiPath } from "../../src/api/openapi-doc.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;
const VERBS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

describe("OpenAPI document", () => {
  let platform: TestPlatform;
  let doc: Json;
  before(async () => {
    platform = await startTestPlatform();
    // With a key in place, the document must still be public.
    await platform.call("POST", "/auth/api-keys", { name: "lock" });
    const res = await platform.call("GET", "/openapi.json");
    assert.equal(res.status, 200);
    doc = res.json as Json;
  });
  after(() => platform.destroy());

  it("is an OpenAPI 3.1 document served without an API key", () => {
    assert.equal(doc.openapi, "3.1.0");
    assert.equal(typeof doc.info.title, "string");
    assert.equal(typeof doc.info.version, "string");
  });

  it("describes every registered route, and nothing that is not registered", () => {
    const registered = new Set(
      platform.services.api.patterns.map((p) => `${p.method} ${toOpenApiPath(p.path)}`),
    );
    const documented = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const verb of Object.keys(item)) {
        assert.ok(VERBS.includes(verb), `${path} has an unknown key ${verb}`);
        documented.add(`${verb.toUpperCase()} ${path}`);
      }
    }
    assert.deepEqual([...documented].sort(), [...registered].sort());
    assert.ok(documented.has("GET /openapi.json"));
    assert.ok(documented.has("POST /auth/api-keys/{id}/rotate"));
    for (const path of Object.keys(doc.paths)) assert.ok(!path.includes(":"), path);
  });

  it("gives each operation a summary, a tag by first path segment, path parameters and an id", () => {
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [verb, op] of Object.entries(item as Json) as [string, Json][]) {
        assert.ok(typeof op.summary === "string" && op.summary.length > 0, `${verb} ${path}`);
        assert.deepEqual(op.tags, [path.split("/")[1]]);
        assert.deepEqual(
          (op.parameters ?? []).map((p: Json) => [p.name, p.in, p.required]),
          params.map((name) => [name, "path", true]),
        );
        assert.ok(!ids.has(op.operationId), `duplicate operationId ${op.operationId}`);
        ids.add(op.operationId);
      }
    }
    assert.equal(
      doc.paths["/auth/api-keys"].post.summary,
      "Create a workspace API key (the token is shown once)",
    );
    assert.ok(doc.paths["/auth/api-keys"].post.responses["201"], "documented 201 for key creation");
    const tagNames = (doc.tags as Json[]).map((t) => t.name);
    assert.ok(tagNames.includes("auth") && tagNames.includes("settings"));
  });

  it("declares the workspace API key and bearer schemes, and marks public routes as open", () => {
    assert.deepEqual(doc.components.securitySchemes.workspaceApiKey, {
      type: "apiKey",
      in: "header",
      name: "X-RunAgents-API-Key",
    });
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, { type: "http", scheme: "bearer" });
    assert.deepEqual(doc.security, [{ workspaceApiKey: [] }, { bearerAuth: [] }]);
    assert.deepEqual(doc.paths["/openapi.json"].get.security, []);
    assert.equal(doc.paths["/auth/api-keys"].get.security, undefined);
  });

  it("lists the default and the workspace-scoped server", () => {
    assert.deepEqual(
      (doc.servers as Json[]).map((s) => s.url),
      ["/api/v1", "/api/v1/workspaces/{workspace}"],
    );
    assert.equal(doc.servers[1].variables.workspace.default, "default");
  });

  it("is also served under a workspace prefix", async () => {
    const res = await platform.call("GET", "/workspaces/team-a/openapi.json");
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, doc);
  });

  it("generates a summary for a route missing from the table", async () => {
    const { Router } = await import("../../src/api/router.js");
    const api = new Router<any>();
    api.add("GET", "/widgets/:id", { handler: () => ({ status: 200 }) });
    api.add("POST", "/widgets", { handler: () => ({ status: 200 }) });
    const generated = buildOpenApiDocument(api) as Json;
    assert.equal(generated.paths["/widgets/{id}"].get.summary, "Get one of widgets by id");
    assert.equal(generated.paths["/widgets"].post.summary, "Post to widgets");
    assert.equal(generated.paths["/widgets/{id}"].get.operationId, "getWidgetsById");
  });
});
