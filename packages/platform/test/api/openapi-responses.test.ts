/**
 * The OpenAPI document against the real platform: a workload that touches every /api/v1 route
 * (the starter kit, the hello-world example deployed and invoked, runs, approvals, policies,
 * tools, models, drafts, the catalog, API keys, MCP, the gateway...), each answer checked
 * against the document's schema for its route and status by an independent validator (Ajv,
 * JSON Schema 2020-12). Routes the workload does not reach fail the test unless listed, with
 * a reason, in NOT_EXERCISED.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { RouteDef } from "../../src/api/context.js";
import { toOpenApiPath } from "../../src/api/openapi-doc.js";
import { phaseIs, startAgentPlatform, waitForAgent } from "../deploy/helpers.js";
import type { ApiResponse, TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;

/** Routes no workload here can reach, each with the reason. Keep it short. */
const NOT_EXERCISED: Record<string, string> = {
  "GET /events/stream": "stays open until the client leaves; test/api/events-stream.test.ts covers it",
};

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const DOC_ID = "https://runagents.invalid/openapi.json";

interface Exchange {
  route: string;
  path: string;
  status: number;
  mediaType: string;
  response: ApiResponse;
}

function examplesDir(): string {
  for (const start of [process.cwd(), dirname(fileURLToPath(import.meta.url))]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      if (existsSync(join(dir, "examples", "hello-world", "runagents.yaml"))) return join(dir, "examples");
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error("examples/ not found above the working directory: run the tests from the repository");
}

const readExample = (name: string): Record<string, string> => {
  const dir = join(examplesDir(), name);
  const files: Record<string, string> = {};
  for (const file of readdirSync(dir))
    if (file !== "README.md") files[file] = readFileSync(join(dir, file), "utf8");
  return files;
};

/** A stand-in for every third-party service: answers JSON 200 to anything. */
async function startUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("OpenAPI document against real responses", () => {
  let platform: TestPlatform;
  let upstream: { server: Server; url: string };
  let doc: Json;
  const exchanges: Exchange[] = [];

  /** The registered pattern a request reaches (`METHOD /path/{param}`), by handler identity. */
  const routeOf = (method: string, path: string): string => {
    const found = platform.services.api.match(method, path.split("?")[0] as string);
    assert.equal(found.kind, "found", `${method} ${path} reaches no route`);
    const handler = (found as { match: { handler: RouteDef } }).match.handler;
    const route = platform.services.api.routes.find((r) => r.method === method && r.handler === handler);
    return `${method} ${toOpenApiPath(route?.path ?? path)}`;
  };

  const hit = async (
    method: string,
    path: string,
    body?: unknown,
    expect?: number,
    headers: Record<string, string> = {},
  ): Promise<Json> => {
    const response = await platform.call(method, path, body, headers);
    if (expect !== undefined) assert.equal(response.status, expect, `${method} ${path}: ${response.text}`);
    const mediaType = (response.headers.get("content-type") ?? "").split(";")[0]?.trim() ?? "";
    exchanges.push({ route: routeOf(method, path), path, status: response.status, mediaType, response });
    return (response.json ?? {}) as Json;
  };

  before(async () => {
    upstream = await startUpstream();
    platform = await startAgentPlatform();
    doc = await hit("GET", "/openapi.json", undefined, 200);
    await workload(hit, platform, upstream.url);
  });
  after(async () => {
    await platform?.destroy();
    upstream?.server.close();
  });

  it("every answer matches the document's schema for its route and status", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(doc, DOC_ID);
    const problems: string[] = [];
    for (const x of exchanges) {
      const [method, path] = x.route.split(" ") as [string, string];
      const operation = doc.paths[path]?.[method.toLowerCase()];
      if (!operation) {
        problems.push(`${x.route}: not in the document`);
        continue;
      }
      let response = operation.responses[String(x.status)];
      if (!response) {
        problems.push(
          `${x.route} answered ${x.status}, which the document does not list: ${x.response.text.slice(0, 200)}`,
        );
        continue;
      }
      let pointer = `#/paths/${pointerSegment(path)}/${method.toLowerCase()}/responses/${x.status}`;
      if (response.$ref) {
        pointer = response.$ref;
        response = resolvePointer(doc, response.$ref);
      }
      const content = response.content ?? {};
      if (!(x.mediaType in content) && !(Object.keys(content).length === 0 && x.response.text === "")) {
        problems.push(
          `${x.route} ${x.status}: answered ${x.mediaType}, documented ${Object.keys(content).join(", ")}`,
        );
        continue;
      }
      if (x.mediaType !== "application/json") continue;
      const validate = ajv.getSchema(`${DOC_ID}${pointer}/content/application~1json/schema`);
      assert.ok(validate, `${pointer} compiles`);
      if (!validate(x.response.json)) {
        const errors = (validate.errors ?? [])
          .slice(0, 5)
          .map((e) => `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`);
        problems.push(`${x.route} ${x.status} (${x.path}): ${errors.join("; ")}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  it("the workload reached every registered route (or the route is listed with a reason)", () => {
    const reached = new Set(exchanges.map((x) => x.route));
    const missing = platform.services.api.patterns
      .map((p) => `${p.method} ${toOpenApiPath(p.path)}`)
      .filter((route) => !reached.has(route) && !(route in NOT_EXERCISED));
    assert.deepEqual(missing, []);
    for (const route of Object.keys(NOT_EXERCISED)) assert.ok(!reached.has(route), `${route} is reached now`);
  });

  it("answers a request body or query that breaks the schema with the schema's 400", async () => {
    const events = await platform.call("GET", "/runs/any/events?limit=0");
    assert.equal(events.status, 400);
    assert.deepEqual(events.json, { error: "query parameter limit must be an integer >= 1" });
    const run = (await platform.call("POST", "/runs", { agent_id: "schema-check", user_id: "u" }))
      .json as Json;
    const event = await platform.call("POST", `/runs/${run.id}/events`, { type: "USER_MESSAGE", data: "x" });
    assert.equal(event.status, 400);
    assert.deepEqual(event.json, { error: "data must be an object" });
    const runs = await platform.call("GET", "/runs?limit=1001");
    assert.deepEqual(runs.json, { error: "query parameter limit must be an integer from 1 to 1000" });
  });
});

const pointerSegment = (path: string): string => path.replace(/~/g, "~0").replace(/\//g, "~1");

function resolvePointer(doc: Json, ref: string): Json {
  let node: any = doc;
  for (const part of ref.replace(/^#\//, "").split("/"))
    node = node[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  return node;
}

type Hit = (
  method: string,
  path: string,
  body?: unknown,
  expect?: number,
  headers?: Record<string, string>,
) => Promise<Json>;

/** One pass over the whole API, in the order a user meets it. */
async function workload(hit: Hit, platform: TestPlatform, upstream: string): Promise<void> {
  // Starter kit, tools, model providers.
  await hit("POST", "/starter-kit", undefined, 201);
  await hit("POST", "/starter-kit", undefined, 200);
  await hit("GET", "/tools", undefined, 200);
  await hit("GET", "/tools/echo-tool", undefined, 200);
  await hit("POST", "/tools", { name: "upstream", base_url: upstream, description: "stand-in" }, 201);
  await hit(
    "POST",
    "/tools",
    { name: "upstream", base_url: upstream, auth_type: "APIKey", credentials: { api_key: "k" } },
    200,
  );
  await hit("POST", "/tools/probe", { url: upstream }, 200);
  await hit("POST", "/tools/upstream/test", undefined, 200);
  await hit("GET", "/tools/no-such-tool", undefined, 404);
  await hit("POST", "/tools", { name: "mail", spec: delegatedSpec(upstream) }, 201);
  await hit("GET", "/model-providers", undefined, 200);
  await hit(
    "POST",
    "/model-providers",
    {
      name: "local-llm",
      spec: { provider: "openai", endpoint: `${upstream}/v1`, models: ["local-model"] },
      api_key: "sk-x",
    },
    201,
  );
  await hit("GET", "/model-providers/local-llm", undefined, 200);
  await hit("GET", "/model-spend", undefined, 200);
  await hit("GET", "/models", undefined, 200);
  await hit("GET", "/v1/models", undefined, 200);
  const chat = { model: "playground", messages: [{ role: "user", content: "hello" }] };
  await hit("POST", "/chat/completions", chat, 200);
  await hit("POST", "/v1/chat/completions", chat, 200);
  await hit("POST", "/chat/completions", { messages: [] }, 400);

  // Policies.
  const rules = [{ permission: "allow", operations: ["POST"], resource: "echo-tool" }];
  await hit("POST", "/policies", { name: "hello-world-echo", spec: { policies: rules } }, 201);
  await hit("POST", "/policies", { name: "hello-world-echo", spec: { policies: rules } }, 200);
  await hit("PUT", "/policies/spare", { spec: { policies: rules } }, 201);
  await hit("PUT", "/policies/spare", { spec: { policies: rules } }, 200);
  await hit("GET", "/policies", undefined, 200);
  await hit("GET", "/policies/spare", undefined, 200);
  await hit("POST", "/policies/translate", { text: "allow GET on echo-tool" }, 200);
  await hit("DELETE", "/policies/spare", undefined, 200);

  // Identity providers, approval connectors.
  const idp = {
    name: "corp",
    spec: {
      host: "corp.example",
      identityProvider: { issuer: "https://issuer.example", jwksUri: "https://issuer.example/jwks" },
      userIDClaim: "sub",
    },
  };
  await hit("POST", "/identity-providers", idp, 201);
  await hit("POST", "/identity-providers", idp, 200);
  await hit("GET", "/identity-providers", undefined, 200);
  await hit("GET", "/sign-in", undefined, 200);
  await hit("GET", "/workspaces", undefined, 200);
  await hit("GET", "/identity-providers/corp", undefined, 200);
  await hit("DELETE", "/identity-providers/corp", undefined, 200);
  const hook = await hit(
    "POST",
    "/approval-connectors",
    { name: "hook", type: "webhook", endpoint: `${upstream}/hook`, headers: { "X-Token": "secret" } },
    201,
  );
  await hit("GET", "/approval-connectors", undefined, 200);
  await hit("GET", `/approval-connectors/${hook.id}`, undefined, 200);
  await hit("PATCH", `/approval-connectors/${hook.id}`, { timeout_seconds: 5 }, 200);
  await hit(
    "POST",
    "/approval-connectors/test",
    { id: hook.id, type: "webhook", endpoint: `${upstream}/hook` },
    200,
  );
  await hit("GET", "/approval-connectors/defaults", undefined, 200);
  await hit("PUT", "/approval-connectors/defaults", { default_timeout_seconds: 5 }, 200);

  // Analysis, drafts, the catalog, action plans.
  const files = readExample("hello-world");
  const analysis = await hit("POST", "/analyze", { files }, 201);
  await hit("GET", `/analysis/${analysis.id}`, undefined, 200);
  await hit("POST", "/requirements", { files }, 200);
  const draft = await hit("POST", "/deploy-drafts", { step: "source" }, 201);
  await hit("GET", "/deploy-drafts", undefined, 200);
  await hit("GET", `/deploy-drafts/${draft.id}`, undefined, 200);
  await hit("PATCH", `/deploy-drafts/${draft.id}`, { step: "tools", expected_version: draft.version }, 200);
  await hit("POST", `/deploy-drafts/${draft.id}/complete`, undefined, 200);
  const other = await hit("POST", "/deploy-drafts", {}, 201);
  await hit("POST", `/deploy-drafts/${other.id}/abandon`, undefined, 200);
  await hit("DELETE", `/deploy-drafts/${other.id}`, undefined, 200);
  const catalog = await hit("GET", "/catalog?page_size=5", undefined, 200);
  const entry = catalog.items[0].id as string;
  await hit("GET", `/catalog/${entry}`, undefined, 200);
  await hit("GET", `/catalog/${entry}/versions`, undefined, 200);
  const plan = {
    actions: [
      {
        id: "a1",
        type: "policy.upsert",
        idempotency_key: "plan-policy-1",
        params: { name: "planned", spec: { policies: rules } },
      },
    ],
  };
  await hit("POST", "/actions/validate", plan, 200);
  await hit("POST", "/actions/apply", plan, 200);

  // Deploy hello-world and use it.
  const deploy = {
    agent_name: "hello-world",
    source_files: files,
    required_tools: ["echo-tool"],
    policies: ["hello-world-echo"],
  };
  await hit("POST", "/deploy/preview", deploy, 200);
  await hit("POST", "/deploy", deploy, 201);
  await waitForAgent(platform, "hello-world", phaseIs("Running"));
  await hit("GET", "/agents", undefined, 200);
  await hit("GET", "/agents/hello-world", undefined, 200);
  await hit("GET", "/agents/hello-world/config", undefined, 200);
  await hit("PUT", "/agents/hello-world/config", { system_prompt: "Be brief." }, 200);
  await waitForAgent(platform, "hello-world", phaseIs("Running"));
  await hit("POST", "/agents/hello-world/redeploy", undefined, 202);
  await hit("GET", "/agents/hello-world/versions", undefined, 200);
  await waitForAgent(platform, "hello-world", phaseIs("Running"));
  const reply = await hit("POST", "/agents/hello-world/invoke", { message: "Hello" }, 200);
  await hit("POST", "/agents/hello-world/invoke/stream", { message: "Stream it" }, 200);
  await hit("POST", "/events/stream-ticket", undefined, 201);
  await hit("GET", "/agents/hello-world/logs?tail=5", undefined, 200);
  await hit(
    "POST",
    "/policies/evaluate",
    { agent: "hello-world", method: "POST", tool: "echo-tool", url: "/echo" },
    200,
  );
  await hit("GET", `/runs/${reply.run_id}`, undefined, 200);
  await hit("GET", `/runs/${reply.run_id}/audit/export`, undefined, 200);

  // Runs driven by hand: events, a blocked action, its approval.
  await hit("GET", "/runs?status=COMPLETED&limit=10", undefined, 200);
  const run = await hit("POST", "/runs", { agent_id: "hello-world", user_id: "alice" }, 201);
  await hit("POST", `/runs/${run.id}/events`, { type: "USER_MESSAGE", data: { message: "hi" } }, 201);
  await hit("GET", `/runs/${run.id}/events?limit=5`, undefined, 200);
  const action = await hit(
    "POST",
    `/runs/${run.id}/actions`,
    { tool_id: "echo-tool", payload_hash: "h1" },
    201,
  );
  await hit("GET", `/runs/${run.id}/actions/${action.action_id}`, undefined, 200);
  await hit("POST", `/runs/${run.id}/actions/${action.action_id}/approve`, { payload_hash: "h1" }, 200);
  const failing = await hit("POST", "/runs", { agent_id: "hello-world", user_id: "bob" }, 201);
  await hit("PATCH", `/runs/${failing.id}`, { status: "FAILED", error: "gave up" }, 200);
  await hit("GET", `/runs/${failing.id}`, undefined, 200);
  await hit("PATCH", `/runs/${failing.id}`, { status: "RUNNING" }, 409);

  // Access requests, under both prefixes.
  for (const base of ["/approvals/requests", "/governance/requests"]) {
    const ask = { subject: `user-${base.length}`, tool_id: "echo-tool", agent_id: "hello-world" };
    const request = await hit("POST", base, ask, 201);
    await hit("POST", base, ask, 200);
    await hit("GET", `${base}?status=PENDING`, undefined, 200);
    await hit("GET", `${base}/${request.id}`, undefined, 200);
    await hit("POST", `${base}/${request.id}/approve`, { scope: "once" }, 200);
    const second = await hit("POST", base, { ...ask, subject: `${ask.subject}-2` }, 201);
    await hit("POST", `${base}/${second.id}/reject`, { reason: "no" }, 200);
  }
  await hit("GET", "/approval-connectors/activity?limit=5", undefined, 200);

  // OAuth: consents and tokens stored by hand.
  await hit("GET", "/consents", undefined, 200);
  await hit("POST", "/oauth/tokens", { tool: "mail", user: "alice", access_token: "at-1" }, 201);
  await hit("POST", "/oauth/tokens", { tool: "mail", user: "alice", access_token: "at-2" }, 200);
  await hit("DELETE", "/oauth/tokens/mail?user=alice", undefined, 200);

  // A dev session.
  await hit("POST", "/agents/dev-agent/dev-session", { url: `${upstream}/dev`, tools: ["echo-tool"] }, 200);
  await hit("DELETE", "/agents/dev-agent/dev-session", undefined, 200);

  // MCP.
  const mcpHeaders = { Accept: "application/json, text/event-stream" };
  const initialize = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "openapi-test", version: "1" },
    },
  };
  await hit("POST", "/mcp", initialize, 200, mcpHeaders);
  await hit("POST", "/mcp", { jsonrpc: "2.0", method: "notifications/initialized" }, 202, mcpHeaders);
  await hit("GET", "/mcp", undefined, 405);
  await hit("DELETE", "/mcp", undefined, 405);

  // API keys and settings.
  const key = await hit("POST", "/auth/api-keys", { name: "ci", role: "viewer", expiresInDays: 30 }, 201);
  await hit("GET", "/auth/api-keys", undefined, 200);
  await hit("POST", `/auth/api-keys/${key.key.id}/rotate`, {}, 200);
  await hit("DELETE", `/auth/api-keys/${key.key.id}`, undefined, 200);
  await hit("GET", "/settings/auth", undefined, 200);
  await hit("PUT", "/settings/auth", { sessionIdleTimeoutMinutes: 30 }, 200);
  await hit("GET", "/auth/api-keys", undefined, 401, { "X-RunAgents-API-Key": "ra_ws_not-a-key" });

  // Exports, then clean-up deletes.
  await hit("GET", "/context/export", undefined, 200);
  await hit("GET", "/audit/export", undefined, 200);
  await hit("DELETE", `/approval-connectors/${hook.id}`, undefined, 200);
  await hit("DELETE", "/model-providers/local-llm", undefined, 200);
  await hit("DELETE", "/tools/upstream", undefined, 200);
  await hit("DELETE", "/agents/hello-world", undefined, 200);
}

function delegatedSpec(upstream: string): Json {
  return {
    connection: {
      baseUrl: `${upstream}/mail`,
      authentication: {
        type: "OAuth2",
        oauth2Config: {
          authUrl: `${upstream}/authorize`,
          tokenUrl: `${upstream}/token`,
          scopes: ["mail.read"],
        },
      },
    },
  };
}
