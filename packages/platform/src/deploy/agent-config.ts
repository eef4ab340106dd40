/**
 * @module deploy/agent-config
 * The agent configuration behind `GET|PUT /agents/{name}/config`: reading the stored model
 * mappings, parsing a partial update and applying it (with optimistic concurrency, so a
 * concurrent deploy is never silently overwritten). The deploy issue extends
 * {@link updateAgentConfig} to restart a running agent with its new configuration.
 *
 * Update rules: any subset of `system_prompt`, `identity_provider`, `llm_configs`,
 * `required_tools`, `policies` (validated like the deploy body; `identity_provider: ""` clears
 * it, a list replaces the previous one). The read-only AgentConfig keys (`agent_name`,
 * `namespace`, `image`, `runtime`, `model_usage`) are ignored, so a fetched config can be sent
 * back as is; any other key is a 400. Referenced tools and policies need not exist yet: a missing
 * policy allows nothing.
 */

import { createHash } from "node:crypto";
import { HttpError, notFound } from "../errors.js";
import type { AgentLlmConfig } from "../gateway/spend.js";
import { parseRunWebhook, type RunWebhook, saveAgentWebhook } from "../governance/run-webhooks.js";
import { type ResourceRecord, type Store, VersionConflictError } from "../store/store.js";
import { isObject, type Obj, optionalString } from "../validate.js";
import { IDP_LABEL } from "./deploy-agent.js";
import { parseLlmConfigs, parseNameList, parseOptionalName } from "./deploy-request.js";

export interface AgentConfigUpdate {
  system_prompt?: string;
  identity_provider?: string;
  llm_configs?: AgentLlmConfig[];
  required_tools?: string[];
  policies?: string[];
  /** The agent's default run webhook; null removes it. */
  webhook?: RunWebhook | null;
  /** Update only if the configuration is still this {@link configVersion} (else 409). */
  expected_config_version?: string;
}

const UPDATABLE = [
  "system_prompt",
  "identity_provider",
  "llm_configs",
  "required_tools",
  "policies",
  "webhook",
] as const;
const READ_ONLY = new Set(["agent_name", "namespace", "image", "runtime", "model_usage", "config_version"]);

export function parseConfigUpdate(body: Obj, platformUrl: string): AgentConfigUpdate {
  for (const key of Object.keys(body)) {
    if (
      !(UPDATABLE as readonly string[]).includes(key) &&
      !READ_ONLY.has(key) &&
      key !== "expected_config_version"
    ) {
      throw new HttpError(400, `unknown field "${key}": updatable fields are ${UPDATABLE.join(", ")}`);
    }
  }
  const update: AgentConfigUpdate = {};
  const given = (key: string) => body[key] !== undefined && body[key] !== null;
  if (given("system_prompt")) update.system_prompt = optionalString(body, "system_prompt") ?? "";
  if (given("identity_provider"))
    update.identity_provider = parseOptionalName(body.identity_provider, "identity_provider");
  if (given("llm_configs")) update.llm_configs = parseLlmConfigs(body.llm_configs, "llm_configs");
  if (given("required_tools")) update.required_tools = parseNameList(body.required_tools, "required_tools");
  if (given("policies")) update.policies = parseNameList(body.policies, "policies");
  if (body.webhook !== undefined)
    update.webhook =
      body.webhook === null || body.webhook === "" ? null : parseRunWebhook(body.webhook, platformUrl);
  if (Object.keys(update).length === 0) throw new HttpError(400, "at least one field must be provided");
  if (body.expected_config_version !== undefined && body.expected_config_version !== null) {
    if (typeof body.expected_config_version !== "string" || !body.expected_config_version) {
      throw new HttpError(
        400,
        "expected_config_version must be the config_version string GET /config returned",
      );
    }
    update.expected_config_version = body.expected_config_version;
  }
  return update;
}

/** Applies `update` to the stored agent; 404 `agent <name> not found`. */
export async function updateAgentConfig(
  store: Store,
  ws: string,
  name: string,
  update: AgentConfigUpdate,
): Promise<ResourceRecord> {
  for (;;) {
    const existing = await store.getResource(ws, "agent", name);
    if (!existing) throw notFound(`agent ${name} not found`);
    const current = configVersion(existing.doc);
    if (update.expected_config_version !== undefined && update.expected_config_version !== current) {
      throw new HttpError(
        409,
        `the configuration of agent ${name} changed since you read it (config_version ${current}, not ${update.expected_config_version}): reload it, then apply your change again`,
        { code: "CONFIG_VERSION_CONFLICT", details: { config_version: current } },
      );
    }
    const spec: Obj = { ...(isObject(existing.doc.spec) ? existing.doc.spec : {}) };
    const labels: Obj = { ...(isObject(existing.doc.labels) ? existing.doc.labels : {}) };
    if (update.system_prompt !== undefined) spec.systemPrompt = update.system_prompt;
    if (update.identity_provider !== undefined) {
      spec.identityProvider = update.identity_provider;
      if (update.identity_provider) labels[IDP_LABEL] = update.identity_provider;
      else delete labels[IDP_LABEL];
    }
    if (update.llm_configs !== undefined) {
      spec.llmConfigs = update.llm_configs;
      const primary = update.llm_configs.find((c) => c.role === "default") ?? update.llm_configs[0];
      if (primary) spec.llmConfig = { provider: primary.provider, model: primary.model };
      else delete spec.llmConfig;
    }
    if (update.required_tools !== undefined)
      spec.requiredTools = update.required_tools.map((t) => ({ name: t }));
    if (update.policies !== undefined) spec.policies = update.policies;
    if (update.webhook !== undefined) {
      const saved = await saveAgentWebhook(store, ws, name, update.webhook);
      if (saved) spec.webhook = saved;
      else delete spec.webhook;
    }
    try {
      const { record } = await store.putResource(
        ws,
        "agent",
        name,
        { ...existing.doc, labels, spec },
        { expectedVersion: existing.version },
      );
      return record;
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
    }
  }
}

/**
 * The version of an agent's configuration: a digest of its `spec` and labels (what deploys and
 * config updates change; the supervisor's `status` writes do not count), so it changes exactly
 * when the configuration does.
 */
export function configVersion(doc: Obj): string {
  const spec = isObject(doc.spec) ? doc.spec : {};
  const labels = isObject(doc.labels) ? doc.labels : {};
  return createHash("sha256").update(canonicalJson({ spec, labels })).digest("hex").slice(0, 16);
}

/** JSON with object keys sorted (PostgreSQL's jsonb reorders them). */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    isObject(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );

/** The model mappings stored on an agent document (`spec.llmConfigs`, else `spec.llmConfig`). */
export function storedLlmConfigs(doc: Obj): AgentLlmConfig[] {
  const spec = isObject(doc.spec) ? doc.spec : {};
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  if (Array.isArray(spec.llmConfigs)) {
    return spec.llmConfigs.filter(isObject).map((c) => ({
      role: text(c.role),
      model_provider: text(c.model_provider),
      provider: text(c.provider),
      model: text(c.model),
      monthly_budget_usd: typeof c.monthly_budget_usd === "number" ? c.monthly_budget_usd : null,
    }));
  }
  const single = isObject(spec.llmConfig) ? spec.llmConfig : undefined;
  if (!single || !text(single.model)) return [];
  return [
    {
      role: "default",
      model_provider: "",
      provider: text(single.provider),
      model: text(single.model),
      monthly_budget_usd: null,
    },
  ];
}

/** Tool names from `spec.requiredTools` (`[{name}]` or plain strings). */
export function requiredToolNames(doc: Obj): string[] {
  const spec = isObject(doc.spec) ? doc.spec : {};
  if (!Array.isArray(spec.requiredTools)) return [];
  return spec.requiredTools
    .map((t) => (typeof t === "string" ? t : isObject(t) && typeof t.name === "string" ? t.name : ""))
    .filter((t) => t !== "");
}
