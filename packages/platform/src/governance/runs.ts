/**
 * @module governance/runs
 * Runs and their event log: statuses and the transitions between them, event types, the JSON
 * views the clients read, and the store-backed operations every caller (the /runs routes, the
 * invoke proxy, the egress, approvals) goes through so the lifecycle rules live in one place.
 */
import { RUN_STATUSES } from "runagents";
import { conflict, HttpError, notFound } from "../errors.js";
import type { Doc, NewRunEvent, RunEventRecord, RunRecord, Store } from "../store/store.js";

export { RUN_STATUSES };
export type RunStatus = (typeof RUN_STATUSES)[number];

/** What `PATCH /runs/{id}` accepts. */
export const PATCHABLE_STATUSES = [
  "COMPLETED",
  "FAILED",
  "PAUSED_APPROVAL",
  "PAUSED_CONSENT",
  "RUNNING",
] as const;

export const TERMINAL_STATUSES: readonly string[] = ["COMPLETED", "FAILED"];
export const PAUSED_STATUSES: readonly string[] = ["PAUSED", "PAUSED_APPROVAL", "PAUSED_CONSENT"];
export const ACTIVE_STATUSES: readonly string[] = ["RUNNING", ...PAUSED_STATUSES];

const TRANSITIONS: Record<string, readonly string[]> = {
  RUNNING: ["COMPLETED", "FAILED", "PAUSED_APPROVAL", "PAUSED_CONSENT"],
  PAUSED: ["RUNNING", "FAILED"],
  PAUSED_APPROVAL: ["RUNNING", "FAILED"],
  PAUSED_CONSENT: ["RUNNING", "FAILED"],
  COMPLETED: [],
  FAILED: [],
};

export const canTransition = (from: string, to: string): boolean => TRANSITIONS[from]?.includes(to) ?? false;
export const isTerminal = (status: string): boolean => TERMINAL_STATUSES.includes(status);

/** The contract's RunEventType enum. */
export const RUN_EVENT_TYPES = [
  "USER_MESSAGE",
  "AGENT_MESSAGE",
  "TOOL_REQUEST",
  "TOOL_RESPONSE",
  "APPROVAL_REQUIRED",
  "CONSENT_REQUIRED",
  "APPROVED",
  "REJECTED",
  "RESUMED",
  "RUN_CREATED",
  "INVOKE_REQUESTED",
  "INVOKE_COMPLETED",
  "INVOKE_FAILED",
  "TOOL_CALLED",
  "COMPLETED",
  "FAILED",
] as const;
/** Names from the lifecycle docs, accepted and stored as sent. */
export const RUN_EVENT_ALIASES = [
  "TOOL_CALL",
  "LLM_CALL",
  /** The egress denied a tool call (this platform's addition: tool, method, URL, code, reason, rule). */
  "TOOL_DENIED",
  "APPROVAL_GRANTED",
  "APPROVAL_REJECTED",
  "ERROR",
] as const;
export const ACCEPTED_EVENT_TYPES: readonly string[] = [...RUN_EVENT_TYPES, ...RUN_EVENT_ALIASES];

/**
 * Event types that claim a lifecycle change. Once a run has finished these would contradict its
 * status, so they are refused; anything else (a late tool result, a message) is still recorded.
 */
const LIFECYCLE_EVENT_TYPES: readonly string[] = [
  "RUN_CREATED",
  "APPROVAL_REQUIRED",
  "CONSENT_REQUIRED",
  "RESUMED",
  "COMPLETED",
  "FAILED",
];

/** The actor of events the platform itself records. */
export const GOVERNANCE_ACTOR = "governance";

export interface StartRunInput {
  agentId: string;
  userId: string;
  conversationId?: string;
  initialMessage?: string;
  invokeUrl?: string;
}

/** Where a run's agent is invoked through the platform, for `invoke_url` when none is given. */
export function defaultInvokeUrl(baseUrl: string, workspace: string, agentId: string): string {
  const prefix = workspace === "default" ? "/api/v1" : `/api/v1/workspaces/${encodeURIComponent(workspace)}`;
  return `${baseUrl}${prefix}/agents/${encodeURIComponent(agentId)}/invoke`;
}

/** Creates a RUNNING run and records its `RUN_CREATED` event. */
export async function startRun(
  store: Store,
  ws: string,
  input: StartRunInput,
  baseUrl: string,
): Promise<RunRecord> {
  const run = await store.createRun({
    workspace: ws,
    agentId: input.agentId,
    userId: input.userId,
    conversationId: input.conversationId ?? "",
    initialMessage: input.initialMessage ?? "",
    invokeUrl: input.invokeUrl || defaultInvokeUrl(baseUrl, ws, input.agentId),
    status: "RUNNING",
  });
  await store.appendEvent(ws, run.id, {
    type: "RUN_CREATED",
    actor: GOVERNANCE_ACTOR,
    data: { agent_id: run.agentId, user_id: run.userId, conversation_id: run.conversationId },
  });
  return run;
}

export async function loadRun(store: Store, ws: string, id: string): Promise<RunRecord> {
  const run = await store.getRun(ws, id);
  if (!run) throw notFound(`run ${id} not found`);
  return run;
}

export interface TransitionOptions {
  actor?: string;
  /** Extra data for the COMPLETED / FAILED event (for example `{error}`). */
  data?: Doc;
  /** Set while pausing for approval. */
  blockedActionId?: string;
  /** The boot id of the platform process that now drives the run (see `RunRecord.owner`). */
  owner?: string;
}

/**
 * Moves a run to `to`, or throws 409 `invalid transition from X to Y`. Race-safe: the update only
 * applies while the run still has the status the rule was checked against, and is re-checked
 * when another writer got there first. Ending a run appends its COMPLETED / FAILED event in the
 * same transaction as the status (`Store.updateRunWithEvents`).
 */
export async function transitionRun(
  store: Store,
  ws: string,
  id: string,
  to: string,
  options: TransitionOptions = {},
): Promise<RunRecord> {
  for (;;) {
    const run = await loadRun(store, ws, id);
    if (!canTransition(run.status, to)) throw conflict(`invalid transition from ${run.status} to ${to}`);
    const patch: Parameters<Store["updateRun"]>[2] = { status: to };
    if (options.blockedActionId !== undefined) patch.blockedActionId = options.blockedActionId;
    else if (to === "RUNNING") patch.blockedActionId = "";
    if (options.owner !== undefined) patch.owner = options.owner;
    if (to === "COMPLETED" || to === "FAILED") {
      // The outcome and its event in one step: no reader sees the status without the event.
      const ended = await store.updateRunWithEvents(
        ws,
        id,
        patch,
        [run.status],
        [{ type: to, actor: options.actor || GOVERNANCE_ACTOR, data: options.data ?? {} }],
      );
      if (!ended) continue;
      return ended.run;
    }
    const updated = await store.updateRun(ws, id, patch, [run.status]);
    if (!updated) continue;
    return updated;
  }
}

/** Appends an event to an existing run; lifecycle events are refused once the run has ended. */
export async function recordEvent(
  store: Store,
  ws: string,
  runId: string,
  event: NewRunEvent,
): Promise<RunEventRecord> {
  const run = await loadRun(store, ws, runId);
  if (isTerminal(run.status) && LIFECYCLE_EVENT_TYPES.includes(event.type)) {
    throw conflict(`run ${runId} is ${run.status}, cannot append ${event.type}`);
  }
  return store.appendEvent(ws, runId, event);
}

/** Normalises a status filter (`?status=`, CSV allowed); `PAUSED` matches every paused state. */
export function parseStatusFilter(raw: string | null): string[] | undefined {
  if (raw === null || raw.trim() === "") return undefined;
  const out = new Set<string>();
  for (const part of raw.split(",")) {
    const value = part.trim().toUpperCase();
    if (!value) continue;
    if (!(RUN_STATUSES as readonly string[]).includes(value)) {
      throw new HttpError(400, `query parameter status must be one of ${RUN_STATUSES.join(", ")}`);
    }
    for (const s of value === "PAUSED" ? PAUSED_STATUSES : [value]) out.add(s);
  }
  return out.size > 0 ? [...out] : undefined;
}

/** Run JSON: the contract's keys plus the `agent` and `message` aliases. */
export function runView(run: RunRecord): Record<string, unknown> {
  return {
    id: run.id,
    conversation_id: run.conversationId,
    agent_id: run.agentId,
    agent: run.agentId,
    namespace: run.workspace,
    user_id: run.userId,
    user_auth: run.userAuth || "none",
    status: run.status,
    blocked_action_id: run.blockedActionId,
    initial_message: run.initialMessage,
    message: run.initialMessage,
    invoke_url: run.invokeUrl,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
  };
}

/** Event JSON: the contract's keys plus the aliases, and a flat `message` for the CLI's table. */
export function eventView(event: RunEventRecord): Record<string, unknown> {
  return {
    event_id: event.id,
    id: event.id,
    run_id: event.runId,
    seq: event.seq,
    sequence: event.seq,
    type: event.type,
    actor: event.actor,
    payload_hash: event.payloadHash,
    message: eventMessage(event.data),
    data: event.data,
    timestamp: event.timestamp,
    created_at: event.timestamp,
  };
}

function eventMessage(data: Doc): string {
  for (const key of ["message", "content", "detail", "summary", "error"]) {
    const value = data[key];
    if (typeof value === "string" && value) return value;
  }
  return "";
}
