/**
 * @module governance/run-recovery
 * What a run's event log says about tool calls a stopped platform (or an interrupted resume)
 * left behind, and the failures that surface them. A governed call is recorded as
 * `TOOL_REQUEST {decision: "allow"}` before it goes out and `TOOL_RESPONSE` (same `request_id`)
 * once it has an outcome; a request without a response, once the process that sent it is gone,
 * may or may not have reached the tool. Such a call is never retried: the run fails with
 * `TOOL_OUTCOME_UNKNOWN`, naming the call, for an operator to check at the tool.
 */
import { HttpError } from "../errors.js";
import type { Doc, RunEventRecord, Store } from "../store/store.js";
import { GOVERNANCE_ACTOR, isTerminal, transitionRun } from "./runs.js";

export const TOOL_OUTCOME_UNKNOWN = "TOOL_OUTCOME_UNKNOWN";
export const RUN_INTERRUPTED = "RUN_INTERRUPTED";

const isSentCall = (event: RunEventRecord): boolean =>
  event.type === "TOOL_REQUEST" && event.data.decision === "allow";

/** `TOOL_REQUEST`s that went out (decision allow) and have no `TOOL_RESPONSE` with their request id. */
export function unansweredCalls(events: readonly RunEventRecord[]): RunEventRecord[] {
  const answered = new Set<unknown>();
  for (const event of events) if (event.type === "TOOL_RESPONSE") answered.add(event.data.request_id);
  return events.filter((event) => isSentCall(event) && !answered.has(event.data.request_id));
}

/** Calls that went out after the run's last `RESUMED` event for `actionId` (all of them when there is none). */
export function callsSinceResume(events: readonly RunEventRecord[], actionId: string): RunEventRecord[] {
  let start = 0;
  events.forEach((event, index) => {
    if (event.type === "RESUMED" && event.data.action_id === actionId) start = index + 1;
  });
  return events.slice(start).filter(isSentCall);
}

/** The event fields that identify one call, for an operator. */
function describeCall(event: RunEventRecord): Doc {
  const d = event.data;
  const call: Doc = {
    tool: d.tool ?? d.tool_id ?? "",
    tool_method: d.tool_method ?? "",
    tool_url: d.tool_url ?? "",
    payload_hash: event.payloadHash || (d.request_payload_hash ?? ""),
    action_id: d.action_id ?? "",
    request_id: d.request_id ?? "",
    tool_request_seq: event.seq,
  };
  if (d.grant_id) call.grant_id = d.grant_id;
  return call;
}

/**
 * Fails the run with `TOOL_OUTCOME_UNKNOWN`: the FAILED event names the (first) call — tool,
 * method, URL, payload hash, action id — and lists every unanswered call under `calls`.
 */
export async function failOutcomeUnknown(
  store: Store,
  ws: string,
  runId: string,
  calls: readonly RunEventRecord[],
  why: string,
): Promise<void> {
  const described = calls.map(describeCall);
  const first = described[0] as Doc;
  const error =
    `${why} while ${String(first.tool)} (${String(first.tool_method)} ${String(first.tool_url)}) was in flight: ` +
    "its outcome is unknown, so it is not retried. Check the tool before acting on this run again.";
  await endRun(store, ws, runId, {
    error,
    reason: TOOL_OUTCOME_UNKNOWN,
    code: TOOL_OUTCOME_UNKNOWN,
    ...first,
    calls: described,
  });
}

/** Fails the run with `RUN_INTERRUPTED` and `error`. */
export async function failInterrupted(store: Store, ws: string, runId: string, error: string): Promise<void> {
  await endRun(store, ws, runId, { error, reason: RUN_INTERRUPTED, code: RUN_INTERRUPTED });
}

async function endRun(store: Store, ws: string, runId: string, data: Doc): Promise<void> {
  const run = await store.getRun(ws, runId);
  if (!run || isTerminal(run.status)) return;
  await transitionRun(store, ws, runId, "FAILED", { actor: GOVERNANCE_ACTOR, data }).catch((e: unknown) => {
    if (!(e instanceof HttpError && e.status === 409)) throw e; // ended meanwhile
  });
}
