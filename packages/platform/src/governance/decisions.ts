/**
 * @module governance/decisions
 * Deciding access requests and blocked actions, with every effect in one place: the request's
 * status, scope and window; the linked blocked action; the run's `APPROVED` / `REJECTED` events
 * (and `FAILED` after a rejection); then the platform's approval listeners (`ctx.events`).
 * Before anything changes, the decider is checked against the request's approvers
 * (`governance/approvers`); the recorded approver is their verified subject.
 */
import { conflict, HttpError } from "../errors.js";
import { type Store, VersionConflictError } from "../store/store.js";
import { nowIso } from "../time.js";
import { isObject } from "../validate.js";
import { expireIfDue, loadRequest, type RequestRecord } from "./access-requests.js";
import {
  type AccessRequest,
  type ApprovalEvents,
  type ApprovalScope,
  DEFAULT_WINDOW,
  parseDuration,
} from "./approvals.js";
import { type Approver, checkApprover } from "./approvers.js";
import { type ActionRecord, loadAction, setActionStatus } from "./blocked-actions.js";
import { writeResumeJob } from "./resume-worker.js";
import { GOVERNANCE_ACTOR, isTerminal, transitionRun } from "./runs.js";

export interface DecisionContext {
  store: Store;
  ws: string;
  /** Who decides: checked against the approvers; `subject` is recorded as `approver_id` and actor. */
  approver: Approver;
  /** The platform's approval hooks, told about every decision once its effects are recorded. */
  events: ApprovalEvents;
  /** Where a failing approval listener is reported. */
  report: (error: unknown) => void;
}

const notPending = (r: RequestRecord) => conflict(`request ${r.doc.id} is ${r.doc.status}, not PENDING`);

/** Writes the decided request unless someone else decided it first (then 409). */
async function decide(ctx: DecisionContext, id: string, change: (d: AccessRequest) => AccessRequest) {
  const record = await loadRequest(ctx.store, ctx.ws, id);
  if (record.doc.status !== "PENDING") throw notPending(record);
  try {
    const { record: decided } = await ctx.store.putResource(
      ctx.ws,
      "access_request",
      id,
      change(record.doc),
      {
        expectedVersion: record.version,
      },
    );
    return decided;
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    throw notPending(await loadRequest(ctx.store, ctx.ws, id));
  }
}

/**
 * Window length, first given wins: the decision's duration, the duration the request asked for,
 * the tool's `spec.governance.approval.defaultDuration`, then 4h.
 */
async function windowDuration(ctx: DecisionContext, request: AccessRequest, given: string): Promise<string> {
  if (given) return given;
  if (request.duration) return request.duration;
  const tool = await ctx.store.getResource(ctx.ws, "tool", request.tool_id);
  const spec = tool?.doc.spec;
  const approval =
    isObject(spec) && isObject(spec.governance) && isObject(spec.governance.approval)
      ? spec.governance.approval
      : {};
  const fromTool = typeof approval.defaultDuration === "string" ? approval.defaultDuration.trim() : "";
  if (fromTool) {
    try {
      parseDuration(fromTool);
      return fromTool.toLowerCase();
    } catch {
      // a malformed tool default falls back to the platform's
    }
  }
  return DEFAULT_WINDOW;
}

export async function approveRequest(
  ctx: DecisionContext,
  id: string,
  input: { scope: ApprovalScope; duration: string; reason: string },
): Promise<RequestRecord> {
  const current = await loadRequest(ctx.store, ctx.ws, id);
  if (current.doc.status !== "PENDING") throw notPending(current);
  await checkApprover(ctx.store, ctx.ws, current.doc, ctx.approver, "approve");
  const isWindow = input.scope === "agent_user_ttl";
  const duration = isWindow ? await windowDuration(ctx, current.doc, input.duration) : "";
  await queueResumeFirst(ctx, current.doc.run_id, current.doc.action_id, current.doc.id);
  const decidedAt = nowIso();
  const expiresAt = isWindow ? new Date(Date.parse(decidedAt) + parseDuration(duration)).toISOString() : "";
  const decided = await decide(ctx, id, (d) => ({
    ...d,
    status: "APPROVED",
    scope: input.scope,
    duration,
    approver_id: ctx.approver.subject,
    reason: input.reason,
    expires_at: expiresAt,
    decided_at: decidedAt,
  }));
  const d = decided.doc;
  if (d.action_id) await setActionStatus(ctx.store, ctx.ws, d.action_id, ["BLOCKED"], "APPROVED");
  await appendDecisionEvent(ctx, d.run_id, "APPROVED", {
    approver_id: ctx.approver.subject,
    scope: d.scope,
    tool_id: d.tool_id,
    action_id: d.action_id,
    request_id: d.id,
    ...(d.duration ? { duration: d.duration, expires_at: d.expires_at } : {}),
    ...(d.reason ? { reason: d.reason } : {}),
  });
  await ctx.events.decided(
    {
      store: ctx.store,
      workspace: ctx.ws,
      decision: "approved",
      runId: d.run_id,
      actionId: d.action_id,
      request: d,
    },
    ctx.report,
  );
  return decided;
}

/** Rejects: the linked action FAILS, the run gets `REJECTED` and, unless already over, fails. */
export async function rejectRequest(
  ctx: DecisionContext,
  id: string,
  reason: string,
): Promise<RequestRecord> {
  const current = await loadRequest(ctx.store, ctx.ws, id);
  if (current.doc.status !== "PENDING") throw notPending(current);
  await checkApprover(ctx.store, ctx.ws, current.doc, ctx.approver, "reject");
  const decided = await decide(ctx, id, (d) => ({
    ...d,
    status: "REJECTED",
    approver_id: ctx.approver.subject,
    reason,
    decided_at: nowIso(),
  }));
  const d = decided.doc;
  if (d.action_id) await setActionStatus(ctx.store, ctx.ws, d.action_id, ["BLOCKED"], "FAILED");
  const run = d.run_id ? await ctx.store.getRun(ctx.ws, d.run_id) : undefined;
  if (run) {
    await appendDecisionEvent(ctx, run.id, "REJECTED", {
      approver_id: ctx.approver.subject,
      tool_id: d.tool_id,
      action_id: d.action_id,
      request_id: d.id,
      ...(reason ? { reason } : {}),
    });
    if (!isTerminal(run.status)) {
      const error = `approval request ${d.id} for tool ${d.tool_id} was rejected${reason ? `: ${reason}` : ""}`;
      await transitionRun(ctx.store, ctx.ws, run.id, "FAILED", {
        actor: GOVERNANCE_ACTOR,
        data: { error },
      }).catch((e: unknown) => {
        if (!(e instanceof HttpError && e.status === 409)) throw e; // ended meanwhile
      });
    }
  }
  await ctx.events.decided(
    {
      store: ctx.store,
      workspace: ctx.ws,
      decision: "rejected",
      runId: d.run_id,
      actionId: d.action_id,
      request: d,
    },
    ctx.report,
  );
  return decided;
}

/**
 * Approves a blocked action directly (`POST /runs/{id}/actions/{aid}/approve`). The payload hash
 * must echo the recorded one. The linked request is approved with scope `once` (409 when it was
 * already decided); an action with no request is approved on its own.
 */
export async function approveAction(
  ctx: DecisionContext,
  runId: string,
  actionId: string,
  payloadHash: string | undefined,
): Promise<ActionRecord> {
  const action = await loadAction(ctx.store, ctx.ws, runId, actionId);
  const notBlocked = (status: string) => conflict(`action is ${status}, must be BLOCKED to approve`);
  if (action.doc.status !== "BLOCKED") throw notBlocked(action.doc.status);
  if (action.doc.payload_hash && payloadHash !== action.doc.payload_hash)
    throw conflict("payload_hash mismatch");
  const request = action.doc.request_id
    ? await ctx.store.getResource<AccessRequest>(ctx.ws, "access_request", action.doc.request_id)
    : undefined;
  if (request) {
    // The linked request decides the action: approving the action approves it for this call only.
    const current = await expireIfDue(ctx.store, ctx.ws, request);
    try {
      if (current.doc.status !== "PENDING") throw notPending(current);
      await approveRequest(ctx, request.name, { scope: "once", duration: "", reason: "" });
    } catch (error) {
      const now = await loadAction(ctx.store, ctx.ws, runId, actionId);
      if (now.doc.status !== "BLOCKED") throw notBlocked(now.doc.status);
      throw error;
    }
    return loadAction(ctx.store, ctx.ws, runId, actionId);
  }
  const run = await ctx.store.getRun(ctx.ws, runId);
  await checkApprover(
    ctx.store,
    ctx.ws,
    {
      id: "",
      agent_id: run?.agentId ?? "",
      tool_id: action.doc.tool_id,
      tool_method: action.doc.tool_method,
      tool_url: action.doc.tool_url,
      capability: action.doc.capability,
      subject: "",
      run_id: runId,
    },
    ctx.approver,
    "approve",
  );
  await queueResumeFirst(ctx, runId, actionId, "");
  const approved = await setActionStatus(ctx.store, ctx.ws, actionId, ["BLOCKED"], "APPROVED");
  if (!approved) throw notBlocked((await loadAction(ctx.store, ctx.ws, runId, actionId)).doc.status);
  await appendDecisionEvent(ctx, runId, "APPROVED", {
    approver_id: ctx.approver.subject,
    scope: "once",
    tool_id: approved.doc.tool_id,
    action_id: actionId,
  });
  await ctx.events.decided(
    { store: ctx.store, workspace: ctx.ws, decision: "approved", runId, actionId },
    ctx.report,
  );
  return approved;
}

/**
 * The durable resume job is written before the decision: a platform stopped between the two
 * leaves a job the resume worker finishes once it sees the approval recorded (or drops when the
 * decision never landed), never an approved run with nothing to resume it.
 */
async function queueResumeFirst(ctx: DecisionContext, runId: string, actionId: string, requestId: string) {
  if (!runId || !actionId) return;
  const run = await ctx.store.getRun(ctx.ws, runId);
  if (!run || isTerminal(run.status)) return;
  await writeResumeJob(ctx.store, ctx.ws, {
    run_id: runId,
    action_id: actionId,
    request_id: requestId,
    agent: run.agentId,
    user_id: run.userId,
  });
}

async function appendDecisionEvent(
  ctx: DecisionContext,
  runId: string,
  type: "APPROVED" | "REJECTED",
  data: Record<string, unknown>,
) {
  if (!runId || !(await ctx.store.getRun(ctx.ws, runId))) return;
  await ctx.store.appendEvent(ctx.ws, runId, { type, actor: ctx.approver.subject, data });
}
