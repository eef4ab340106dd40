/**
 * @module egress/approval
 * An `approval_required` call: either an approval grant covers it (a `once` grant is consumed
 * here, before the call goes out, so it authorises exactly one call), or the call is blocked —
 * a blocked action in the caller's run (which pauses it and records `APPROVAL_REQUIRED`) plus a
 * PENDING access request, both reused when the runtime retries the very same call — and the
 * agent gets `403 {"code": "APPROVAL_REQUIRED", "action_id", "request_id", ...}`.
 *
 * A new request takes the matching approval rule's `defaultDuration` as its window and is handed
 * to the approval connectors (`services.approvals.requested`). Without a run (no valid
 * `X-Run-ID`) there is nothing to pause: only the request is created and `action_id` is "".
 */

import { consumeOnceGrant, createOrReuseRequest, type RequestRecord } from "../governance/access-requests.js";
import { findApprovalRule } from "../governance/approval-routing.js";
import type { AccessRequest, ApprovalEvents } from "../governance/approvals.js";
import { type BlockedAction, blockToolCall, setActionStatus } from "../governance/blocked-actions.js";
import { findCoveringGrant } from "../governance/decide.js";
import { isTerminal } from "../governance/runs.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import type { CallIdentity, CallRecord } from "./record.js";

export interface ApprovalDeps {
  store: Store;
  approvals: ApprovalEvents;
  log: Logger;
}

/**
 * The approved request covering this call, if any; a `once` grant is consumed here. Its blocked
 * action becomes EXECUTED when this is the approved call itself (a once grant, or the replay
 * naming the action with `X-Action-ID`). Grants tied to a run (`run`, and `once` made in a run)
 * cover nothing once that run has ended.
 */
export async function useGrant(
  store: Store,
  identity: CallIdentity,
  call: CallRecord,
  payloadHash: string,
): Promise<AccessRequest | undefined> {
  const ws = identity.workspace;
  const run = identity.run ? await store.getRun(ws, identity.run.id) : undefined;
  const runId = run && !isTerminal(run.status) ? run.id : undefined;
  for (;;) {
    const grant = await findCoveringGrant(store, {
      workspace: ws,
      agent: identity.agent,
      tool: call.tool,
      userId: identity.userId,
      ...(runId ? { runId } : {}),
      ...(identity.actionId ? { actionId: identity.actionId } : {}),
      method: call.method,
      url: call.url,
      payloadHash,
    });
    if (!grant) return undefined;
    // Someone else spent the same once grant a moment ago: look again (it no longer covers).
    if (grant.scope === "once" && !(await consumeOnceGrant(store, ws, grant.id))) continue;
    if (grant.action_id && (grant.scope === "once" || grant.action_id === identity.actionId)) {
      await setActionStatus(store, ws, grant.action_id, ["APPROVED"], "EXECUTED");
    }
    return grant;
  }
}

/**
 * The approved call named by `X-Action-ID` when it was already made: its `once` grant was spent on
 * it (the action is EXECUTED). A runtime replaying it again (a resume re-sent after a crash) gets
 * a refusal, not a new approval request — approving that would send the call twice. Only looked
 * up when no grant covers the call, so the allowed path pays nothing.
 */
export async function alreadyExecuted(
  store: Store,
  identity: CallIdentity,
  call: CallRecord,
  payloadHash: string,
): Promise<BlockedAction | undefined> {
  if (!identity.actionId || !identity.run) return undefined;
  const action = await store.getResource<BlockedAction>(
    identity.workspace,
    "blocked_action",
    identity.actionId,
  );
  const d = action?.doc;
  const same =
    d !== undefined &&
    d.status === "EXECUTED" &&
    d.run_id === identity.run.id &&
    d.tool_id === call.tool &&
    d.tool_method === call.method &&
    d.tool_url === call.url &&
    d.payload_hash === payloadHash;
  return same ? d : undefined;
}

/** Blocks the call (see the module comment) and returns the 403 body for the agent. */
export async function block(
  deps: ApprovalDeps,
  identity: CallIdentity,
  call: CallRecord,
  payloadHash: string,
  tags: readonly string[],
): Promise<Record<string, unknown>> {
  const { store } = deps;
  const ws = identity.workspace;
  let actionId = "";
  let request: RequestRecord | undefined;
  if (identity.run) {
    const retry = await pendingRetry(store, ws, identity.run.id, call, payloadHash);
    if (retry) {
      actionId = retry.action_id;
      request = await store.getResource<AccessRequest>(ws, "access_request", retry.request_id);
    }
    if (!request) {
      const blocked = await blockToolCall(store, ws, identity.run.id, {
        toolId: call.tool,
        capability: call.capability,
        payloadHash,
        toolMethod: call.method,
        toolUrl: call.url,
      });
      actionId = blocked.action.doc.action_id;
      request = blocked.request;
      // version 1: created now, not an earlier unlinked request that was reused and linked
      if (request.version === 1) request = await announce(deps, ws, request, identity, call, tags);
    }
  } else {
    const created = await createOrReuseRequest(store, ws, {
      subject: identity.userId || identity.agent,
      agentId: identity.agent,
      toolId: call.tool,
      capability: call.capability,
      payloadHash,
      toolMethod: call.method,
      toolUrl: call.url,
    });
    request = created.created
      ? await announce(deps, ws, created.record, identity, call, tags)
      : created.record;
  }
  const path = new URL(call.url).pathname;
  return {
    error: "APPROVAL_REQUIRED",
    code: "APPROVAL_REQUIRED",
    message: `Calling ${call.tool} (${call.method} ${path}) requires approval: request ${request.doc.id} is waiting for a decision.`,
    action_id: actionId,
    request_id: request.doc.id,
    run_id: identity.run?.id ?? "",
    tool: call.tool,
    capability: call.capability,
    method: call.method,
    url: call.url,
    payload_hash: payloadHash,
  };
}

/** The run's current blocked action when it is this very call, still waiting. */
async function pendingRetry(
  store: Store,
  ws: string,
  runId: string,
  call: CallRecord,
  payloadHash: string,
): Promise<BlockedAction | undefined> {
  const run = await store.getRun(ws, runId);
  if (run?.status !== "PAUSED_APPROVAL" || !run.blockedActionId) return undefined;
  const action = await store.getResource<BlockedAction>(ws, "blocked_action", run.blockedActionId);
  const d = action?.doc;
  const same =
    d !== undefined &&
    d.status === "BLOCKED" &&
    d.tool_id === call.tool &&
    d.tool_method === call.method &&
    d.tool_url === call.url &&
    d.payload_hash === payloadHash;
  return same ? d : undefined;
}

/** Gives a new request its rule's default window, then tells the connectors about it. */
async function announce(
  deps: ApprovalDeps,
  ws: string,
  record: RequestRecord,
  identity: CallIdentity,
  call: CallRecord,
  tags: readonly string[],
): Promise<RequestRecord> {
  const { store } = deps;
  let current = record;
  const routed = await findApprovalRule(store, ws, { agent: identity.agent, ...call, tags });
  if (routed?.rule.defaultDuration && !record.doc.duration) {
    try {
      const { record: updated } = await store.putResource(
        ws,
        "access_request",
        record.name,
        { ...record.doc, duration: routed.rule.defaultDuration },
        { expectedVersion: record.version },
      );
      current = updated;
    } catch {
      // decided meanwhile: the decision's own duration applies
    }
  }
  await deps.approvals.requested({ store, workspace: ws, request: current.doc }, (error) =>
    deps.log.error("approval request listener failed", {
      request_id: record.doc.id,
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  return current;
}
