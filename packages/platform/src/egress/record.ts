/**
 * @module egress/record
 * The run context of a governed call and its `TOOL_REQUEST` / `TOOL_RESPONSE` / `TOOL_DENIED` events. A call is
 * recorded on the run named by `X-Run-ID` only when that run belongs to the calling agent. Events
 * carry the method, the URL as the agent asked for it (never an injected credential), the status
 * and `sha256:` payload hashes.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Doc, Store } from "../store/store.js";

export interface RunContext {
  id: string;
  userId: string;
}

export interface CallIdentity {
  workspace: string;
  agent: string;
  /** The run the call belongs to, when `X-Run-ID` names one of this agent's runs. */
  run?: RunContext;
  /** The run's end user, else the runtime's `X-End-User-Id`; "" when neither. */
  userId: string;
  /** `X-Action-ID`: set by the runtime while it replays calls after an approval. */
  actionId: string;
  requestId: string;
}

export const header = (headers: IncomingHttpHeaders, name: string): string => {
  const value = headers[name];
  return ((Array.isArray(value) ? value[0] : value) ?? "").trim();
};

const RUN_CACHE_LIMIT = 10_000;

/** Resolves `X-Run-ID`; a run's agent and user never change, so they are cached. */
export class RunResolver {
  readonly #runs = new Map<string, { agent: string; userId: string }>();

  constructor(private readonly store: Store) {}

  async resolve(ws: string, agent: string, runId: string): Promise<RunContext | undefined> {
    if (!runId || runId.length > 200) return undefined;
    const key = `${ws}\0${runId}`;
    let known = this.#runs.get(key);
    if (!known) {
      const run = await this.store.getRun(ws, runId);
      if (!run) return undefined;
      known = { agent: run.agentId, userId: run.userId };
      if (this.#runs.size >= RUN_CACHE_LIMIT) this.#runs.clear();
      this.#runs.set(key, known);
    }
    return known.agent === agent ? { id: runId, userId: known.userId } : undefined;
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
  for (const key in extra) data[key] = extra[key];
  return data;
}

export async function recordRequest(
  store: Store,
  identity: CallIdentity,
  call: CallRecord,
  payloadHash: string,
  extra: Doc,
): Promise<void> {
  if (!identity.run) return;
  await store.appendEvent(identity.workspace, identity.run.id, {
    type: "TOOL_REQUEST",
    actor: identity.agent,
    payloadHash,
    data: callData(call, identity, extra),
  });
}

/** `extra` after `status_code`, so it may carry more (duration, sizes, an error). */
export async function recordResponse(
  store: Store,
  identity: CallIdentity,
  call: CallRecord,
  status: number,
  payloadHash: string,
  extra: Doc,
): Promise<void> {
  if (!identity.run) return;
  const data = callData(call, identity, {});
  data.status_code = status;
  for (const key in extra) data[key] = extra[key];
  await store.appendEvent(identity.workspace, identity.run.id, {
    type: "TOOL_RESPONSE",
    actor: identity.agent,
    payloadHash,
    data,
  });
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
