/**
 * @module api/routes/deploy
 * `POST /deploy` (idempotent per agent name) and `POST /deploy/preview` (same body, no side
 * effects).
 *
 * Everything is validated first (the body, every `tools_to_create` entry as `POST /tools` would,
 * the draft behind `draft_id`); only then are the tools upserted (through the tools route), the
 * deployment recorded and handed to the agent supervisor, which builds and starts it in the
 * background (`phase` is `Pending` until `/healthz` answers, then `Running`, or `Failed`). Referenced tools, policies, identity providers and model providers
 * that do not exist yet are reported in `warnings`, not refused: the agent stays `Pending`
 * until they exist, and a missing policy allows nothing.
 *
 * Response (201 on create and on update): `{agent, agent_name, namespace, status: "created" |
 * "updated", phase, tools_created[], tools_updated[], message, execution_mode, build_required,
 * build_profile, decision_reason, entry_point, version, warnings[]}` (`version`: the deployment
 * version of a source deploy, 0 otherwise).
 */
import {
  deploymentWarnings,
  executionPlan,
  hydrateFromDraft,
  recordDeployment,
} from "../../deploy/deploy-agent.js";
import { type DeployRequest, parseDeployRequest } from "../../deploy/deploy-request.js";
import { created, dispatch, ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { DEPLOY_ROUTES } from "../schemas/deploy.js";
import { parseToolBody } from "./tools.js";

export function registerDeployRoutes(api: Router<RouteDef>): void {
  api.add("POST", "/deploy", { schema: DEPLOY_ROUTES.deploy, permission: "develop", handler: deploy });
  api.add("POST", "/deploy/preview", {
    schema: DEPLOY_ROUTES.preview,
    permission: "develop",
    handler: preview,
  });
}

async function validated(ctx: RequestContext): Promise<DeployRequest> {
  const parsed = parseDeployRequest(ctx.body, (tool) => {
    parseToolBody(tool);
  });
  return hydrateFromDraft(ctx.store, ctx.workspace, parsed);
}

async function deploy(ctx: RequestContext) {
  const req = await validated(ctx);
  const warnings = await deploymentWarnings(ctx.store, ctx.workspace, req);
  const toolsCreated: string[] = [];
  const toolsUpdated: string[] = [];
  for (const tool of req.toolsToCreate) {
    const reply = await dispatch(ctx, "POST", "/tools", tool);
    (reply.status === 201 ? toolsCreated : toolsUpdated).push(String(tool.name));
  }
  const result = await recordDeployment(ctx.store, ctx.workspace, req, ctx.services.agents);
  const name = req.agentName;
  return created({
    agent: name,
    agent_name: name,
    namespace: ctx.workspace,
    status: result.created ? "created" : "updated",
    phase: result.status.phase,
    tools_created: toolsCreated,
    tools_updated: toolsUpdated,
    message: `agent "${name}" ${result.created ? "created" : "updated"}: ${result.status.message}`,
    ...executionPlan(req),
    entry_point: result.entryPoint,
    version: result.version,
    warnings,
  });
}

async function preview(ctx: RequestContext) {
  const req = await validated(ctx);
  const plan = executionPlan(req);
  const fromSource = req.source.type === "source_files";
  return ok({
    user_state: "instant",
    state_label: "Ready in seconds",
    eta_range: "under 10 seconds",
    confidence: fromSource ? "high" : "medium",
    short_reason: plan.decision_reason,
    advanced_details: plan,
    warnings: await deploymentWarnings(ctx.store, ctx.workspace, req),
  });
}
