/**
 * @module
 * `client.approvals`: list, get, approve (scope normalisation, api-contract §2.3.2) and reject.
 */

import { RunAgentsValidationError } from "../errors.js";
import type { ApprovalRequest, ApproveInput } from "./governance-types.js";
import type { CallOptions, Transport } from "./http.js";
import { urlPath } from "./http.js";
import { listOf } from "./parse.js";
import { toApprovalRequest } from "./parse-governance.js";
import type { JsonObject } from "./types.js";

/**
 * Map a user scope to its wire value: `once`, `run` or `agent_user_ttl`. No scope and no duration
 * is `once` (this one call): a time window is granted only when asked for, with a window scope or
 * a duration.
 */
export function normalizeApprovalScope(scope: string, duration: string): string {
  const s = scope.trim().toLowerCase();
  const d = duration.trim();
  if (s === "") return d === "" ? "once" : "agent_user_ttl";
  if (s === "once" || s === "run") {
    if (d !== "") throw new RunAgentsValidationError("duration can only be used with scope window");
    return s;
  }
  if (s === "window" || s === "ttl" || s === "agent_user_ttl") return "agent_user_ttl";
  throw new RunAgentsValidationError(`invalid approval scope '${s}' (expected once, run, or window)`);
}

/**
 * The approve body `{scope, duration?, reason?}`. The scope is always sent (`once` when none is
 * given), so no platform's default can turn an approval into a time window.
 */
export function buildApprovalDecision(input: ApproveInput = {}): JsonObject {
  const scope = normalizeApprovalScope(input.scope ?? "", input.duration ?? "");
  const duration = (input.duration ?? "").trim();
  const reason = (input.reason ?? "").trim();
  const body: JsonObject = { scope };
  if (duration !== "") body.duration = duration;
  if (reason !== "") body.reason = reason;
  return body;
}

export class ApprovalsResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** GET /approvals/requests[?status=] (`PENDING` | `APPROVED` | `REJECTED` | `EXPIRED`). */
  async list(filters: { status?: string } = {}, options: CallOptions = {}): Promise<ApprovalRequest[]> {
    const status = (filters.status ?? "").trim();
    const query = status === "" ? {} : { status };
    return listOf(
      await this.#t.request("GET", "/approvals/requests", { ...options, query }),
      toApprovalRequest,
    );
  }

  /** GET /approvals/requests/{id} */
  async get(requestId: string, options: CallOptions = {}): Promise<ApprovalRequest> {
    return toApprovalRequest(
      await this.#t.request("GET", urlPath`/approvals/requests/${requestId}`, options),
    );
  }

  /** POST /approvals/requests/{id}/approve; without a scope or duration it approves this one call (`once`). */
  async approve(
    requestId: string,
    input: ApproveInput = {},
    options: CallOptions = {},
  ): Promise<ApprovalRequest> {
    const body = buildApprovalDecision(input);
    const path = urlPath`/approvals/requests/${requestId}/approve`;
    return toApprovalRequest(await this.#t.request("POST", path, { ...options, body }));
  }

  /** POST /approvals/requests/{id}/reject with `{reason}` when given, otherwise no body. */
  async reject(
    requestId: string,
    input: { reason?: string } = {},
    options: CallOptions = {},
  ): Promise<ApprovalRequest> {
    const reason = (input.reason ?? "").trim();
    const body = reason === "" ? undefined : { reason };
    const path = urlPath`/approvals/requests/${requestId}/reject`;
    return toApprovalRequest(await this.#t.request("POST", path, { ...options, body }));
  }
}
