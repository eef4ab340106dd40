/**
 * @module api/openapi-doc
 * An OpenAPI 3.1 document generated from the /api/v1 routes that are actually registered, so it
 * can never advertise a path the server does not answer. Summaries come from a small table keyed
 * by `METHOD path` (path parameters written `{}` so their names do not matter); anything not in
 * the table gets a generated one. Parameters, bodies and answers come from each route's `schema`
 * (`api/schema`), the same definitions the front door checks requests with.
 */
import { API_KEY_HEADER } from "./auth.js";
import type { RouteDef } from "./context.js";
import type { Router } from "./router.js";
import { isStreamReply, type Schema, type StreamReply, schemaComponents } from "./schema.js";

type Obj = Record<string, unknown>;

const SUMMARIES: Record<string, string> = {
  "GET /agents/{}/logs": "Get an agent's recent log lines (follow=true: stream new ones as SSE)",
  "POST /mcp": "MCP over Streamable HTTP (the runagents-mcp tools)",
  "GET /mcp": "MCP server stream (not offered: 405, stateless)",
  "DELETE /mcp": "End an MCP session (not offered: 405, stateless)",
  "GET /agents": "List agents",
  "GET /agents/{}": "Get an agent",
  "DELETE /agents/{}": "Delete an agent and its resources",
  "GET /agents/{}/config": "Get an agent's configuration",
  "PUT /agents/{}/config": "Update an agent's configuration",
  "POST /agents/{}/invoke": "Invoke an agent",
  "POST /agents/{}/invoke/stream": "Invoke an agent and stream its answer (SSE)",
  "POST /agents/{}/dev-session": "Serve a dev agent from a local runagents dev --governed runtime",
  "DELETE /agents/{}/dev-session": "End a dev agent's runagents dev session",
  "POST /deploy": "Deploy an agent",
  "POST /deploy/preview": "Preview a deploy without side effects",
  "GET /deploy-drafts": "List deploy drafts",
  "POST /deploy-drafts": "Create a deploy draft",
  "GET /deploy-drafts/{}": "Get a deploy draft",
  "PATCH /deploy-drafts/{}": "Update a deploy draft (optimistic concurrency)",
  "DELETE /deploy-drafts/{}": "Delete a deploy draft",
  "POST /deploy-drafts/{}/complete": "Complete a deploy draft",
  "POST /deploy-drafts/{}/abandon": "Abandon a deploy draft",
  "POST /analyze": "Analyze agent source files",
  "GET /analysis/{}": "Get a cached analysis",
  "POST /requirements": "Detect requirements and the entry point",
  "GET /tools": "List tools",
  "POST /tools": "Create or update a tool",
  "GET /tools/{}": "Get a tool",
  "DELETE /tools/{}": "Delete a tool",
  "POST /tools/probe": "Probe a URL for reachability",
  "POST /tools/{}/test": "Probe a registered tool and record the result",
  "GET /model-providers": "List model providers",
  "POST /model-providers": "Create or update a model provider",
  "GET /model-providers/{}": "Get a model provider",
  "DELETE /model-providers/{}": "Delete a model provider",
  "GET /model-spend": "Model spend per agent and model",
  "POST /chat/completions": "OpenAI-compatible chat completions (LLM gateway)",
  "POST /v1/chat/completions": "OpenAI-compatible chat completions (LLM gateway alias)",
  "GET /runs": "List runs",
  "POST /runs": "Create a run",
  "GET /runs/{}": "Get a run",
  "PATCH /runs/{}": "Change a run's status",
  "GET /runs/{}/events": "List a run's events",
  "POST /runs/{}/events": "Append an event to a run",
  "POST /runs/{}/actions": "Record a tool call blocked for approval",
  "GET /runs/{}/actions/{}": "Get a blocked action",
  "POST /runs/{}/actions/{}/approve": "Approve a blocked action",
  "GET /approvals/requests": "List access requests",
  "POST /approvals/requests": "Create (or reuse) an access request",
  "GET /approvals/requests/{}": "Get an access request",
  "POST /approvals/requests/{}/approve": "Approve an access request",
  "POST /approvals/requests/{}/reject": "Reject an access request",
  "GET /governance/requests": "List access requests (legacy alias of /approvals/requests)",
  "POST /governance/requests": "Create (or reuse) an access request (legacy alias)",
  "GET /governance/requests/{}": "Get an access request (legacy alias)",
  "POST /governance/requests/{}/approve": "Approve an access request (legacy alias)",
  "POST /governance/requests/{}/reject": "Reject an access request (legacy alias)",
  "POST /actions/validate": "Validate an action plan",
  "POST /actions/apply": "Apply an action plan",
  "GET /catalog": "Search the agent catalog",
  "GET /catalog/{}": "Get a catalog manifest",
  "GET /catalog/{}/versions": "List a catalog agent's versions",
  "GET /policies": "List policies",
  "POST /policies": "Create or update a policy",
  "POST /policies/translate": "Translate plain language into policy rules",
  "GET /policies/{}": "Get a policy",
  "PUT /policies/{}": "Create or replace a policy",
  "DELETE /policies/{}": "Delete a policy",
  "GET /approval-connectors": "List approval connectors",
  "POST /approval-connectors": "Create an approval connector",
  "POST /approval-connectors/test": "Send a test message through a connector configuration",
  "GET /approval-connectors/defaults": "Get approval delivery defaults",
  "PUT /approval-connectors/defaults": "Set approval delivery defaults",
  "GET /approval-connectors/activity": "Recent approval connector deliveries",
  "GET /approval-connectors/{}": "Get an approval connector",
  "PATCH /approval-connectors/{}": "Update an approval connector",
  "DELETE /approval-connectors/{}": "Delete an approval connector",
  "GET /identity-providers": "List identity providers",
  "GET /sign-in": "List the identity providers people may sign in to the console with (public)",
  "GET /workspaces": "List the workspaces (a key bound to one workspace sees only its own)",
  "POST /identity-providers": "Create or update an identity provider",
  "GET /identity-providers/{}": "Get an identity provider",
  "DELETE /identity-providers/{}": "Delete an identity provider",
  "GET /context/export": "Export the workspace context",
  "POST /starter-kit": "Seed the starter kit",
  "GET /auth/api-keys": "List workspace API keys",
  "POST /auth/api-keys": "Create a workspace API key (the token is shown once)",
  "DELETE /auth/api-keys/{}": "Revoke a workspace API key",
  "POST /auth/api-keys/{}/rotate": "Rotate a workspace API key (the new token is shown once)",
  "GET /settings/auth": "Get the workspace auth settings",
  "PUT /settings/auth": "Change the session idle timeout or the OAuth callback URL",
  "GET /consents": "List OAuth consents (pending first)",
  "POST /oauth/tokens": "Store a delegated OAuth token for a tool (per user, or shared)",
  "DELETE /oauth/tokens/{}": "Revoke a stored delegated OAuth token",
  "GET /openapi.json": "This OpenAPI document",
  "GET /events/stream": "Live feed of run events (SSE; filters run, agent, kind; resumes with Last-Event-ID)",
  "POST /events/stream-ticket": "Get a one-use ticket that opens the live feed from a browser (?ticket=)",
};

const STATUS_TEXT: Record<string, string> = {
  "200": "OK",
  "201": "Created",
  "202": "Accepted",
  "204": "No Content",
  "405": "Method Not Allowed",
};
const ERROR_CODES = ["400", "401", "403", "404", "409"] as const;
/** Calls relayed to an agent or a model provider may also fail upstream. */
const UPSTREAM_ERRORS = ["502"] as const;

/** `/tools/:name` → `/tools/{name}` */
export const toOpenApiPath = (pattern: string): string => pattern.replace(/:([^/]+)/g, "{$1}");
const tableKey = (method: string, path: string): string => `${method} ${path.replace(/\{[^}]+\}/g, "{}")}`;

export function buildOpenApiDocument(api: Router<RouteDef>): Obj {
  const paths: Record<string, Obj> = {};
  const tags = new Set<string>();
  for (const { method, path: pattern } of api.patterns) {
    const path = toOpenApiPath(pattern);
    const item = paths[path] ?? {};
    paths[path] = item;
    const verb = method.toLowerCase();
    if (item[verb]) continue;
    const found = api.match(method, pattern);
    const route = found.kind === "found" ? found.match.handler : undefined;
    const tag = pattern.split("/").find((s) => s.length > 0) ?? "root";
    tags.add(tag);
    item[verb] = operation(method, path, tag, route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "RunAgents Platform API",
      version: "v1alpha",
      description:
        "The RunAgents control plane API. Every path is also served under /api/v1/workspaces/{workspace}.",
    },
    servers: [
      { url: "/api/v1", description: "The default workspace" },
      {
        url: "/api/v1/workspaces/{workspace}",
        description: "A named workspace",
        variables: { workspace: { default: "default" } },
      },
    ],
    security: [{ workspaceApiKey: [] }, { bearerAuth: [] }],
    tags: [...tags].sort().map((name) => ({ name })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      securitySchemes: {
        workspaceApiKey: { type: "apiKey", in: "header", name: API_KEY_HEADER },
        bearerAuth: { type: "http", scheme: "bearer" },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: { error: { type: "string" }, code: { type: "string" } },
        },
        ...schemaComponents(),
      },
      responses: Object.fromEntries(
        [...ERROR_CODES, ...UPSTREAM_ERRORS].map((code) => [
          `Error${code}`,
          { description: `Error ${code}`, content: jsonContent({ $ref: "#/components/schemas/Error" }) },
        ]),
      ),
    },
  };
}

function operation(method: string, path: string, tag: string, route: RouteDef | undefined): Obj {
  const key = tableKey(method, path);
  const schema = route?.schema;
  const parameters: Obj[] = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
    name: m[1],
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
  const query = schema?.query;
  for (const [name, param] of Object.entries(query?.properties ?? {})) {
    const { description, ...paramSchema } = param;
    parameters.push({
      name,
      in: "query",
      required: query?.required?.includes(name) ?? false,
      ...(description ? { description } : {}),
      schema: paramSchema,
    });
  }
  const answers: Record<number, Schema | StreamReply> = schema?.responses ?? { 200: {} };
  const op: Obj = {
    operationId: operationId(method, path),
    summary: SUMMARIES[key] ?? generatedSummary(method, path),
    tags: [tag],
    responses: {
      ...Object.fromEntries(
        Object.entries(answers).map(([code, answer]) => [code, successResponse(code, answer)]),
      ),
      ...Object.fromEntries(
        [...ERROR_CODES, ...(reachesUpstream(path) ? UPSTREAM_ERRORS : [])].map((code) => [
          code,
          { $ref: `#/components/responses/Error${code}` },
        ]),
      ),
    },
  };
  if (parameters.length > 0) op.parameters = parameters;
  if (schema?.body) {
    op.requestBody = { required: (schema.body.required ?? []).length > 0, content: jsonContent(schema.body) };
  } else if (method === "POST" || method === "PUT" || method === "PATCH") {
    op.requestBody = { required: false, content: jsonContent({ type: "object" }) };
  }
  if (route?.public) op.security = [];
  return op;
}

function successResponse(code: string, answer: Schema | StreamReply): Obj {
  const description = STATUS_TEXT[code] ?? "Success";
  if (isStreamReply(answer)) {
    if (answer.mediaType === "") return { description };
    return { description, content: { [answer.mediaType]: answer.schema ? { schema: answer.schema } : {} } };
  }
  return { description, content: jsonContent(answer) };
}

const reachesUpstream = (path: string): boolean => /\/(invoke|chat\/completions)(\/|$)/.test(path);

const jsonContent = (schema: Schema | Obj): Obj => ({ "application/json": { schema } });

function operationId(method: string, path: string): string {
  const words = path
    .split("/")
    .filter((s) => s.length > 0)
    .map((s) => (s.startsWith("{") ? `by-${s.slice(1, -1)}` : s))
    .join("-")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0);
  return [method.toLowerCase(), ...words.map((w) => w[0]?.toUpperCase() + w.slice(1))].join("");
}

function generatedSummary(method: string, path: string): string {
  const segments = path.split("/").filter((s) => s.length > 0);
  const last = segments.at(-1) ?? "";
  const literals = segments.filter((s) => !s.startsWith("{")).map((s) => s.replace(/[-_.]/g, " "));
  const subject = literals.join(" ") || "the API root";
  if (last.startsWith("{")) {
    const verb = { GET: "Get", DELETE: "Delete", PUT: "Replace", PATCH: "Update" }[method] ?? method;
    return `${verb} one of ${subject} by ${last.slice(1, -1)}`;
  }
  const verb = { GET: "Read", POST: "Post to", PUT: "Replace", PATCH: "Update", DELETE: "Delete" }[method];
  return `${verb ?? method} ${subject}`;
}
