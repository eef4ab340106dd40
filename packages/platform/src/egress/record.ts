/**
 * @module egress/record
 * The run context of a governed call and its `TOOL_REQUEST` / `TOOL_RESPONSE` / `TOOL_DENIED` events. A call is
 * recorded on the run named by `X-Run-ID` only when that run belongs to the calling agent. Events
 * carry the method, the URL as the agent asked for it (never an injected credential), the status
 * and `sha256:` payload hashes.
 *
 * Which run: `X-Run-ID` counts only when it names an active (not COMPLETED / FAILED) run of the
 * calling agent that the platform started — never another agent's run, a finished one, or an
 * audit run. The call's end user is that run's user; a header the agent writes never is.
 *
 * Every call is audited, in a run or not (design choice): a call without such a run gets an
 * implicit run of its own, recorded with the agent and no user — `RUN_CREATED` (`source:
 * "egress"`), `TOOL_REQUEST`, `TOOL_RESPONSE`, `COMPLETED` — so it is listed by
 * `GET /runs?agent_id=...` and read with `GET /runs/{id}/events` like any run. Its id starts
 * with `egress-`, and it never becomes anybody's run context (nothing pauses it, no user owns it).
 * An `X-Run-ID` that did not count is kept on the events as `claimed_run_id`. A run that ends
 * between the call's start and its `TOOL_REQUEST` (judged atomically when the event is sealed)
 * does not take the call either: it goes to an audit run, `claimed_run_id` naming the run. A call
 * already recorded on a run keeps its `TOOL_RESPONSE` there, even when the run ended meanwhile.
 */

import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { whenBegun } from "../governance/invocations.js";
import { GOVERNANCE_ACTOR, isTerminal, transitionRun } from "../governance/runs.js";
import { type Doc, RunEndedError, type Store } from "../store/store.js";

export interface RunContext {
  id: string;
  userId: string;
}

export interface CallIdentity {
  workspace: string;
  agent: string;
  /** The run the call belongs to: an active run of this agent named by `X-Run-ID`. */
  run?: RunContext;
  /** The run's end user; "" without a run (never a header the agent sent). */
  userId: string;
  /** `X-Action-ID`: set by the runtime while it replays calls after an approval. */
  actionId: string;
  requestId: string;
  /** An `X-Run-ID` the agent sent that did not count (see the module comment). */
  claimedRunId?: string;
  /** Out-of-run calls: the implicit audit run, created with the first event. */
  auditRunId?: string;
  /** What has been recorded so far, so a refusal records what is missing. */
  requested?: boolean;
  responded?: boolean;
}

export const header = (headers: IncomingHttpHeaders, name: string): string => {
  const value = headers[name];
  return ((Array.isArray(value) ? value[0] : value) ?? "").trim();
};

export const AUDIT_RUN_PREFIX = "egress-";

/** Resolves `X-Run-ID` to a run the call may belong to (see the module comment). */
export class RunResolver {
  constructor(private readonly store: Store) {}

  async resolve(ws: string, agent: string, runId: string): Promise<RunContext | undefined> {
    if (!runId || runId.length > 200 || runId.startsWith(AUDIT_RUN_PREFIX)) return undefined;
    // An invoke calls its agent while the run's creation is still being written (on PostgreSQL it
    // may not be committed yet): wait for it rather than take the call for one outside a run.
    const begun = whenBegun(runId);
    if (begun) await begun;
    // Not cached: a run's status changes, and a finished run must stop counting at once.
    const run = await this.store.getRun(ws, runId);
    if (!run || run.agentId !== agent || isTerminal(run.status)) return undefined;
    return { id: runId, userId: run.userId };
  }
}

export interface CallRecord {
  tool: string;
  method: string;
  /** The URL as the agent asked for it (base URL + path + the agent's query), no credentials. */
  url: string;
  capability: string;
}

/** The event data: what every tool event says about the call, then `extra` (plain assignments: cheaper than spreads). */
function callData(call: CallRecord, identity: CallIdentity, extra: Doc): Doc {
  const data: Doc = {
    tool_id: call.tool,
    tool: call.tool,
    tool_method: call.method,
    tool_url: call.url,
    capability: call.capability,
    request_id: identity.requestId,
  };
  if (identity.actionId) data.action_id = identity.actionId;
  if (identity.claimedRunId) data.claimed_run_id = identity.claimedRunId;
  for (const key in extra) data[key] = extra[key];
  return data;
}

/** The run the call's events go to: its run, else its audit run (created on first use). */
async function targetRun(store: Store, identity: CallIdentity): Promise<string> {
  if (identity.run) return identity.run.id;
  if (identity.auditRunId) return identity.auditRunId;
  const run = await store.createRun({
    id: `${AUDIT_RUN_PREFIX}${randomUUID()}`,
    workspace: identity.workspace,
    agentId: identity.agent,
    userId: "",
    status: "RUNNING",
  });
  identity.auditRunId = run.id;
  await store.appendEvent(identity.workspace, run.id, {
    type: "RUN_CREATED",
    actor: GOVERNANCE_ACTOR,
    data: {
      agent_id: identity.agent,
      user_id: "",
      conversation_id: "",
      source: "egress",
      message: "tool call outside a run",
    },
  });
  return run.id;
}

export async function recordRequest(
  store: Store,
  identity: CallIdentity,
  call: CallRecord,
  payloadHash: string,
  extra: Doc,
): Promise<void> {
  try {
    // Judged with the run's status when sealed: a run that ended since it was resolved takes no
    // new call (its outcome stays its last word but for the responses of calls already made).
    await store.appendEvent(identity.workspace, identity.run?.id ?? (await targetRun(store, identity)), {
      type: "TOOL_REQUEST",
      actor: identity.agent,
      payloadHash,
      whileActive: identity.run !== undefined,
      data: callData(call, identity, extra),
    });
  } catch (error) {
    if (!(error instanceof RunEndedError) || !identity.run) throw error;
    identity.claimedRunId = identity.run.id;
    delete identity.run;
    await store.appendEvent(identity.workspace, await targetRun(store, identity), {
      type: "TOOL_REQUEST",
      actor: identity.agent,
      payloadHash,
      data: callData(call, identity, extra),
    });
  }
  identity.requested = true;
}

/**
 * `extra` after `status_code`, so it may carry more (duration, sizes, an error). The response
 * is the last event of an audit run: it completes it.
 */
export async function recordResponse(
  store: Store,
  identity: CallIdentity,
  call: CallRecord,
  status: number,
  payloadHash: string,
  extra: Doc,
): Promise<void> {
  const runId = identity.run?.id ?? (await targetRun(store, identity));
  const data = callData(call, identity, {});
  data.status_code = status;
  for (const key in extra) data[key] = extra[key];
  await store.appendEvent(identity.workspace, runId, {
    type: "TOOL_RESPONSE",
    actor: identity.agent,
    payloadHash,
    data,
  });
  identity.responded = true;
  if (!identity.run)
    await transitionRun(store, identity.workspace, runId, "COMPLETED", { data: { status_code: status } });
}

/** `TOOL_DENIED`: the egress refused the call (`extra` has the code, reason and rule). */
export async function recordDenial(
  store: Store,
  identity: CallIdentity,
  call: CallRecord,
  extra: Doc,
): Promise<void> {
  if (!identity.run) return;
  const data = callData(call, identity, extra);
  data.status_code = 403;
  data.summary = `${call.method} ${call.tool} denied: ${String(extra.reason ?? extra.code ?? "")}`;
  await store.appendEvent(identity.workspace, identity.run.id, {
    type: "TOOL_DENIED",
    actor: "governance",
    data,
  });
}
