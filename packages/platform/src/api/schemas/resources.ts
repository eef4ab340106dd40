/**
 * @module api/schemas/resources
 * Agents, tools, model providers, policies, identity providers and approval connectors: the
 * documented nested shape (`spec`, `status`) plus the flat keys the CLIs read.
 */
import { CONNECTOR_TYPES, DELIVERY_MODES, SLACK_SECURITY_MODES } from "../../governance/connectors.js";
import { PERMISSIONS } from "../../governance/policy.js";
import {
  any,
  array,
  boolean,
  component,
  integer,
  nullable,
  number,
  object,
  oneOf,
  optional,
  type RouteSchema,
  record,
  string,
  text,
} from "../schema.js";
import { Deleted, Json, Phase, resourceName, stamps } from "./common.js";

export const PROVIDER_TYPES = ["openai", "anthropic", "bedrock", "ollama", "playground"] as const;

const LlmConfig = component(
  "LlmConfig",
  object({
    provider: optional(string()),
    model: optional(string()),
    role: optional(string()),
    model_provider: optional(string({ description: "The registered provider serving the model" })),
  }),
);

export const Agent = component(
  "Agent",
  object({
    name: string(),
    namespace: string(),
    labels: record(string()),
    spec: Json,
    status: Phase,
    phase: string({ description: "status.phase as a string (Pending, Running, Failed, ...)" }),
    image: string(),
    required_tools: array(string()),
    llm_config: nullable(Json),
    llm_configs: array(LlmConfig),
    system_prompt: string(),
    identity_provider: string(),
    policies: array(string()),
    runtime: string(),
    isolation: string(),
    ...stamps,
  }),
);

export const AgentConfig = component(
  "AgentConfig",
  object({
    agent_name: string(),
    namespace: string(),
    image: string(),
    runtime: string(),
    system_prompt: string(),
    identity_provider: string(),
    llm_configs: array(LlmConfig),
    model_usage: array(Json),
    required_tools: array(string()),
    policies: array(string()),
    config_version: string({
      description:
        "Changes whenever the configuration does: send it back as expected_config_version to update only what you read",
    }),
    webhook: nullable(
      object(
        { url: string(), signed: boolean() },
        {
          description: "The run webhook of this agent's runs invoked without one (its secret is never shown)",
        },
      ),
    ),
  }),
);

const AgentConfigUpdate = object({
  system_prompt: optional(string()),
  identity_provider: optional(string()),
  llm_configs: optional(array(LlmConfig)),
  required_tools: optional(array(any("A tool name, or {name}"))),
  policies: optional(array(string())),
  webhook: optional(any("A run webhook URL or {url, secret} for runs invoked without one; null removes it")),
  expected_config_version: optional(
    string({
      description:
        "The config_version this update was made from: 409 when the configuration changed since (reload it)",
    }),
  ),
});

const Capability = component(
  "ToolCapability",
  object({
    name: string(),
    method: string(),
    path: string(),
    description: optional(string()),
  }),
);

export const Tool = component(
  "Tool",
  object({
    name: string(),
    namespace: string(),
    spec: Json,
    status: Phase,
    description: string(),
    base_url: string(),
    topology: string(),
    access_mode: string(),
    auth: string({ description: "Alias of auth_type" }),
    auth_type: oneOf(["None", "APIKey", "OAuth2"]),
    credentials_set: boolean({ description: "Whether credentials are stored (they are never shown)" }),
    capabilities: array(Capability),
    ...stamps,
  }),
);

const ToolInput = object({
  name: resourceName(),
  spec: optional(Json),
  credentials: optional(
    nullable(
      object(
        { api_key: optional(string()), client_id: optional(string()), client_secret: optional(string()) },
        { description: "Written once, never shown; omit to keep the stored ones, null to remove them" },
      ),
    ),
  ),
  base_url: optional(string({ format: "uri", description: "The flat form: instead of spec" })),
  description: optional(string()),
  auth_type: optional(oneOf(["None", "APIKey", "OAuth2"])),
  port: optional(integer()),
  scheme: optional(oneOf(["HTTP", "HTTPS"])),
  capabilities: optional(array(object({ method: string(), path: string(), name: optional(string()) }))),
});

export const ProbeResult = component(
  "ProbeResult",
  object({
    reachable: boolean(),
    status_code: integer(),
    latency_ms: number(),
    error: optional(string()),
  }),
);

export const ModelProvider = component(
  "ModelProvider",
  object({
    name: string(),
    namespace: string(),
    labels: record(string()),
    spec: Json,
    status: Phase,
    provider: string(),
    models: array(string()),
    endpoint: string(),
    ...stamps,
  }),
);

const ModelProviderInput = object({
  name: resourceName(),
  spec: optional(
    object({
      provider: oneOf(PROVIDER_TYPES),
      endpoint: optional(string()),
      models: array(string()),
      auth: optional(Json),
      rateLimit: optional(object({ requestsPerMinute: optional(integer({ minimum: 0 })) })),
      pricing: optional(
        record(object({ input_per_1k: number({ minimum: 0 }), output_per_1k: number({ minimum: 0 }) })),
      ),
    }),
  ),
  api_key: optional(string()),
  credentials: optional(record(string())),
});

const ModelSpendItem = component(
  "ModelSpendItem",
  object({
    agent_name: string(),
    agent_namespace: string(),
    estimated_spend_usd: number(),
    monthly_budget_usd: nullable(number()),
    status: string({ description: "Uncapped, Within budget, Near budget or Budget reached" }),
  }),
);

const ModelSpend = component(
  "ModelSpend",
  object({
    summary: object({
      total_estimated_spend_usd: number(),
      total_budget_usd: number(),
      remaining_budget_usd: number(),
      budgeted_model_count: integer(),
      near_budget_count: integer(),
      blocked_count: integer(),
      uncapped_spend_usd: number(),
      period_start: string(),
      period_end: string(),
    }),
    warnings: array(ModelSpendItem),
    top_models: array(ModelSpendItem),
  }),
);

const PolicyRule = component(
  "PolicyRule",
  object({
    permission: oneOf(PERMISSIONS),
    operations: optional(array(string())),
    resource: string(),
    tags: optional(array(string())),
  }),
);

export const Policy = component(
  "Policy",
  object({
    name: string(),
    namespace: string(),
    spec: object({ policies: array(PolicyRule), approvals: array(Json) }),
    status: object({ ready: boolean(), message: string() }),
    used_by: array(object({ name: string(), namespace: string() })),
    ...stamps,
  }),
);

const PolicyInput = object({
  name: optional(resourceName()),
  spec: object({ policies: optional(array(PolicyRule)), approvals: optional(array(Json)) }),
});

export const IdentityProvider = component(
  "IdentityProvider",
  object({ name: string(), namespace: string(), spec: Json, ...stamps }),
);

export const ApprovalConnector = component(
  "ApprovalConnector",
  object({
    id: string(),
    name: string(),
    namespace: string(),
    type: oneOf(CONNECTOR_TYPES),
    endpoint: string(),
    headers: record(string({ description: "Always ***: header values are credentials" })),
    enabled: boolean(),
    timeout_seconds: number(),
    slack_security_mode: string(),
    ...stamps,
  }),
);

const connectorFields = {
  name: optional(string()),
  type: optional(oneOf(CONNECTOR_TYPES)),
  endpoint: optional(string()),
  headers: optional(record(string())),
  enabled: optional(boolean()),
  timeout_seconds: optional(number()),
  slack_security_mode: optional(oneOf(SLACK_SECURITY_MODES)),
};
const ConnectorInput = object(connectorFields);

const ConnectorDefaults = component(
  "ApprovalConnectorDefaults",
  object({
    default_delivery_mode: oneOf(DELIVERY_MODES),
    default_fallback_to_ui: boolean(),
    default_timeout_seconds: number(),
    min_timeout_seconds: number(),
    max_timeout_seconds: number(),
  }),
);

const ConnectorActivity = component(
  "ApprovalConnectorActivity",
  object({
    id: string(),
    timestamp: string(),
    event: string(),
    connector_id: string(),
    connector_name: string(),
    request_id: string(),
    action_id: string(),
    run_id: string(),
    decision: string(),
    approver_id: string(),
    status_code: integer(),
    duration_ms: number(),
    message: string(),
  }),
);

const ConnectorTestResult = component(
  "ApprovalConnectorTestResult",
  object({
    status: oneOf(["healthy", "unhealthy"]),
    connector_type: string(),
    endpoint: string(),
    checks: array(
      object({
        id: oneOf(["config", "credentials", "connectivity"]),
        label: string(),
        status: string(),
        message: string(),
        duration_ms: number(),
      }),
    ),
  }),
);

const described = <T extends RouteSchema>(schema: T): T => ({ ...schema, bodyParsedByHandler: true });

export const AGENT_ROUTES = {
  list: { responses: { 200: array(Agent) } },
  get: { responses: { 200: Agent } },
  delete: { responses: { 200: Deleted } },
  getConfig: { responses: { 200: AgentConfig } },
  putConfig: described({ body: AgentConfigUpdate, responses: { 200: AgentConfig } }),
  versions: {
    responses: {
      200: object({
        agent: string(),
        namespace: string(),
        serving: integer({ description: "The version serving requests now (0: none)" }),
        versions: array(
          object({
            version: integer(),
            digest: string({ description: "Digest of the version's source files" }),
            deployed_at: string({ format: "date-time" }),
          }),
          { description: "Source deployments, newest first (the last 50)" },
        ),
      }),
    },
  },
  redeploy: {
    responses: {
      202: object({
        agent: string(),
        namespace: string(),
        phase: string(),
        message: string(),
        version: integer({ description: "The version serving requests now (0: none yet)" }),
      }),
    },
  },
  logs: {
    query: object({
      tail: optional(
        integer({ minimum: 0, description: "The last N lines: 100 by default, 2000 at most (0: none)" }),
      ),
      follow: optional(
        boolean({
          description:
            'true: answer with server-sent events instead and stay open: {"type": "line", "line"} for ' +
            'the last `tail` lines and every new one, then {"type": "end", "reason"} (agent deleted, ' +
            "platform shutting down)",
        }),
      ),
    }),
    responses: { 200: object({ agent: string(), namespace: string(), lines: array(string()) }) },
  },
} satisfies Record<string, RouteSchema>;

export const TOOL_ROUTES = {
  list: { responses: { 200: array(Tool) } },
  upsert: described({ body: ToolInput, responses: { 201: Tool, 200: Tool } }),
  probe: { body: object({ url: text({ format: "uri" }) }), responses: { 200: ProbeResult } },
  get: { responses: { 200: Tool } },
  delete: { responses: { 200: Deleted } },
  test: { responses: { 200: ProbeResult } },
} satisfies Record<string, RouteSchema>;

export const MODEL_ROUTES = {
  list: { responses: { 200: array(ModelProvider) } },
  upsert: described({ body: ModelProviderInput, responses: { 201: ModelProvider, 200: ModelProvider } }),
  get: { responses: { 200: ModelProvider } },
  delete: { responses: { 200: Deleted } },
  spend: { responses: { 200: ModelSpend } },
} satisfies Record<string, RouteSchema>;

export const POLICY_ROUTES = {
  list: { responses: { 200: array(Policy) } },
  create: described({ body: PolicyInput, responses: { 201: Policy, 200: Policy } }),
  translate: {
    body: object({ text: text({ description: "Plain language, e.g. 'allow GET on echo-tool'" }) }),
    responses: { 200: object({ rules: array(PolicyRule) }) },
  },
  get: { responses: { 200: Policy } },
  put: described({ body: PolicyInput, responses: { 200: Policy, 201: Policy } }),
  delete: { responses: { 200: Deleted } },
  evaluate: described({
    body: object({
      agent: resourceName("The agent (alias: agent_id)"),
      method: text(),
      url: text({ description: "An absolute URL, or with tool a path starting with /" }),
      tool: optional(string({ description: "A registered tool; url may then be a path" })),
      tags: optional(array(string())),
    }),
    responses: {
      200: object({
        agent: string(),
        method: string(),
        url: string(),
        tool: nullable(string()),
        decision: oneOf(PERMISSIONS),
        effective_decision: oneOf(PERMISSIONS),
        code: nullable(string({ description: "POLICY_DENIED, APPROVAL_REQUIRED... null when allowed" })),
        reason: string(),
        policies: array(string()),
        rules: array(Json),
        matched_rules: array(Json),
        capability: Json,
        tags: array(string()),
        grant: nullable(Json),
      }),
    },
  }),
} satisfies Record<string, RouteSchema>;

export const IDENTITY_PROVIDER_ROUTES = {
  list: { responses: { 200: array(IdentityProvider) } },
  upsert: described({
    body: object({ name: resourceName(), spec: Json }),
    responses: { 201: IdentityProvider, 200: IdentityProvider },
  }),
  get: { responses: { 200: IdentityProvider } },
  delete: { responses: { 200: Deleted } },
} satisfies Record<string, RouteSchema>;

export const CONNECTOR_ROUTES = {
  list: { responses: { 200: array(ApprovalConnector) } },
  create: described({ body: ConnectorInput, responses: { 201: ApprovalConnector } }),
  test: described({
    body: object({
      id: optional(string({ description: "A live connector: test with its stored headers" })),
      ...connectorFields,
    }),
    responses: { 200: ConnectorTestResult },
  }),
  getDefaults: { responses: { 200: ConnectorDefaults } },
  putDefaults: described({
    body: object({
      default_delivery_mode: optional(oneOf(DELIVERY_MODES)),
      default_fallback_to_ui: optional(boolean()),
      default_timeout_seconds: optional(number()),
    }),
    responses: { 200: ConnectorDefaults },
  }),
  activity: {
    query: object({
      limit: optional(integer({ minimum: 1, description: "Newest first; 50 by default, 1000 at most" })),
    }),
    responses: { 200: array(ConnectorActivity) },
  },
  get: { responses: { 200: ApprovalConnector } },
  patch: described({ body: ConnectorInput, responses: { 200: ApprovalConnector } }),
  delete: { responses: { 200: Deleted } },
} satisfies Record<string, RouteSchema>;
