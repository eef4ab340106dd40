/**
 * @module api/routes/dev-session
 * `runagents dev --governed`: an agent the developer runs on their machine, governed by this
 * platform as if it were deployed.
 *
 * - `POST /agents/{name}/dev-session` `{url, tools?, policies?, system_prompt?, model?}` records
 *   (or updates) the agent `{name}` labelled `runagents.dev/dev: "true"` with those tools and
 *   policies, status `Running` / "running under runagents dev", mints a new agent token (the
 *   dev agent's earlier tokens are revoked) and routes the agent's invokes and resumes to `url`,
 *   the dev runtime (loopback only). Answers 200 `{agent, namespace, tool_urls{NAME: egress URL},
 *   llm_gateway_url, governance_url, tool_definitions, tool_routes, invoke_url, warnings[]}`;
 *   `warnings` names tools and policies that are not registered (calls to an unregistered tool
 *   are denied). 409 when `{name}` is an agent that is not a dev agent (a deployed one).
 * - `DELETE /agents/{name}/dev-session` ends it: invokes are no longer routed, the tokens are
 *   revoked and the dev agent's record is removed; its runs and approvals stay. 404 for an
 *   unknown agent, 409 for one that is not a dev agent.
 * - A session also ends when the platform sees it is over while listing or reading agents
 *   ({@link withoutEndedDevSessions}): after a platform restart, or once the dev runtime has
 *   refused connections for {@link DEV_RUNTIME_GONE_MS}.
 */

import { egressUrl } from "../../deploy/agent-env.js";
import { type ToolBinding, toolDefinitions } from "../../deploy/tool-definitions.js";
import { tcpProbe } from "../../egress/tool-health.js";
import { conflict, HttpError, notFound } from "../../errors.js";
import { agentGatewayUrl, issueAgentToken, revokeAgentTokens } from "../../governance/agent-identity.js";
import type { Doc, ResourceRecord, Store } from "../../store/store.js";
import {
  checkAgentName,
  checkHttpUrl,
  isObject,
  optionalString,
  optionalStringArray,
} from "../../validate.js";
import { ok, type RequestContext, type RouteDef, type Services } from "../context.js";
import type { Router } from "../router.js";
import { DEV_SESSION_ROUTES } from "../schemas/platform.js";

export const DEV_LABEL = "runagents.dev/dev";
export const DEV_MESSAGE = "running under runagents dev";
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function registerDevSessionRoutes(api: Router<RouteDef>): void {
  api.add("POST", "/agents/:name/dev-session", {
    schema: DEV_SESSION_ROUTES.start,
    permission: "develop",
    handler: startSession,
  });
  api.add("DELETE", "/agents/:name/dev-session", {
    schema: DEV_SESSION_ROUTES.end,
    permission: "develop",
    handler: endSession,
  });
}

const isDevAgent = (record: ResourceRecord): boolean =>
  isObject(record.doc.labels) && record.doc.labels[DEV_LABEL] === "true";

function notDev(name: string): HttpError {
  return conflict(
    `agent ${name} exists and is not a dev agent (it was deployed); use another name for the dev session or delete the agent first`,
  );
}

function backendOf(ctx: RequestContext) {
  const backend = ctx.services.agents;
  if (!backend) throw new HttpError(503, "no agent backend is running on this platform");
  return backend;
}

async function startSession(ctx: RequestContext) {
  const name = checkAgentName(ctx.params.name);
  const url = checkHttpUrl(ctx.body.url, "url").replace(/\/+$/, "");
  if (!LOOPBACK.has(new URL(url).host.replace(/:\d+$/, ""))) {
    throw new HttpError(
      400,
      "url must be a loopback address (http://127.0.0.1:<port>): the dev runtime runs beside the platform",
    );
  }
  const tools = [...new Set(optionalStringArray(ctx.body, "tools") ?? [])];
  const policies = [...new Set(optionalStringArray(ctx.body, "policies") ?? [])];
  const prompt = optionalString(ctx.body, "system_prompt") ?? "";
  const model = parseModel(ctx.body.model);
  const backend = backendOf(ctx);
  const ws = ctx.workspace;

  const previous = await ctx.store.getResource(ws, "agent", name);
  if (previous && !isDevAgent(previous)) throw notDev(name);
  const doc: Doc = {
    name,
    labels: { [DEV_LABEL]: "true" },
    spec: {
      image: "",
      systemPrompt: prompt,
      requiredTools: tools.map((tool) => ({ name: tool })),
      ...(model ? { llmConfig: model } : {}),
      llmConfigs: model ? [{ role: "default", model_provider: "", ...model, monthly_budget_usd: null }] : [],
      env: [],
      policies,
      identityProvider: "",
      toolUrlMappings: {},
      source: { type: "dev", url },
      entryPoint: "",
      runtime: "node",
    },
    status: {
      phase: "Running",
      message: DEV_MESSAGE,
      version: 0,
      restarts: 0,
      updated_at: new Date().toISOString(),
    },
  };
  await ctx.store.putResource(ws, "agent", name, doc);
  await revokeAgentTokens(ctx.store, ws, name);
  const token = await issueAgentToken(ctx.store, ws, name);
  backend.attachExternal({ workspace: ws, name }, url);

  const base = ctx.services.baseUrl();
  const bindings: ToolBinding[] = [];
  const warnings: string[] = [];
  for (const tool of tools) {
    const record = await ctx.store.getResource(ws, "tool", tool);
    bindings.push({ name: tool, doc: record?.doc });
    if (!record) warnings.push(`tool ${tool} is not registered: calls to it are denied`);
  }
  for (const policy of policies) {
    if (!(await ctx.store.getResource(ws, "policy", policy))) {
      warnings.push(`policy ${policy} does not exist: it allows nothing`);
    }
  }
  if (policies.length === 0 && tools.length > 0) {
    warnings.push("no policies are bound: every tool call is denied (default deny)");
  }
  const { definitions, routes } = toolDefinitions(bindings);
  return ok({
    agent: name,
    namespace: ws,
    tool_urls: Object.fromEntries(tools.map((tool) => [tool, egressUrl(base, token, tool)])),
    llm_gateway_url: agentGatewayUrl(base, token),
    governance_url: `${base}/internal/${token}`,
    tool_definitions: definitions,
    tool_routes: routes,
    invoke_url: `${base}/api/v1${ws === "default" ? "" : `/workspaces/${ws}`}/agents/${name}/invoke`,
    warnings,
  });
}

async function endSession(ctx: RequestContext) {
  const name = checkAgentName(ctx.params.name);
  const ws = ctx.workspace;
  const record = await ctx.store.getResource(ws, "agent", name);
  if (!record) throw notFound(`agent ${name} not found`);
  if (!isDevAgent(record)) throw notDev(name);
  backendOf(ctx); // 503 without an agent backend, as when starting
  await endDevSession(ctx.services, ws, name);
  return ok({ agent: name, namespace: ws, status: "ended" });
}

/** Stops routing to the dev runtime, revokes the dev agent's tokens and removes its record. */
async function endDevSession(services: Services, ws: string, name: string): Promise<void> {
  services.agents?.detachExternal({ workspace: ws, name });
  await revokeAgentTokens(services.store, ws, name);
  await services.store.deleteResource(ws, "agent", name);
  refusedSince.get(services.store)?.delete(`${ws}/${name}`);
}

/** How long a dev runtime may refuse connections (a `--watch` restart) before its session ends. */
export const DEV_RUNTIME_GONE_MS = 10_000;

/** When each attached dev runtime was first seen refusing connections, per store. */
const refusedSince = new WeakMap<Store, Map<string, number>>();

/**
 * `records` without the dev agents whose session is over, which are removed: one this platform
 * process does not route to (it restarted since), or one whose runtime has refused connections
 * for {@link DEV_RUNTIME_GONE_MS} (the `runagents dev` that ran it was killed).
 */
export async function withoutEndedDevSessions(
  services: Services,
  records: readonly ResourceRecord[],
  now = Date.now(),
): Promise<ResourceRecord[]> {
  const ended = await Promise.all(
    records.map(async (record) => {
      if (!isDevAgent(record)) return false;
      const { workspace: ws, name } = record;
      const endpoint = services.agents?.endpointFor(ws, name);
      let gone = endpoint === undefined;
      if (endpoint) {
        const seen = refusedSince.get(services.store) ?? new Map<string, number>();
        refusedSince.set(services.store, seen);
        const key = `${ws}/${name}`;
        if ((await tcpProbe(endpoint.url, 1000)).reachable) seen.delete(key);
        else {
          const since = seen.get(key) ?? now;
          seen.set(key, since);
          gone = now - since >= DEV_RUNTIME_GONE_MS;
        }
      }
      if (gone) await endDevSession(services, ws, name);
      return gone;
    }),
  );
  return records.filter((_, i) => !ended[i]);
}

/** `model`: `"provider/model"`, `"model"` (OpenAI) or `{provider, model}`; optional. */
function parseModel(value: unknown): { provider: string; model: string } | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string") {
    const [first = "", ...rest] = value.trim().split("/");
    return rest.length > 0
      ? { provider: first, model: rest.join("/") }
      : { provider: "openai", model: first };
  }
  if (isObject(value) && typeof value.model === "string" && value.model.trim()) {
    const provider =
      typeof value.provider === "string" && value.provider.trim() ? value.provider.trim() : "openai";
    return { provider, model: value.model.trim() };
  }
  throw new HttpError(400, 'model must be "provider/model" or {provider, model}');
}
