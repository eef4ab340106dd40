/**
 * @module api/routes/agents
 * Agents: list, get, config (get and partial update, with this month's model usage) and delete.
 * Agents are created by `POST /deploy`; invoking them and their logs are in `invoke.ts`. Delete
 * stops the agent's processes, revokes its identity and removes its files; a config update
 * restarts a running agent with the new configuration (the old process serves until the new one
 * is ready).
 *
 * The agent JSON is the documented nested shape (`spec`, `status{phase, message}`) plus the flat
 * keys clients read: `phase`, `image`, `required_tools` (names), `llm_config`, `llm_configs`,
 * `system_prompt`, `identity_provider`, `policies`, `runtime`, `created_at`, `updated_at`.
 * `status` stays an object (the Python SDK reads `status.phase`); clients wanting a string read
 * the flat `phase`.
 */

import {
  configVersion,
  parseConfigUpdate,
  requiredToolNames,
  storedLlmConfigs,
  updateAgentConfig,
} from "../../deploy/agent-config.js";
import { removeAgent } from "../../deploy/deploy-agent.js";
import { getDeployment } from "../../deploy/supervisor/deployments.js";
import { HttpError, notFound } from "../../errors.js";
import { listUsage, monthPeriod, resolveModelProvider, usageRows } from "../../gateway/spend.js";
import { agentWebhookView, deleteAgentWebhook } from "../../governance/run-webhooks.js";
import type { ResourceRecord } from "../../store/store.js";
import { isObject, type Obj } from "../../validate.js";
import { deleted, ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { AGENT_ROUTES } from "../schemas/resources.js";
import { withoutEndedDevSessions } from "./dev-session.js";
import { registerInvokeRoutes } from "./invoke.js";
import { providerRef } from "./models.js";

export function registerAgentRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/agents", { schema: AGENT_ROUTES.list, permission: "read", handler: listAgents });
  api.add("GET", "/agents/:name", { schema: AGENT_ROUTES.get, permission: "read", handler: getAgent });
  api.add("DELETE", "/agents/:name", {
    schema: AGENT_ROUTES.delete,
    permission: "develop",
    handler: deleteAgent,
  });
  api.add("GET", "/agents/:name/config", {
    schema: AGENT_ROUTES.getConfig,
    permission: "read",
    handler: getConfig,
  });
  api.add("PUT", "/agents/:name/config", {
    schema: AGENT_ROUTES.putConfig,
    permission: "develop",
    handler: putConfig,
  });
  api.add("GET", "/agents/:name/versions", {
    schema: AGENT_ROUTES.versions,
    permission: "read",
    handler: versions,
  });
  api.add("POST", "/agents/:name/redeploy", {
    schema: AGENT_ROUTES.redeploy,
    permission: "develop",
    handler: redeploy,
  });
  registerInvokeRoutes(api);
}

/** The agent's source deployments, newest first, and the one serving now (0: none). */
async function versions(ctx: RequestContext) {
  const name = ctx.params.name as string;
  const record = await loadAgent(ctx, name);
  const status = isObject(record.doc.status) ? record.doc.status : {};
  const deployment = await getDeployment(ctx.store, { workspace: ctx.workspace, name });
  return ok({
    agent: name,
    namespace: ctx.workspace,
    serving: typeof status.version === "number" ? status.version : 0,
    versions: [...(deployment?.history ?? [])].reverse(),
  });
}

/** Builds (when needed) and starts the agent's current deployment again; 202 with the new phase. */
async function redeploy(ctx: RequestContext) {
  const name = ctx.params.name as string;
  await loadAgent(ctx, name);
  const backend = ctx.services.agents;
  if (!backend) throw new HttpError(503, "no agent backend is running on this platform");
  const status = await backend.start({ workspace: ctx.workspace, name });
  return {
    status: 202,
    body: {
      agent: name,
      namespace: ctx.workspace,
      phase: status.phase,
      message: status.message,
      version: status.version,
    },
  };
}

async function listAgents(ctx: RequestContext) {
  const records = await withoutEndedDevSessions(
    ctx.services,
    await ctx.store.listResources(ctx.workspace, "agent"),
  );
  return ok(records.map((r) => agentView(r, ctx.workspace)));
}

async function getAgent(ctx: RequestContext) {
  const name = ctx.params.name as string;
  const [record] = await withoutEndedDevSessions(ctx.services, [await loadAgent(ctx, name)]);
  if (!record) throw notFound(`agent ${name} not found`);
  return ok(agentView(record, ctx.workspace));
}

async function deleteAgent(ctx: RequestContext) {
  const name = ctx.params.name as string;
  if (!(await removeAgent(ctx.store, ctx.workspace, name, ctx.services.agents))) {
    throw notFound(`agent ${name} not found`);
  }
  await deleteAgentWebhook(ctx.store, ctx.workspace, name);
  return deleted();
}

async function getConfig(ctx: RequestContext) {
  const record = await loadAgent(ctx, ctx.params.name as string);
  return ok(await agentConfigView(ctx, record));
}

async function putConfig(ctx: RequestContext) {
  const name = ctx.params.name as string;
  const update = parseConfigUpdate(ctx.body, ctx.services.baseUrl());
  const record = await updateAgentConfig(ctx.store, ctx.workspace, name, update);
  // The webhook is the platform's business: the agent's process need not restart for it.
  if (Object.keys(update).some((key) => key !== "webhook" && key !== "expected_config_version"))
    await ctx.services.agents?.start({ workspace: ctx.workspace, name });
  return ok(await agentConfigView(ctx, record));
}

async function loadAgent(ctx: RequestContext, name: string): Promise<ResourceRecord> {
  const record = await ctx.store.getResource(ctx.workspace, "agent", name);
  if (!record) throw notFound(`agent ${name} not found`);
  return record;
}

/** AgentConfig (api-contract §3.2), with model providers resolved and this month's usage. */
async function agentConfigView(ctx: RequestContext, record: ResourceRecord): Promise<Obj> {
  const spec = isObject(record.doc.spec) ? record.doc.spec : {};
  const providers = (await ctx.store.listResources(ctx.workspace, "model_provider")).map(providerRef);
  const configs = storedLlmConfigs(record.doc).map((c) => ({
    ...c,
    model_provider: resolveModelProvider(providers, c),
  }));
  const period = monthPeriod(new Date());
  const usage = await listUsage(ctx.store, ctx.workspace, period, record.name);
  return {
    agent_name: record.name,
    namespace: ctx.workspace,
    image: text(spec.image),
    runtime: text(spec.runtime),
    system_prompt: text(spec.systemPrompt),
    identity_provider: text(spec.identityProvider),
    llm_configs: configs,
    model_usage: usageRows(record.name, configs, usage, period),
    required_tools: requiredToolNames(record.doc),
    policies: stringList(spec.policies),
    config_version: configVersion(record.doc),
    webhook: agentWebhookView(spec),
  };
}

/** Nested shape plus the flat keys the Go CLI and the Python SDK read. */
export function agentView(record: ResourceRecord, workspace: string): Obj {
  const spec = isObject(record.doc.spec) ? record.doc.spec : {};
  const status = isObject(record.doc.status) ? record.doc.status : { phase: "Pending", message: "" };
  return {
    name: record.name,
    namespace: workspace,
    labels: isObject(record.doc.labels) ? record.doc.labels : {},
    spec,
    status,
    phase: text(status.phase) || "Pending",
    image: text(spec.image),
    required_tools: requiredToolNames(record.doc),
    llm_config: isObject(spec.llmConfig) ? spec.llmConfig : null,
    llm_configs: storedLlmConfigs(record.doc),
    system_prompt: text(spec.systemPrompt),
    identity_provider: text(spec.identityProvider),
    policies: stringList(spec.policies),
    runtime: text(spec.runtime),
    isolation: text(status.isolation),
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");
const stringList = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
