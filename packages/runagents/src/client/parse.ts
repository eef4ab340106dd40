/**
 * @module
 * Lenient parsers: wire JSON (nested `metadata`/`spec`/`status.phase` or flat snake_case) → typed
 * camelCase objects. Missing or mistyped keys become `""`, `0`, `false`, `[]` or `{}`; nothing throws.
 */

import type {
  Agent,
  AgentConfig,
  AgentConfigLLM,
  AgentModelUsage,
  AnalysisResult,
  DeleteResult,
  DeployResult,
  InvokeResult,
  JsonObject,
  ModelProvider,
  ModelSpendItem,
  ModelSpendResponse,
  ProbeResult,
  Tool,
  ToolCapability,
} from "./types.js";

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function obj(value: unknown): JsonObject {
  return isObject(value) ? value : {};
}

/** Read a dotted path (`spec.connection.baseUrl`). */
export function at(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** Strings as is; numbers and booleans stringified; anything else `""`. */
export function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "";
}

/** The first path whose value is a non-empty string (first hit wins). */
export function firstText(source: unknown, ...paths: string[]): string {
  for (const path of paths) {
    const value = text(at(source, path));
    if (value !== "") return value;
  }
  return "";
}

export function num(value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)))
    return Number(value);
  return 0;
}

export function numOrNull(value: unknown): number | null {
  return value === undefined || value === null || value === "" ? null : num(value);
}

export function bool(value: unknown, fallback = false): boolean {
  return typeof value === "boolean" ? value : fallback;
}

/** The first path holding a non-empty array. */
export function firstList(source: unknown, ...paths: string[]): unknown[] {
  for (const path of paths) {
    const value = at(source, path);
    if (Array.isArray(value) && value.length > 0) return value;
  }
  return [];
}

/** Array items as strings; `{name}` objects become their name; other items are dropped. */
export function texts(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => (isObject(item) ? text(item.name) : text(item))).filter((item) => item !== "");
}

export function objects(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

export function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(obj(value))) out[key] = text(item);
  return out;
}

/** `status.phase` when `status` is an object, else the `status` string. */
export function phase(value: JsonObject): string {
  return isObject(value.status) ? text(value.status.phase) : text(value.status);
}

/** Delete helpers: objects pass through with a string `status`; anything else is `{status: raw}`. */
export function toDeleteResult(value: unknown): DeleteResult {
  if (isObject(value)) return { ...value, status: text(value.status) };
  return { status: typeof value === "string" ? value : JSON.stringify(value) };
}

/** `list()` helpers: a non-array response is an empty list. */
export function listOf<T>(value: unknown, parse: (item: unknown) => T): T[] {
  return Array.isArray(value) ? value.map(parse) : [];
}

export function toAgent(value: unknown): Agent {
  const d = obj(value);
  return {
    name: firstText(d, "name", "metadata.name"),
    namespace: firstText(d, "namespace", "metadata.namespace"),
    status: phase(d),
    statusMessage: firstText(d, "status.message"),
    image: firstText(d, "spec.image", "image"),
    requiredTools: texts(firstList(d, "spec.requiredTools", "required_tools")),
    systemPrompt: firstText(d, "spec.systemPrompt", "system_prompt"),
    createdAt: firstText(d, "metadata.creationTimestamp", "created_at"),
  };
}

function toAgentConfigLLM(value: unknown): AgentConfigLLM {
  const d = obj(value);
  return {
    role: text(d.role),
    modelProvider: text(d.model_provider),
    provider: text(d.provider),
    model: text(d.model),
    monthlyBudgetUsd: numOrNull(d.monthly_budget_usd),
  };
}

export function toModelUsage(value: unknown): AgentModelUsage {
  const d = obj(value);
  return {
    label: text(d.label),
    role: text(d.role),
    modelProvider: text(d.model_provider),
    provider: text(d.provider),
    model: text(d.model),
    monthlyBudgetUsd: numOrNull(d.monthly_budget_usd),
    estimatedSpendUsd: num(d.estimated_spend_usd),
    remainingBudgetUsd: numOrNull(d.remaining_budget_usd),
    periodStart: text(d.period_start),
    periodEnd: text(d.period_end),
    status: text(d.status),
  };
}

export function toAgentConfig(value: unknown): AgentConfig {
  const d = obj(value);
  return {
    agentName: text(d.agent_name),
    namespace: text(d.namespace),
    image: text(d.image),
    runtime: text(d.runtime),
    systemPrompt: text(d.system_prompt),
    identityProvider: text(d.identity_provider),
    llmConfigs: objects(d.llm_configs).map(toAgentConfigLLM),
    modelUsage: objects(d.model_usage).map(toModelUsage),
    requiredTools: texts(d.required_tools),
    policies: texts(d.policies),
  };
}

export function toDeployResult(value: unknown): DeployResult {
  const d = obj(value);
  return {
    agentName: firstText(d, "agent_name", "agent"),
    namespace: text(d.namespace),
    toolsCreated: texts(d.tools_created),
    status: firstText(d, "status", "execution_mode"),
    message: text(d.message),
    buildId: text(d.build_id),
    imageUri: text(d.image_uri),
    executionMode: text(d.execution_mode),
    buildRequired: bool(d.build_required),
    buildProfile: text(d.build_profile),
    decisionReason: text(d.decision_reason),
  };
}

export function toInvokeResult(value: unknown): InvokeResult {
  if (!isObject(value)) return { response: text(value), raw: {} };
  const result: InvokeResult = { response: text(value.response), raw: value };
  const runId = firstText(value, "run_id", "runId");
  if (runId !== "") result.runId = runId;
  return result;
}

function toCapability(value: unknown): ToolCapability {
  const d = obj(value);
  return {
    name: text(d.name),
    method: text(d.method),
    path: text(d.path),
    description: text(d.description),
    riskTags: texts(firstList(d, "riskTags", "risk_tags")),
  };
}

export function toTool(value: unknown): Tool {
  const d = obj(value);
  return {
    name: firstText(d, "name", "metadata.name"),
    namespace: firstText(d, "namespace", "metadata.namespace"),
    description: firstText(d, "spec.description", "description"),
    baseUrl: firstText(d, "spec.connection.baseUrl", "spec.base_url", "base_url"),
    authType: firstText(d, "spec.connection.authentication.type", "spec.auth_type", "auth_type", "auth"),
    topology: firstText(d, "spec.topology", "spec.connection.topology", "topology"),
    accessMode: firstText(
      d,
      "spec.accessMode",
      "spec.access_mode",
      "spec.governance.accessControl.mode",
      "access_mode",
    ),
    capabilities: objects(firstList(d, "spec.capabilities", "capabilities")).map(toCapability),
    status: phase(d),
  };
}

export function toProbeResult(value: unknown): ProbeResult {
  const d = obj(value);
  return {
    reachable: bool(d.reachable),
    statusCode: num(d.status_code),
    latencyMs: num(d.latency_ms),
  };
}

export function toModelProvider(value: unknown): ModelProvider {
  const d = obj(value);
  return {
    name: firstText(d, "name", "metadata.name"),
    namespace: firstText(d, "namespace", "metadata.namespace"),
    provider: firstText(d, "spec.provider", "provider"),
    models: texts(firstList(d, "spec.models", "models")),
    status: phase(d),
    endpoint: firstText(d, "spec.endpoint", "endpoint"),
  };
}

function toSpendItem(value: unknown): ModelSpendItem {
  const d = obj(value);
  return { ...toModelUsage(d), agentName: text(d.agent_name), agentNamespace: text(d.agent_namespace) };
}

export function toModelSpend(value: unknown): ModelSpendResponse {
  const d = obj(value);
  const s = obj(d.summary);
  return {
    summary: {
      totalEstimatedSpendUsd: num(s.total_estimated_spend_usd),
      totalBudgetUsd: num(s.total_budget_usd),
      remainingBudgetUsd: num(s.remaining_budget_usd),
      budgetedModelCount: num(s.budgeted_model_count),
      nearBudgetCount: num(s.near_budget_count),
      blockedCount: num(s.blocked_count),
      uncappedSpendUsd: num(s.uncapped_spend_usd),
      periodStart: text(s.period_start),
      periodEnd: text(s.period_end),
    },
    warnings: objects(d.warnings).map(toSpendItem),
    topModels: objects(d.top_models).map(toSpendItem),
  };
}

export function toAnalysisResult(value: unknown): AnalysisResult {
  const d = obj(value);
  return {
    id: text(d.id),
    framework: text(d.framework),
    runtimeFamily: text(d.runtime_family),
    adapter: text(d.adapter),
    tools: objects(d.tools).map((t) => ({
      name: text(t.name),
      baseUrl: text(t.base_url),
      file: text(t.file),
      line: num(t.line),
    })),
    modelProviders: objects(d.model_providers).map((m) => ({
      provider: text(m.provider),
      model: text(m.model),
    })),
    modelUsages: objects(d.model_usages).map((u) => ({
      role: text(u.role),
      variableName: text(u.variable_name),
      file: text(u.file),
      line: num(u.line),
    })),
    secrets: objects(d.secrets).map((s) => ({
      type: text(s.type),
      file: text(s.file),
      line: num(s.line),
      severity: text(s.severity),
    })),
    outboundDestinations: Array.isArray(d.outbound_destinations) ? d.outbound_destinations : [],
    detectedRequirements: texts(d.detected_requirements),
    entryPoint: text(d.entry_point),
    systemPromptSuggestion: text(d.system_prompt_suggestion),
  };
}
