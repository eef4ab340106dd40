/**
 * @module api/routes/policy-evaluate
 * `POST /policies/evaluate {agent, method, url}`: what the egress would decide for that call and
 * why, without calling anything — the rules that produced the decision, the capability check,
 * and (given `user_id` / `run_id` / `payload_hash`) whether an approval grant already covers it.
 *
 * `url` is the tool's real URL; the tool is the registered one whose base URL prefixes it
 * (longest wins), else one on the same origin. With `tool` given, `url` may also be a path
 * below that tool's base URL. Optional `tags` add risk tags to the call. A URL no tool claims is
 * answered as the egress would: `deny`, code `POLICY_DENIED`.
 */
import { HttpError, notFound } from "../../errors.js";
import {
  type CallEvaluation,
  evaluateCall,
  findCoveringGrant,
  type MatchedRule,
} from "../../governance/decide.js";
import { HTTP_METHODS } from "../../governance/policy.js";
import { type ToolInfo, toolForUrl, toolInfo } from "../../governance/tool-info.js";
import {
  checkHttpUrl,
  checkName,
  type Obj,
  optionalString,
  optionalStringArray,
  requireString,
} from "../../validate.js";
import { ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { POLICY_ROUTES } from "../schemas/resources.js";

export function registerPolicyEvaluateRoutes(api: Router<RouteDef>): void {
  api.add("POST", "/policies/evaluate", {
    schema: POLICY_ROUTES.evaluate,
    permission: "read",
    handler: evaluate,
  });
}

async function evaluate(ctx: RequestContext) {
  const body = ctx.body;
  const agent = checkName(body.agent ?? body.agent_id, "agent");
  const method = requireString(body, "method").trim().toUpperCase();
  if (!HTTP_METHODS.includes(method))
    throw new HttpError(400, `method must be one of ${HTTP_METHODS.join(", ")}`);
  const tags = optionalStringArray(body, "tags") ?? [];
  if (!(await ctx.store.getResource(ctx.workspace, "agent", agent)))
    throw notFound(`agent ${agent} not found`);
  const { tool, url } = await resolveTool(ctx, body);
  const base = { agent, method, url: url.href, tool: tool?.name ?? null };
  if (!tool) {
    return ok({
      ...base,
      decision: "deny",
      effective_decision: "deny",
      code: "POLICY_DENIED",
      reason: `no registered tool matches ${url.href}`,
      policies: [],
      rules: [],
      matched_rules: [],
      capability: { checked: false, allowed: false, matched: null, path: url.pathname },
      tags,
      grant: null,
    });
  }
  const evaluation = await evaluateCall(ctx.store, {
    workspace: ctx.workspace,
    agent,
    tool,
    method,
    url,
    tags,
  });
  const grant =
    evaluation.decision === "approval_required"
      ? await grantFor(ctx, body, agent, tool, method, url)
      : undefined;
  return ok({
    ...base,
    decision: evaluation.decision,
    effective_decision: grant ? "allow" : evaluation.decision,
    code: codeOf(evaluation, grant !== undefined),
    reason: grant
      ? `${evaluation.reason}; covered by approval ${grant.id} (${grant.scope})`
      : evaluation.reason,
    policies: evaluation.policies,
    rules: evaluation.decisive.map(ruleView),
    matched_rules: evaluation.matched.map(ruleView),
    capability: {
      ...evaluation.capability,
      matched: evaluation.capability.matched
        ? {
            name: evaluation.capability.matched.name,
            method: evaluation.capability.matched.method,
            path: evaluation.capability.matched.path,
          }
        : null,
    },
    tags: evaluation.tags,
    grant: grant
      ? {
          request_id: grant.id,
          scope: grant.scope,
          expires_at: grant.expires_at || null,
          run_id: grant.run_id,
        }
      : null,
  });
}

async function resolveTool(ctx: RequestContext, body: Obj): Promise<{ tool?: ToolInfo; url: URL }> {
  const named = optionalString(body, "tool")?.trim();
  if (named) {
    const record = await ctx.store.getResource(ctx.workspace, "tool", checkName(named, "tool"));
    if (!record) throw notFound(`tool "${named}" not found`);
    const tool = toolInfo(record);
    const raw = requireString(body, "url").trim();
    if (raw.startsWith("/")) {
      try {
        return { tool, url: new URL(`${tool.baseUrl}${raw}`) };
      } catch {
        throw new HttpError(400, "url must be an absolute http(s) URL or a path starting with /");
      }
    }
    return { tool, url: new URL(checkHttpUrl(raw, "url")) };
  }
  const url = new URL(checkHttpUrl(body.url, "url"));
  const tools = (await ctx.store.listResources(ctx.workspace, "tool")).map(toolInfo);
  const tool = toolForUrl(tools, url);
  return tool ? { tool, url } : { url };
}

async function grantFor(
  ctx: RequestContext,
  body: Obj,
  agent: string,
  tool: ToolInfo,
  method: string,
  url: URL,
) {
  const userId = optionalString(body, "user_id")?.trim() ?? "";
  const runId = optionalString(body, "run_id")?.trim() ?? "";
  const payloadHash = optionalString(body, "payload_hash")?.trim() ?? "";
  return findCoveringGrant(ctx.store, {
    workspace: ctx.workspace,
    agent,
    tool: tool.name,
    userId,
    method,
    url: url.href,
    ...(runId ? { runId } : {}),
    ...(payloadHash ? { payloadHash } : {}),
  });
}

function codeOf(evaluation: CallEvaluation, granted: boolean): string | null {
  if (evaluation.decision === "deny") return evaluation.code ?? "POLICY_DENIED";
  if (evaluation.decision === "approval_required" && !granted) return "APPROVAL_REQUIRED";
  return null;
}

const ruleView = (rule: MatchedRule) => ({
  policy: rule.policy,
  index: rule.index,
  permission: rule.permission,
  operations: rule.operations,
  resource: rule.resource,
  tags: rule.tags,
});
