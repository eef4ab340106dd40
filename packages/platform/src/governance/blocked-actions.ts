/**
 * @module governance/blocked-actions
 * Blocked actions (kind `blocked_action`, keyed by action id): a governed tool call waiting for
 * approval inside a run. Creating one pauses the run (`PAUSED_APPROVAL`, `blocked_action_id`),
 * links a PENDING access request and records `APPROVAL_REQUIRED` — the egress calls
 * `blockToolCall` for exactly that.
 */
import { randomUUID } from "node:crypto";
import { conflict, notFound } from "../errors.js";
import { type ResourceRecord, type Store, VersionConflictError } from "../store/store.js";
import { createOrReuseRequest, type RequestRecord } from "./access-requests.js";
import { GOVERNANCE_ACTOR, loadRun } from "./runs.js";

export const ACTION_STATUSES = ["BLOCKED", "APPROVED", "EXECUTED", "FAILED", "EXPIRED"] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export interface BlockedAction {
  [key: string]: unknown;
  action_id: string;
  run_id: string;
  agent_id: string;
  user_id: string;
  tool_id: string;
  capability: string;
  payload_hash: string;
  tool_method: string;
  tool_url: string;
  status: ActionStatus;
  /** The access request that decides this action. */
  request_id: string;
}

export type ActionRecord = ResourceRecord<BlockedAction>;

export interface NewBlockedAction {
  toolId: string;
  capability?: string;
  payloadHash?: string;
  toolMethod?: string;
  toolUrl?: string;
}

/** Records a blocked call in a RUNNING run and pauses the run; 409 unless the run is RUNNING. */
export async function blockToolCall(
  store: Store,
  ws: string,
  runId: string,
  input: NewBlockedAction,
): Promise<{ action: ActionRecord; request: RequestRecord }> {
  const run = await loadRun(store, ws, runId);
  const notRunning = (status: string) => conflict(`run is ${status}, must be RUNNING to create actions`);
  if (run.status !== "RUNNING") throw notRunning(run.status);
  const actionId = randomUUID();
  const doc: BlockedAction = {
    action_id: actionId,
    run_id: runId,
    agent_id: run.agentId,
    user_id: run.userId,
    tool_id: input.toolId,
    capability: input.capability ?? "",
    payload_hash: input.payloadHash ?? "",
    tool_method: (input.toolMethod ?? "").toUpperCase(),
    tool_url: input.toolUrl ?? "",
    status: "BLOCKED",
    request_id: "",
  };
  await store.putResource(ws, "blocked_action", actionId, doc, { expectedVersion: 0 });
  const paused = await store.updateRun(ws, runId, { status: "PAUSED_APPROVAL", blockedActionId: actionId }, [
    "RUNNING",
  ]);
  if (!paused) {
    await store.deleteResource(ws, "blocked_action", actionId);
    throw notRunning((await loadRun(store, ws, runId)).status);
  }
  const { record: request } = await createOrReuseRequest(store, ws, {
    subject: run.userId,
    agentId: run.agentId,
    toolId: doc.tool_id,
    runId,
    actionId,
    capability: doc.capability,
    payloadHash: doc.payload_hash,
    toolMethod: doc.tool_method,
    toolUrl: doc.tool_url,
  });
  const action = await updateAction(store, ws, actionId, (a) => ({ ...a, request_id: request.doc.id }));
  await store.appendEvent(ws, runId, {
    type: "APPROVAL_REQUIRED",
    actor: GOVERNANCE_ACTOR,
    payloadHash: doc.payload_hash,
    data: {
      tool_id: doc.tool_id,
      capability: doc.capability,
      tool_method: doc.tool_method,
      tool_url: doc.tool_url,
      action_id: actionId,
      request_id: request.doc.id,
    },
  });
  return { action: action ?? (await loadAction(store, ws, runId, actionId)), request };
}

/** The action of that run; 404 for an unknown run or an action of another run. */
export async function loadAction(store: Store, ws: string, runId: string, actionId: string) {
  await loadRun(store, ws, runId);
  const record = await store.getResource<BlockedAction>(ws, "blocked_action", actionId);
  if (!record || record.doc.run_id !== runId) throw notFound(`action ${actionId} not found`);
  return record;
}

/**
 * Applies `change` with optimistic concurrency, retrying on conflicts. `change` may return
 * undefined to leave the action alone; the result is then undefined too.
 */
export async function updateAction(
  store: Store,
  ws: string,
  actionId: string,
  change: (doc: BlockedAction) => BlockedAction | undefined,
): Promise<ActionRecord | undefined> {
  for (;;) {
    const record = await store.getResource<BlockedAction>(ws, "blocked_action", actionId);
    const next = record ? change(record.doc) : undefined;
    if (!record || !next) return undefined;
    try {
      const { record: updated } = await store.putResource(ws, "blocked_action", actionId, next, {
        expectedVersion: record.version,
      });
      return updated;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
}

/** Moves the action to `to` if its status is one of `from`; undefined when it was not. */
export function setActionStatus(
  store: Store,
  ws: string,
  actionId: string,
  from: readonly ActionStatus[],
  to: ActionStatus,
): Promise<ActionRecord | undefined> {
  return updateAction(store, ws, actionId, (doc) =>
    from.includes(doc.status) ? { ...doc, status: to } : undefined,
  );
}

/** BlockedAction JSON (api-contract §3.9) plus the call details and the linked request. */
export function actionView(record: ActionRecord): Record<string, unknown> {
  const d = record.doc;
  return {
    action_id: d.action_id,
    id: d.action_id,
    run_id: d.run_id,
    agent_id: d.agent_id,
    user_id: d.user_id,
    tool_id: d.tool_id,
    capability: d.capability,
    payload_hash: d.payload_hash,
    tool_method: d.tool_method,
    tool_url: d.tool_url,
    request_id: d.request_id,
    status: d.status,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}
