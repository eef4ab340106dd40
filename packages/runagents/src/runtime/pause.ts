/**
 * @module
 * Approval and consent pauses: the payloads the runtime answers with, and "interrupt promotion",
 * which finds a pause in a handler's traced tool calls even when user code swallowed the 403.
 */

import { isApprovalRequired, isConsentRequired, resumeIdOf } from "../agent/errors.js";
import { isRecord, type JsonRecord, parseJsonObject } from "../agent/json.js";
import type { TracedCall } from "./trace.js";

/** `{response, approval_required}` for a paused tool call. */
export function approvalPayload(toolName: string, detail: JsonRecord): JsonRecord {
  const approval: JsonRecord = { ...detail };
  if (!("tool" in approval)) approval.tool = toolName;
  const tool = stringOr(approval.tool) || toolName || "tool";
  const message = stringOr(approval.message) || `Tool '${tool}' requires approval before it can be used.`;
  return { response: message, approval_required: approval };
}

/** The consent payload: `code`, `message`, `response` (+ the authorization URL), `tool`, ... */
export function consentPayload(toolName: string, detail: JsonRecord): JsonRecord {
  const consent: JsonRecord = { ...detail };
  if (!("tool" in consent)) consent.tool = toolName;
  if (!("code" in consent)) consent.code = "CONSENT_REQUIRED";
  const message = stringOr(consent.message) || "You need to connect a tool before I can continue.";
  const authorizationUrl = stringOr(consent.authorization_url) || stringOr(consent.authorizationUrl);
  const payload: JsonRecord = {
    code: "CONSENT_REQUIRED",
    message,
    response: authorizationUrl ? `${message} ${authorizationUrl}` : message,
    tool: consent.tool,
    authorization_url: authorizationUrl,
    consent_required: consent,
  };
  const resumeId = resumeIdOf(consent);
  if (resumeId !== undefined) payload.resume_id = resumeId;
  return payload;
}

/** The pause payload for an `ApprovalRequired` / `ConsentRequired` error, else `undefined`. */
export function pauseFromError(error: unknown): JsonRecord | undefined {
  if (isApprovalRequired(error)) return approvalPayload(error.toolName, error.detail);
  if (isConsentRequired(error)) return consentPayload(error.toolName, error.detail);
  return undefined;
}

/** Trace sources whose calls throw typed errors (see {@link promoteInterrupt}). */
const SDK_SOURCES: ReadonlySet<string> = new Set(["agent_sdk", "sdk"]);

export type PauseKind = "approval" | "consent";

/** Whether a (normalised) handler result is a pause. */
export function pauseKindOf(result: JsonRecord): PauseKind | undefined {
  if (isRecord(result.approval_required)) return "approval";
  if (isRecord(result.consent_required)) return "consent";
  return undefined;
}

/** The key a pause is checkpointed under: the action id (approval) or the consent resume id. */
export function pauseKeyOf(result: JsonRecord, kind: PauseKind): string | undefined {
  if (kind === "approval") {
    const approval = result.approval_required as JsonRecord;
    return stringOr(approval.action_id) || stringOr(approval.actionId) || undefined;
  }
  const fromPayload = stringOr(result.resume_id);
  return fromPayload || resumeIdOf(result.consent_required as JsonRecord);
}

/**
 * Merges the first traced interrupt into `result` (its `response` is replaced), when the handler
 * returned no pause of its own. Returns `result` unchanged otherwise. Calls made with the SDK
 * (`Agent.callTool`) are skipped: those threw `ApprovalRequiredError` / `ConsentRequiredError`,
 * so a handler that returned anyway caught the interrupt and took responsibility for it.
 */
export function promoteInterrupt(result: JsonRecord, calls: readonly TracedCall[]): JsonRecord {
  if (pauseKindOf(result) !== undefined) return result;
  for (const call of calls) {
    if (SDK_SOURCES.has(call.source)) continue;
    const detail = decodeInterrupt(call.result);
    if (!detail) continue;
    const tool = stringOr(detail.tool) || call.tool;
    const payload =
      signalOf(detail) === "APPROVAL_REQUIRED" ? approvalPayload(tool, detail) : consentPayload(tool, detail);
    return { ...result, ...payload };
  }
  return result;
}

/** A tool result carrying an interrupt, including the runtime's own `{"error","detail":"<json>"}` shape. */
export function decodeInterrupt(text: string): JsonRecord | undefined {
  let value = parseJsonObject(text);
  if (value && value.code === undefined && typeof value.detail === "string") {
    const inner = parseJsonObject(value.detail);
    if (inner) value = inner;
  }
  return value && signalOf(value) !== undefined ? value : undefined;
}

function signalOf(detail: JsonRecord): "APPROVAL_REQUIRED" | "CONSENT_REQUIRED" | undefined {
  const signal = detail.code ?? detail.error;
  return signal === "APPROVAL_REQUIRED" || signal === "CONSENT_REQUIRED" ? signal : undefined;
}

function stringOr(value: unknown): string {
  return typeof value === "string" ? value : "";
}
