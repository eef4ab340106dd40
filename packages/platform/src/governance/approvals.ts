/**
 * @module governance/approvals
 * The pure side of just-in-time approvals: the access-request document, approval scopes and
 * durations, expiry, and `findGrant` — which approved request (if any) covers a tool call. The
 * store-backed lifecycle is in `access-requests.ts` and `decisions.ts`. Also the per-platform
 * hooks the resume worker and the connector delivery plug into: `ApprovalEvents`.
 */
import { HttpError } from "../errors.js";
import type { Store } from "../store/store.js";

export const REQUEST_STATUSES = ["PENDING", "APPROVED", "REJECTED", "EXPIRED"] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const APPROVAL_SCOPES = ["once", "run", "agent_user_ttl"] as const;
export type ApprovalScope = (typeof APPROVAL_SCOPES)[number];

/** Time-window approvals last this long unless the request or the tool says otherwise. */
export const DEFAULT_WINDOW = "4h";
/** The longest window an approval may open. */
export const MAX_WINDOW_MS = 30 * 24 * 3_600_000;

/** The stored document of kind `access_request`, keyed by `id`. Absent values are "". */
export interface AccessRequest {
  [key: string]: unknown;
  id: string;
  subject: string;
  agent_id: string;
  tool_id: string;
  status: RequestStatus;
  scope: string;
  duration: string;
  approver_id: string;
  reason: string;
  action_id: string;
  run_id: string;
  capability: string;
  payload_hash: string;
  tool_method: string;
  tool_url: string;
  expires_at: string;
  decided_at: string;
  /** Set when a `once` grant has been used by the call it covered. */
  consumed_at: string;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Go-style durations with whole numbers and the units s, m, h and d (a day is 24h):
 * `30m`, `4h`, `1h30m`, `7d`. Must be positive and at most 30 days. Returns milliseconds.
 */
export function parseDuration(value: string, path = "duration"): number {
  const text = value.trim().toLowerCase();
  const invalid = () =>
    new HttpError(400, `${path} must be a duration such as 30m, 4h, 1h30m or 7d (between 1s and 30d)`);
  if (!/^(\d+[smhd])+$/.test(text)) throw invalid();
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g)) {
    total += Number(amount) * (UNIT_MS[unit as string] as number);
  }
  if (total <= 0 || total > MAX_WINDOW_MS) throw invalid();
  return total;
}

export interface ApprovalDecisionInput {
  scope: ApprovalScope;
  /** Empty unless the scope is a time window and a duration was given. */
  duration: string;
}

/**
 * The SDK's scope rules (api-contract §2.3.2), applied on the server too, with one deliberate
 * difference: no scope and no duration means `once` (this one call), never a window. A duration
 * alone, `window`, `ttl` and `agent_user_ttl` mean `agent_user_ttl`; `once` and `run` take no
 * duration.
 */
export function normalizeDecision(rawScope: string | undefined, rawDuration: string | undefined) {
  const scope = (rawScope ?? "").trim().toLowerCase();
  const duration = (rawDuration ?? "").trim().toLowerCase();
  let normalized: ApprovalScope;
  if (scope === "" && duration === "") {
    normalized = "once";
  } else if (scope === "" || scope === "window" || scope === "ttl" || scope === "agent_user_ttl") {
    normalized = "agent_user_ttl";
  } else if (scope === "once" || scope === "run") {
    if (duration) throw new HttpError(400, "duration can only be used with scope window");
    normalized = scope;
  } else {
    throw new HttpError(400, `invalid approval scope '${scope}' (expected once, run, or window)`);
  }
  if (duration) parseDuration(duration);
  return { scope: normalized, duration } satisfies ApprovalDecisionInput;
}

/** The status a request has at `now`: a time window whose end has passed reads as EXPIRED. */
export function effectiveStatus(request: AccessRequest, now: string): RequestStatus {
  if (
    request.status === "APPROVED" &&
    request.scope === "agent_user_ttl" &&
    request.expires_at !== "" &&
    request.expires_at <= now
  ) {
    return "EXPIRED";
  }
  return request.status;
}

export interface GrantQuery {
  agentId: string;
  /** The end user the call is made for (the request's `subject`). */
  userId: string;
  toolId: string;
  /** The run the call belongs to (`X-Run-ID`), if any. */
  runId?: string;
  /** RFC 3339 UTC. */
  now: string;
  /** The blocked action being replayed (`X-Action-ID`), for `once` grants. */
  actionId?: string;
  method?: string;
  url?: string;
  payloadHash?: string;
}

/**
 * The approved request that authorises a call, or undefined. Scopes:
 * - `agent_user_ttl`: same agent, same end user, same tool, until `expires_at`;
 * - `run`: same tool (and agent) inside the run the request was made for;
 * - `once`: the one blocked call — the same tool, method, URL and payload hash (within the same
 *   run when the request has one, and the same action when the caller names one with
 *   `X-Action-ID`) — and only until it has been consumed. A changed payload is a new approval.
 * Broader grants are preferred, so a `once` grant is not spent while a window or run grant
 * already covers the call.
 */
export function findGrant(requests: readonly AccessRequest[], query: GrantQuery): AccessRequest | undefined {
  const live = requests.filter(
    (r) =>
      effectiveStatus(r, query.now) === "APPROVED" &&
      r.tool_id === query.toolId &&
      r.agent_id === query.agentId,
  );
  const window = live.find(
    (r) => r.scope === "agent_user_ttl" && r.subject === query.userId && r.expires_at > query.now,
  );
  if (window) return window;
  const run = live.find((r) => r.scope === "run" && r.run_id !== "" && r.run_id === query.runId);
  if (run) return run;
  return live.find((r) => r.scope === "once" && r.consumed_at === "" && coversExactCall(r, query));
}

function coversExactCall(r: AccessRequest, q: GrantQuery): boolean {
  if (r.run_id !== "" && r.run_id !== q.runId) return false;
  if (r.action_id !== "" && q.actionId && r.action_id !== q.actionId) return false;
  const same = (expected: string, actual: string | undefined, fold = false) =>
    expected === "" || (fold ? expected.toUpperCase() === (actual ?? "").toUpperCase() : expected === actual);
  return (
    same(r.tool_method, q.method, true) && same(r.tool_url, q.url) && same(r.payload_hash, q.payloadHash)
  );
}

/** What listeners hear after a decision and its effects (action status, run events) were recorded. */
export interface ApprovalDecision {
  store: Store;
  workspace: string;
  decision: "approved" | "rejected";
  /** The run and blocked action the decision is about ("" when the request had none). */
  runId: string;
  actionId: string;
  /** The decided request; absent when a blocked action was approved with no request linked. */
  request?: AccessRequest;
}

export type ApprovalListener = (event: ApprovalDecision) => Promise<void> | void;

/** A new access request (not a reused one), for delivery to the approval connectors. */
export interface ApprovalRequested {
  store: Store;
  workspace: string;
  request: AccessRequest;
}

export type RequestListener = (event: ApprovalRequested) => Promise<void> | void;

/**
 * One platform's approval hooks (`services.approvals`): the resume worker hears decisions, the
 * connector delivery hears new requests. Per platform, so several platforms can share a process.
 */
export class ApprovalEvents {
  readonly #decided = new Set<ApprovalListener>();
  readonly #requested = new Set<RequestListener>();

  /** Subscribes to decisions (heard after their effects were recorded); returns the unsubscribe. */
  onDecision(listener: ApprovalListener): () => void {
    this.#decided.add(listener);
    return () => this.#decided.delete(listener);
  }

  /** Subscribes to new access requests; returns the unsubscribe. */
  onRequested(listener: RequestListener): () => void {
    this.#requested.add(listener);
    return () => this.#requested.delete(listener);
  }

  /** Calls every decision listener; a failing listener is reported, never undoes the decision. */
  decided(event: ApprovalDecision, report: (error: unknown) => void): Promise<void> {
    return callAll(this.#decided, event, report);
  }

  requested(event: ApprovalRequested, report: (error: unknown) => void): Promise<void> {
    return callAll(this.#requested, event, report);
  }
}

async function callAll<E>(
  listeners: Set<(event: E) => Promise<void> | void>,
  event: E,
  report: (error: unknown) => void,
): Promise<void> {
  for (const listener of listeners) {
    try {
      await listener(event);
    } catch (error) {
      report(error);
    }
  }
}
