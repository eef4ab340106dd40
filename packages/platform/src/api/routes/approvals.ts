/**
 * @module api/routes/approvals
 * Access requests: list, get, create (201, or 200 when a pending one for the same call is
 * reused), approve and reject (API keys, or end users with a verified bearer JWT; such a user
 * lists only the requests an approval rule names one of their groups for). Also served under the legacy `/governance/requests` paths.
 */
import { HttpError } from "../../errors.js";
import {
  createOrReuseRequest,
  listRequests,
  loadRequest,
  requestView,
} from "../../governance/access-requests.js";
import { normalizeDecision, parseDuration, REQUEST_STATUSES } from "../../governance/approvals.js";
import { mayDecide } from "../../governance/approvers.js";
import { approveRequest, rejectRequest } from "../../governance/decisions.js";
import { loadRun } from "../../governance/runs.js";
import { checkName, type Obj, optionalString, requireString } from "../../validate.js";
import { created, ok, type RequestContext, type RouteDef } from "../context.js";
import { approverOf } from "../roles.js";
import type { Router } from "../router.js";
import { APPROVAL_ROUTES } from "../schemas/runs.js";
import { decisionContext } from "./runs.js";

export function registerApprovalRoutes(api: Router<RouteDef>): void {
  for (const base of ["/approvals/requests", "/governance/requests"]) {
    // A signed-in end user lists only the requests an approval rule lets them decide.
    api.add("GET", base, { schema: APPROVAL_ROUTES.list, permission: "read", handler: list, endUsers: true });
    api.add("POST", base, { schema: APPROVAL_ROUTES.create, permission: "develop", handler: create });
    api.add("GET", `${base}/:id`, { schema: APPROVAL_ROUTES.get, permission: "read", handler: get });
    // Approvers may be end users signed in through an identity provider (their groups are on the
    // principal); whether this one may decide is the approvers check's business.
    api.add("POST", `${base}/:id/approve`, {
      schema: APPROVAL_ROUTES.approve,
      permission: "approve",
      handler: approve,
      endUsers: true,
    });
    api.add("POST", `${base}/:id/reject`, {
      schema: APPROVAL_ROUTES.reject,
      permission: "approve",
      handler: reject,
      endUsers: true,
    });
  }
}

async function list(ctx: RequestContext) {
  const rawStatus = (ctx.query.get("status") ?? "").trim().toUpperCase();
  if (rawStatus && !(REQUEST_STATUSES as readonly string[]).includes(rawStatus)) {
    throw new HttpError(400, `query parameter status must be one of ${REQUEST_STATUSES.join(", ")}`);
  }
  const records = await listRequests(ctx.store, ctx.workspace, {
    status: rawStatus,
    runId: (ctx.query.get("run_id") ?? "").trim(),
    agentId: (ctx.query.get("agent_id") ?? "").trim(),
  });
  if (ctx.principal.kind !== "user") return ok(records.map(requestView));
  const approver = approverOf(ctx.principal);
  const theirs = [];
  for (const record of records) {
    if (await mayDecide(ctx.store, ctx.workspace, record.doc, approver)) theirs.push(record);
  }
  return ok(theirs.map(requestView));
}

async function get(ctx: RequestContext) {
  return ok(requestView(await loadRequest(ctx.store, ctx.workspace, ctx.params.id as string)));
}

async function create(ctx: RequestContext) {
  const body = ctx.body;
  const subject = requireString(body, "subject").trim();
  const toolId = checkName(body.tool_id, "tool_id");
  let agentId =
    body.agent_id === undefined || body.agent_id === "" ? "" : checkName(body.agent_id, "agent_id");
  const runId = trimmed(body, "run_id");
  const duration = trimmed(body, "duration").toLowerCase();
  if (duration) parseDuration(duration);
  if (runId) {
    const run = await loadRun(ctx.store, ctx.workspace, runId);
    agentId ||= run.agentId;
  }
  const { record, created: isNew } = await createOrReuseRequest(ctx.store, ctx.workspace, {
    subject,
    toolId,
    agentId,
    duration,
    runId,
    actionId: trimmed(body, "action_id"),
    capability: trimmed(body, "capability"),
    payloadHash: trimmed(body, "payload_hash"),
    toolMethod: trimmed(body, "tool_method"),
    toolUrl: trimmed(body, "tool_url"),
  });
  if (!isNew) return ok(requestView(record));
  await ctx.services.approvals.requested(
    { store: ctx.store, workspace: ctx.workspace, request: record.doc },
    decisionContext(ctx).report,
  );
  return created(requestView(record));
}

async function approve(ctx: RequestContext) {
  const { scope, duration } = normalizeDecision(
    optionalString(ctx.body, "scope"),
    optionalString(ctx.body, "duration"),
  );
  const record = await approveRequest(decisionContext(ctx), ctx.params.id as string, {
    scope,
    duration,
    reason: trimmed(ctx.body, "reason"),
  });
  return ok(requestView(record));
}

async function reject(ctx: RequestContext) {
  const record = await rejectRequest(
    decisionContext(ctx),
    ctx.params.id as string,
    trimmed(ctx.body, "reason"),
  );
  return ok(requestView(record));
}

const trimmed = (body: Obj, key: string): string => optionalString(body, key)?.trim() ?? "";
