/**
 * @module api/schemas/platform
 * Invoking agents and dev sessions, the LLM gateway, MCP, API keys and auth settings, the
 * context and audit exports, and this document.
 */
import { ROLES } from "../roles.js";
import {
  any,
  array,
  boolean,
  component,
  integer,
  noBody,
  number,
  object,
  oneOf,
  optional,
  type RouteSchema,
  record,
  string,
  text,
} from "../schema.js";
import { Deleted, Json } from "./common.js";

/** The longest an API key may live. */
export const MAX_EXPIRES_IN_DAYS = 3650;
const expiresInDays = optional(
  integer({ minimum: 1, maximum: MAX_EXPIRES_IN_DAYS, description: "Days until the key stops working" }),
);

const InvokeInput = component(
  "InvokeRequest",
  object({
    message: optional(string()),
    conversation_id: optional(string()),
    user_id: optional(
      string({ description: "The end user (keys allowed to act for users, or verified tokens)" }),
    ),
    run_id: optional(string()),
    history: optional(array(Json)),
    webhook: optional(
      any(
        "A URL (or {url, secret}) the platform POSTs to when the run pauses or finishes, signed with HMAC-SHA256 of the body keyed by the secret",
      ),
    ),
  }),
);

const InvokeResult = component(
  "InvokeResponse",
  object(
    {
      run_id: string(),
      conversation_id: string(),
      response: optional(any("The agent's answer (usually a string)")),
      model: optional(string()),
      usage: optional(Json),
      tool_calls_made: optional(array(Json)),
      duration_ms: optional(number()),
      request_id: optional(string()),
      approval_required: optional(Json),
      consent_required: optional(Json),
    },
    { description: "The agent's own answer, passed through, with the run and conversation ids" },
  ),
);

const ApiKey = component(
  "ApiKey",
  object({
    id: string(),
    name: string(),
    prefix: string(),
    last4: string(),
    role: oneOf(ROLES),
    groups: array(string()),
    createdAt: string(),
    lastUsedAt: optional(string()),
    expiresAt: optional(string()),
    actForUsers: optional(boolean()),
  }),
);

const IssuedKey = component(
  "IssuedApiKey",
  object({
    key: ApiKey,
    token: string({ description: "Shown once" }),
    header: string({ description: "The header to send it in" }),
  }),
);

const AuthSettings = component(
  "AuthSettings",
  object({
    sessionIdleTimeoutMinutes: integer(),
    minSessionIdleTimeoutMinutes: integer(),
    maxSessionIdleTimeoutMinutes: integer(),
    programmaticHeader: string(),
    apiKeyPrefix: string(),
    apiKeyCount: integer(),
    oauthCallbackUrl: optional(string()),
  }),
);

const ChatInput = component(
  "ChatCompletionRequest",
  object({
    model: text(),
    messages: array(object({ role: string(), content: optional(any("Text, parts or null")) })),
    stream: optional(boolean()),
    tools: optional(array(Json)),
  }),
);

const ChatResult = component(
  "ChatCompletion",
  object({
    id: string(),
    object: string(),
    created: integer(),
    model: string(),
    choices: array(Json),
    usage: optional(Json),
  }),
);

const ModelList = component(
  "ModelList",
  object({
    object: oneOf(["list"]),
    data: array(object({ id: string(), object: oneOf(["model"]), created: integer(), owned_by: string() })),
  }),
);

const sse = (description: string) => ({ mediaType: "text/event-stream", schema: string({ description }) });
const auditWindow = object({
  from: optional(string({ format: "date-time", description: "ISO 8601 time, inclusive" })),
  to: optional(string({ format: "date-time", description: "ISO 8601 time, exclusive" })),
});

export const INVOKE_ROUTES = {
  invoke: { body: InvokeInput, bodyParsedByHandler: true, responses: { 200: InvokeResult } },
  stream: {
    body: InvokeInput,
    bodyParsedByHandler: true,
    responses: { 200: sse("Server-sent events: token, tool, approval_required, done, error...") },
  },
} satisfies Record<string, RouteSchema>;

export const DEV_SESSION_ROUTES = {
  start: {
    body: object({
      url: text({ format: "uri", description: "The loopback URL of the runagents dev runtime" }),
      tools: optional(array(string())),
      policies: optional(array(string())),
      system_prompt: optional(string()),
      model: optional(any("A model name, or {provider, model}")),
    }),
    bodyParsedByHandler: true,
    responses: {
      200: object({
        agent: string(),
        namespace: string(),
        tool_urls: record(string()),
        llm_gateway_url: string(),
        governance_url: string(),
        tool_definitions: array(Json),
        tool_routes: Json,
        invoke_url: string(),
        warnings: array(string()),
      }),
    },
  },
  end: { responses: { 200: object({ agent: string(), namespace: string(), status: oneOf(["ended"]) }) } },
} satisfies Record<string, RouteSchema>;

export const GATEWAY_ROUTES = {
  chat: {
    body: ChatInput,
    bodyParsedByHandler: true,
    responses: {
      200: { anyOf: [ChatResult, string({ description: "With stream: true, server-sent events" })] },
    },
  },
  models: { responses: { 200: ModelList } },
} satisfies Record<string, RouteSchema>;

export const MCP_ROUTES = {
  post: {
    body: { description: "A JSON-RPC 2.0 message or batch (Streamable HTTP)", ...Json },
    bodyParsedByHandler: true,
    responses: {
      200: { mediaType: "application/json", schema: any("A JSON-RPC response, or a batch of them") },
      202: noBody(),
    },
  },
  notOffered: { responses: { 405: { $ref: "#/components/schemas/Error" } } },
} satisfies Record<string, RouteSchema>;

export const API_KEY_ROUTES = {
  list: { responses: { 200: array(ApiKey) } },
  create: {
    body: object({
      name: text(),
      role: optional(oneOf(ROLES)),
      groups: optional(array(string())),
      expiresInDays,
      actForUsers: optional(boolean()),
    }),
    bodyParsedByHandler: true,
    responses: { 201: IssuedKey },
  },
  revoke: { responses: { 200: Deleted } },
  rotate: {
    body: object({ expiresInDays }),
    responses: { 200: IssuedKey },
  },
  getSettings: { responses: { 200: AuthSettings } },
  putSettings: {
    body: object({
      sessionIdleTimeoutMinutes: optional(integer()),
      oauthCallbackUrl: optional(string({ description: 'An absolute http(s) URL; "" clears it' })),
    }),
    bodyParsedByHandler: true,
    responses: { 200: AuthSettings },
  },
} satisfies Record<string, RouteSchema>;

export const EXPORT_ROUTES = {
  context: {
    responses: {
      200: object({
        generated_at: string(),
        namespace: string(),
        user_id: string(),
        resources: Json,
        errors: record(string()),
        meta: record(integer()),
      }),
    },
  },
  audit: {
    query: auditWindow,
    responses: {
      200: { mediaType: "application/x-ndjson", schema: string({ description: "One JSON record per line" }) },
    },
  },
} satisfies Record<string, RouteSchema>;

export const OPENAPI_ROUTES = {
  document: { responses: { 200: object({ openapi: string(), info: Json, paths: Json }) } },
} satisfies Record<string, RouteSchema>;

export const EVENT_ROUTES = {
  stream: {
    query: object({
      run: optional(string({ description: "Only this run's events" })),
      agent: optional(string({ description: "Only events of runs of this agent" })),
      kind: optional(
        string({ description: "Event types, comma-separated (TOOL_REQUEST,APPROVAL_REQUIRED)" }),
      ),
      last_event_id: optional(string({ description: "Resume after this feed position (as Last-Event-ID)" })),
      ticket: optional(
        string({ description: "A one-use ticket from POST /events/stream-ticket, for EventSource" }),
      ),
      approvals: optional(
        boolean({
          description:
            'true: also `event: approval` with {"pending": N} (all pending approval requests, with or without a run; for a signed-in user, those an approval rule lets them decide) at the start and whenever the count changes',
        }),
      ),
      agents: optional(
        boolean({
          description:
            'true: also `event: agent` with {"name", "phase", "message", "version"} whenever an agent\'s phase or status message changes ("Deleted" when removed); API keys only (403 for a signed-in user)',
        }),
      ),
    }),
    queryParsedByHandler: true,
    responses: {
      200: sse(
        "Server-sent events: one run event per message, its feed position as the id (a signed-in user: only runs they started); with approvals or agents, also the named events `approval` and `agent`",
      ),
    },
  },
  ticket: {
    responses: { 201: object({ ticket: string(), expires_at: string({ format: "date-time" }) }) },
  },
} satisfies Record<string, RouteSchema>;
