/**
 * @module
 * Typed results (camelCase) and inputs for agents, tools, models, deploy, invoke and analysis.
 * Wire shapes are in api-contract §3; the lenient parsers live in `parse.ts`.
 * Governance types (runs, approvals, policies, connectors, identity providers, action plans) are in
 * `governance-types.ts`.
 */

export type JsonObject = Record<string, unknown>;

/** A delete response: `{status: "deleted"}`, or `{status: <raw body>}` when the body was not an object. */
export interface DeleteResult {
  status: string;
  [key: string]: unknown;
}

export interface Agent {
  name: string;
  namespace: string;
  /** `status.phase` (Pending | Running | Restarting | Failed), or a flat `status` string. */
  status: string;
  /** `status.message`: why the agent is not Running (a failed build, a crash), else `""`. */
  statusMessage: string;
  image: string;
  /** Tool names (`spec.requiredTools` items may be `{name}` objects on the wire). */
  requiredTools: string[];
  systemPrompt: string;
  createdAt: string;
}

export interface AgentConfigLLM {
  role: string;
  modelProvider: string;
  provider: string;
  model: string;
  monthlyBudgetUsd: number | null;
}

export interface AgentModelUsage {
  label: string;
  role: string;
  modelProvider: string;
  provider: string;
  model: string;
  monthlyBudgetUsd: number | null;
  estimatedSpendUsd: number;
  remainingBudgetUsd: number | null;
  periodStart: string;
  periodEnd: string;
  /** `Active` | `Near budget` | `Budget reached` | `Uncapped` */
  status: string;
}

export interface AgentConfig {
  agentName: string;
  namespace: string;
  image: string;
  runtime: string;
  systemPrompt: string;
  identityProvider: string;
  llmConfigs: AgentConfigLLM[];
  modelUsage: AgentModelUsage[];
  requiredTools: string[];
  policies: string[];
}

export interface AgentConfigUpdate {
  systemPrompt?: string;
  identityProvider?: string;
  llmConfigs?: Partial<AgentConfigLLM>[];
  requiredTools?: string[];
  policies?: string[];
}

export interface DeployToolToCreate {
  name: string;
  baseUrl: string;
  description?: string;
  authType?: ToolAuthType;
  port?: number;
  scheme?: ToolScheme;
}

export interface DeployLlmConfig {
  provider: string;
  model: string;
  role?: string;
  modelProvider?: string;
  monthlyBudgetUsd?: number;
}

export interface DeployInput {
  name: string;
  sourceFiles?: Record<string, string>;
  image?: string;
  draftId?: string;
  artifactId?: string;
  systemPrompt?: string;
  requiredTools?: string[];
  /** Detected URL → tool name. */
  toolUrlMappings?: Record<string, string>;
  toolsToCreate?: DeployToolToCreate[];
  llmConfigs?: DeployLlmConfig[];
  env?: { name: string; value: string }[];
  /** Only with `sourceFiles`. */
  requirements?: string;
  /** Only with `sourceFiles`. */
  entryPoint?: string;
  /** Only with `sourceFiles`. */
  framework?: string;
  policies?: string[];
  identityProvider?: string;
}

export interface DeployResult {
  agentName: string;
  namespace: string;
  toolsCreated: string[];
  /** `created` | `updated`; falls back to `executionMode` when the platform sends no `status`. */
  status: string;
  message: string;
  buildId: string;
  imageUri: string;
  executionMode: string;
  buildRequired: boolean;
  buildProfile: string;
  decisionReason: string;
}

export interface InvokeInput {
  message: string;
  history?: { role: string; content: string }[];
  conversationId?: string;
  /** Sent as `user_id` when given. */
  userId?: string;
}

export interface InvokeResult {
  /** The agent's answer (`response`), `""` when absent. */
  response: string;
  /** `run_id` (or `runId`) when the platform returned one. */
  runId?: string;
  /** The whole response body. */
  raw: JsonObject;
}

/** One event of an agent's followed log: a line, or why the platform ended the stream. */
export type AgentLogEvent = { type: "line"; line: string } | { type: "end"; reason: string };

/** One runtime SSE event; `data` is JSON-parsed when possible. */
export interface InvokeStreamEvent {
  event: string;
  data: unknown;
}

export type ToolAuthType = "None" | "APIKey" | "OAuth2";
export type ToolScheme = "HTTPS" | "HTTP";

export interface ToolCapability {
  name: string;
  method: string;
  path: string;
  description: string;
  riskTags: string[];
}

export interface Tool {
  name: string;
  namespace: string;
  description: string;
  baseUrl: string;
  authType: string;
  topology: string;
  accessMode: string;
  capabilities: ToolCapability[];
  /** `status.phase` (Pending | Available | Unreachable) or a flat `status` string. */
  status: string;
}

export interface ToolCreateInput {
  name: string;
  baseUrl: string;
  /** @default "" */
  description?: string;
  /** @default "None" */
  authType?: ToolAuthType;
  /** @default 443 */
  port?: number;
  /** @default "HTTPS" */
  scheme?: ToolScheme;
  /** Sent as given (wire shape `{name, method, path, description?, riskTags?}`). */
  capabilities?: readonly JsonObject[];
  credentials?: { clientId?: string; clientSecret?: string; apiKey?: string };
}

export interface ProbeResult {
  reachable: boolean;
  statusCode: number;
  latencyMs: number;
}

export interface ModelProvider {
  name: string;
  namespace: string;
  /** `openai` | `anthropic` | `bedrock` | `ollama` */
  provider: string;
  models: string[];
  status: string;
  endpoint: string;
}

/** Either the flat fields (turned into `spec`) or a ready-made wire `spec`. */
export type ModelProviderInput =
  | { name: string; provider: string; models: string[]; endpoint?: string; apiKey?: string; spec?: never }
  | { name: string; spec: JsonObject; apiKey?: string };

export interface ModelSpendItem extends AgentModelUsage {
  agentName: string;
  agentNamespace: string;
}

export interface ModelSpendSummary {
  totalEstimatedSpendUsd: number;
  totalBudgetUsd: number;
  remainingBudgetUsd: number;
  budgetedModelCount: number;
  nearBudgetCount: number;
  blockedCount: number;
  uncappedSpendUsd: number;
  periodStart: string;
  periodEnd: string;
}

export interface ModelSpendResponse {
  summary: ModelSpendSummary;
  warnings: ModelSpendItem[];
  topModels: ModelSpendItem[];
}

export interface AnalysisResult {
  id: string;
  framework: string;
  runtimeFamily: string;
  adapter: string;
  tools: { name: string; baseUrl: string; file: string; line: number }[];
  modelProviders: { provider: string; model: string }[];
  modelUsages: { role: string; variableName: string; file: string; line: number }[];
  secrets: { type: string; file: string; line: number; severity: string }[];
  /** Strings in the docs, objects in some SDKs: kept untyped. */
  outboundDestinations: unknown[];
  detectedRequirements: string[];
  entryPoint: string;
  systemPromptSuggestion: string;
}
