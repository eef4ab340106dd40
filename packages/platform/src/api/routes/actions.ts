/**
 * @module api/routes/actions
 * Action plans: `POST /actions/validate` (never changes anything) and `POST /actions/apply`
 * (validates, then runs each action in order through the real routes in-process, so validation
 * and side effects are exactly those of `POST /tools`, `/model-providers`, `/policies`,
 * `/deploy-drafts`, `/deploy` and `/starter-kit`).
 *
 * Applied idempotency keys are remembered per workspace (kind `idempotency`, name = the key,
 * with the action type, resource_ref and output); applying one again reports it `skipped` with
 * the earlier resource_ref, and reusing a key for a different action type is invalid. Failed
 * actions are not remembered, so a retry runs them again.
 */
import { randomUUID } from "node:crypto";
import { parseDeployRequest } from "../../deploy/deploy-request.js";
import { HttpError } from "../../errors.js";
import { type PlanAction, parsePlan } from "../../governance/action-plan.js";
import { isObject, type Obj } from "../../validate.js";
import { dispatch, ok, type Reply, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { ACTION_ROUTES } from "../schemas/deploy.js";
import { parseDraftFields } from "./deploy-drafts.js";
import { parseProviderBody } from "./models.js";
import { parseToolBody } from "./tools.js";

export function registerActionRoutes(api: Router<RouteDef>): void {
  api.add("POST", "/actions/validate", {
    schema: ACTION_ROUTES.validate,
    permission: "develop",
    handler: validateRoute,
  });
  api.add("POST", "/actions/apply", {
    schema: ACTION_ROUTES.apply,
    permission: "develop",
    handler: applyRoute,
  });
}

interface Checked extends PlanAction {
  /** Set when this idempotency key was applied before. */
  previous?: Obj;
}

interface CheckedPlan {
  plan_id: string;
  continue_on_error: boolean;
  actions: Checked[];
}

async function validateRoute(ctx: RequestContext) {
  const plan = await checkPlan(ctx);
  return ok({
    plan_id: plan.plan_id,
    namespace: ctx.workspace,
    valid: plan.actions.every((a) => a.errors.length === 0),
    results: plan.actions.map((a) => ({
      id: a.id,
      type: a.type,
      idempotency_key: a.idempotency_key,
      valid: a.errors.length === 0,
      errors: a.errors,
      warnings: a.warnings,
      resource_ref: a.resource_ref,
    })),
  });
}

async function applyRoute(ctx: RequestContext): Promise<Reply> {
  const plan = await checkPlan(ctx);
  const invalid = plan.actions.filter((a) => a.errors.length > 0);
  if (invalid.length > 0) {
    return {
      status: 400,
      body: {
        error: `action plan is invalid: ${invalid.map((a) => `${a.id}: ${a.errors.join("; ")}`).join(" | ")}`,
        plan_id: plan.plan_id,
        namespace: ctx.workspace,
        applied: false,
        applied_count: 0,
        failed_count: 0,
        results: plan.actions.map((a) => ({
          ...resultHead(a),
          status: "invalid",
          resource_ref: a.resource_ref,
          error:
            a.errors.length > 0 ? a.errors.join("; ") : "not applied: other actions in the plan are invalid",
          output: {},
        })),
      },
    };
  }
  const results: Obj[] = [];
  let stopped = false;
  for (const action of plan.actions) {
    if (stopped) {
      results.push({
        ...resultHead(action),
        status: "skipped",
        resource_ref: action.resource_ref,
        error: "not run: an earlier action failed",
        output: {},
      });
      continue;
    }
    if (action.previous) {
      results.push({
        ...resultHead(action),
        status: "skipped",
        resource_ref: String(action.previous.resource_ref ?? ""),
        error: "",
        output: {
          already_applied: true,
          applied_at: action.previous.applied_at,
          plan_id: action.previous.plan_id,
        },
      });
      continue;
    }
    try {
      const { ref, output } = await execute(ctx, action);
      await ctx.store.putResource(ctx.workspace, "idempotency", action.idempotency_key, {
        key: action.idempotency_key,
        type: action.type,
        plan_id: plan.plan_id,
        resource_ref: ref,
        output,
        applied_at: new Date().toISOString(),
      });
      results.push({ ...resultHead(action), status: "applied", resource_ref: ref, error: "", output });
    } catch (err) {
      if (!(err instanceof HttpError)) {
        ctx.services.log.error("action plan step failed", {
          request_id: ctx.requestId,
          action: action.id,
          error: err instanceof Error ? err.message : String(err),
        });
      }
      const message = err instanceof HttpError ? err.message : "internal error while applying the action";
      results.push({
        ...resultHead(action),
        status: "failed",
        resource_ref: action.resource_ref,
        error: message,
        output: {},
      });
      if (!plan.continue_on_error) stopped = true;
    }
  }
  const failed = results.filter((r) => r.status === "failed").length;
  return ok({
    plan_id: plan.plan_id,
    namespace: ctx.workspace,
    applied: failed === 0,
    applied_count: results.filter((r) => r.status === "applied").length,
    failed_count: failed,
    results,
  });
}

const resultHead = (a: PlanAction) => ({ id: a.id, type: a.type, idempotency_key: a.idempotency_key });

/** Schema, then the routes' own parsers, then what was applied before. 400 for a non-plan. */
async function checkPlan(ctx: RequestContext): Promise<CheckedPlan> {
  const parsed = parsePlan(ctx.body, () => `plan-${randomUUID()}`);
  if ("error" in parsed) throw new HttpError(400, parsed.error);
  const actions: Checked[] = [];
  const createdDrafts = new Set<string>();
  for (const action of parsed.actions) {
    const checked: Checked = action;
    if (checked.errors.length === 0) deepCheck(checked);
    if (checked.errors.length === 0) await readiness(ctx, checked, createdDrafts);
    if (checked.idempotency_key !== "") {
      const prior = await ctx.store.getResource(ctx.workspace, "idempotency", checked.idempotency_key);
      if (prior) {
        if (prior.doc.type !== checked.type) {
          checked.errors.push(
            `idempotency_key "${checked.idempotency_key}" was already used by a ${String(prior.doc.type)} action`,
          );
        } else {
          checked.previous = prior.doc;
          checked.resource_ref = String(prior.doc.resource_ref ?? checked.resource_ref);
          checked.warnings.push(`already applied at ${String(prior.doc.applied_at)}: apply will skip it`);
        }
      }
    }
    actions.push(checked);
  }
  return { plan_id: parsed.plan_id, continue_on_error: parsed.continue_on_error, actions };
}

/** The same parsers the target routes use, so validate agrees with apply. */
function deepCheck(action: Checked): void {
  const p = action.params;
  try {
    if (action.type === "tool.upsert") parseToolBody(p);
    else if (action.type === "model_provider.upsert") parseProviderBody(p);
    else if (action.type === "deploy_draft.create_or_patch") parseDraftFields(p, "params.");
    else if (action.type === "deploy.execute") parseDeployRequest(p, (tool) => void parseToolBody(tool));
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    action.errors.push(err.message.startsWith("params.") ? err.message : `params: ${err.message}`);
  }
}

/** Warnings about references that will not resolve (they do not make the plan invalid). */
async function readiness(ctx: RequestContext, action: Checked, createdDrafts: Set<string>): Promise<void> {
  const p = action.params;
  if (action.type === "deploy_draft.create_or_patch" && typeof p.id === "string")
    createdDrafts.add(p.id.trim());
  if (action.type === "deploy.execute" && typeof p.draft_id === "string" && p.draft_id.trim() !== "") {
    const id = p.draft_id.trim();
    if (!createdDrafts.has(id) && !(await ctx.store.getResource(ctx.workspace, "deploy_draft", id))) {
      action.warnings.push(`deploy draft "${id}" does not exist yet`);
    }
  }
}

/** Runs one action through its route; returns the resource_ref and the route's answer. */
async function execute(ctx: RequestContext, action: PlanAction): Promise<{ ref: string; output: Obj }> {
  const p = action.params;
  switch (action.type) {
    case "tool.upsert": {
      const out = await call(ctx, "POST", "/tools", p);
      return { ref: `/tools/${String(out.name ?? p.name)}`, output: out };
    }
    case "model_provider.upsert": {
      const out = await call(ctx, "POST", "/model-providers", p);
      return { ref: `/model-providers/${String(out.name ?? p.name)}`, output: out };
    }
    case "policy.upsert": {
      const out = await call(ctx, "POST", "/policies", { name: p.name, spec: p.spec });
      return { ref: `/policies/${String(out.name ?? p.name)}`, output: out };
    }
    case "deploy_draft.create_or_patch": {
      const { id, ...fields } = p;
      const draftId = typeof id === "string" ? id.trim() : "";
      const exists = draftId !== "" && (await ctx.store.getResource(ctx.workspace, "deploy_draft", draftId));
      const out = exists
        ? await call(ctx, "PATCH", `/deploy-drafts/${encodeURIComponent(draftId)}`, fields)
        : await call(ctx, "POST", "/deploy-drafts", draftId ? { ...fields, id: draftId } : fields);
      return { ref: `/deploy-drafts/${String(out.id ?? draftId)}`, output: out };
    }
    case "deploy.execute": {
      const out = await call(ctx, "POST", "/deploy", p);
      return { ref: `/agents/${String(out.agent ?? out.agent_name ?? p.agent_name)}`, output: out };
    }
    case "starter_kit.seed":
      return { ref: "/starter-kit", output: await call(ctx, "POST", "/starter-kit", {}) };
    default:
      throw new HttpError(400, `type "${action.type}" cannot be applied`);
  }
}

async function call(ctx: RequestContext, method: string, path: string, body: Obj): Promise<Obj> {
  const found = ctx.services.api.match(method, path);
  if (found.kind !== "found") throw new HttpError(501, `${method} ${path} is not available on this platform`);
  const reply = await dispatch({ ...ctx, query: new URLSearchParams() }, method, path, structuredClone(body));
  const out = isObject(reply.body) ? reply.body : {};
  if (reply.status >= 400) throw new HttpError(reply.status, String(out.error ?? `HTTP ${reply.status}`));
  return out;
}
