/**
 * @module api/routes/runs
 * Runs, their event log and their blocked actions. The lifecycle rules live in governance/; this
 * module parses requests and shapes answers.
 */
import { HttpError } from "../../errors.js";
import { actionView, blockToolCall, loadAction } from "../../governance/blocked-actions.js";
import { approveAction } from "../../governance/decisions.js";
import {
  ACCEPTED_EVENT_TYPES,
  eventView,
  loadRun,
  PATCHABLE_STATUSES,
  parseStatusFilter,
  recordEvent,
  runView,
  startRun,
  transitionRun,
} from "../../governance/runs.js";
import {
  checkHttpUrl,
  checkName,
  oneOf,
  optionalObject,
  optionalString,
  queryInt,
  requireString,
} from "../../validate.js";
import { created, ok, type RequestContext, type RouteDef } from "../context.js";
import { approverOf, principalSubject } from "../roles.js";
import type { Router } from "../router.js";
import { MAX_RUNS_LIMIT, RUN_ROUTES } from "../schemas/runs.js";

export function registerRunRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/runs", { schema: RUN_ROUTES.list, permission: "read", handler: listRuns });
  api.add("POST", "/runs", { schema: RUN_ROUTES.create, permission: "develop", handler: createRun });
  api.add("GET", "/runs/:id", { schema: RUN_ROUTES.get, permission: "read", handler: getRun });
  api.add("PATCH", "/runs/:id", { schema: RUN_ROUTES.patch, permission: "develop", handler: patchRun });
  api.add("GET", "/runs/:id/events", { schema: RUN_ROUTES.events, permission: "read", handler: listEvents });
  api.add("POST", "/runs/:id/events", {
    schema: RUN_ROUTES.appendEvent,
    permission: "develop",
    handler: appendEvent,
  });
  api.add("POST", "/runs/:id/actions", {
    schema: RUN_ROUTES.createAction,
    permission: "develop",
    handler: createAction,
  });
  api.add("GET", "/runs/:id/actions/:aid", {
    schema: RUN_ROUTES.getAction,
    permission: "read",
    handler: getAction,
  });
  api.add("POST", "/runs/:id/actions/:aid/approve", {
    schema: RUN_ROUTES.approveAction,
    permission: "approve",
    handler: approve,
    endUsers: true,
  });
}

/** Who is acting, as recorded: the verified subject (`key:<id>`, or an end user's claim). */
export const callerName = (ctx: RequestContext): string => principalSubject(ctx.principal);

/** Decision helpers need the store, the workspace, the caller and a place to report hook errors. */
export const decisionContext = (ctx: RequestContext) => ({
  store: ctx.store,
  ws: ctx.workspace,
  approver: approverOf(ctx.principal),
  events: ctx.services.approvals,
  report: (error: unknown) =>
    ctx.services.log.error("approval listener failed", {
      error: error instanceof Error ? error.message : String(error),
    }),
});

async function createRun(ctx: RequestContext) {
  const body = ctx.body;
  const agentId = checkName(body.agent_id ?? body.agent, "agent_id");
  const userId = requireString(body, "user_id").trim();
  const conversationId = optionalString(body, "conversation_id")?.trim();
  const initialMessage = optionalString(body, "initial_message") ?? optionalString(body, "message");
  const invokeUrl =
    body.invoke_url === undefined || body.invoke_url === null || body.invoke_url === ""
      ? undefined
      : checkHttpUrl(body.invoke_url, "invoke_url");
  const run = await startRun(
    ctx.store,
    ctx.workspace,
    { agentId, userId, conversationId, initialMessage, invokeUrl },
    ctx.services.baseUrl(),
  );
  return created(runView(run));
}

/** Runs newest first (all, or the first `limit`); `status=PAUSED` matches every paused state. */
async function listRuns(ctx: RequestContext) {
  const agentId = (ctx.query.get("agent_id") ?? ctx.query.get("agent") ?? "").trim();
  const status = parseStatusFilter(ctx.query.get("status"));
  const userId = (ctx.query.get("user_id") ?? "").trim();
  const conversationId = (ctx.query.get("conversation_id") ?? "").trim();
  const limit = queryInt(ctx.query, "limit", undefined, 1, MAX_RUNS_LIMIT);
  const runs = await ctx.store.listRuns(ctx.workspace, {
    ...(agentId ? { agentId } : {}),
    ...(status ? { status } : {}),
    ...(userId ? { userId } : {}),
    ...(conversationId ? { conversationId } : {}),
    ...(limit === undefined ? {} : { limit }),
  });
  return ok(runs.map(runView));
}

/** A failed run also says why: `failure` is its FAILED event's data (`reason`, `error`, the call). */
async function getRun(ctx: RequestContext) {
  const run = await loadRun(ctx.store, ctx.workspace, ctx.params.id as string);
  const view = runView(run);
  if (run.status === "FAILED") {
    const tail = await ctx.store.listEvents(ctx.workspace, run.id, { tail: 10 });
    const failed = tail.findLast((event) => event.type === "FAILED");
    if (failed) view.failure = failed.data;
  }
  return ok(view);
}

async function patchRun(ctx: RequestContext) {
  const raw = typeof ctx.body.status === "string" ? ctx.body.status.trim().toUpperCase() : ctx.body.status;
  if (raw === undefined || raw === null || raw === "") throw new HttpError(400, "status is required");
  const to = oneOf(raw, PATCHABLE_STATUSES, "status");
  const error = optionalString(ctx.body, "error") ?? optionalString(ctx.body, "reason");
  const run = await transitionRun(ctx.store, ctx.workspace, ctx.params.id as string, to, {
    actor: callerName(ctx),
    ...(error && to === "FAILED" ? { data: { error } } : {}),
  });
  return ok(runView(run));
}

/**
 * `limit` alone keeps the last N (tail); with `after_seq` it pages forward from there. `type`
 * (any case) keeps only events of that type.
 */
async function listEvents(ctx: RequestContext) {
  const runId = ctx.params.id as string;
  await loadRun(ctx.store, ctx.workspace, runId);
  const afterSeq = queryInt(ctx.query, "after_seq", undefined, 0);
  const limit = queryInt(ctx.query, "limit", undefined, 1);
  const type = (ctx.query.get("type") ?? "").trim().toUpperCase();
  const paging =
    afterSeq === undefined
      ? limit === undefined
        ? {}
        : { tail: limit }
      : { afterSeq, ...(limit === undefined ? {} : { limit }) };
  const options = type ? { ...paging, type } : paging;
  const events = await ctx.store.listEvents(ctx.workspace, runId, options);
  return ok(events.map(eventView));
}

async function appendEvent(ctx: RequestContext) {
  const runId = ctx.params.id as string;
  const type = requireString(ctx.body, "type").trim().toUpperCase();
  if (!ACCEPTED_EVENT_TYPES.includes(type)) {
    throw new HttpError(400, `type must be one of ${ACCEPTED_EVENT_TYPES.join(", ")}`);
  }
  const event = await recordEvent(ctx.store, ctx.workspace, runId, {
    type,
    actor: optionalString(ctx.body, "actor")?.trim() ?? "",
    payloadHash: optionalString(ctx.body, "payload_hash")?.trim() ?? "",
    data: optionalObject(ctx.body, "data") ?? {},
  });
  return created(eventView(event));
}

async function createAction(ctx: RequestContext) {
  const body = ctx.body;
  const { action } = await blockToolCall(ctx.store, ctx.workspace, ctx.params.id as string, {
    toolId: checkName(body.tool_id, "tool_id"),
    capability: optionalString(body, "capability")?.trim() ?? "",
    payloadHash: optionalString(body, "payload_hash")?.trim() ?? "",
    toolMethod: optionalString(body, "tool_method")?.trim() ?? "",
    toolUrl: optionalString(body, "tool_url")?.trim() ?? "",
  });
  return created(actionView(action));
}

async function getAction(ctx: RequestContext) {
  const action = await loadAction(
    ctx.store,
    ctx.workspace,
    ctx.params.id as string,
    ctx.params.aid as string,
  );
  return ok(actionView(action));
}

async function approve(ctx: RequestContext) {
  const payloadHash = optionalString(ctx.body, "payload_hash")?.trim();
  const action = await approveAction(
    decisionContext(ctx),
    ctx.params.id as string,
    ctx.params.aid as string,
    payloadHash,
  );
  return ok(actionView(action));
}
