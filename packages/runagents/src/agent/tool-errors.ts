/**
 * @module
 * What a governed tool call can throw when it does not succeed. Every one is a
 * {@link ToolCallError} with `code`, `status`, `tool`, `reason` and, for a policy denial, the
 * `rule` that denied it:
 *
 * - {@link PolicyDeniedError}: 403 `POLICY_DENIED` (a policy denies the call, or none allows it);
 *   {@link CapabilityDeniedError}, its subclass, for 403 `CAPABILITY_DENIED`.
 * - {@link ApprovalRequiredError}: 403 `APPROVAL_REQUIRED`; a run pauses until someone approves.
 * - {@link ConsentRequiredError}: 403 `CONSENT_REQUIRED`; a run pauses until the end user consents.
 * - {@link ToolHttpError}: any other non-2xx answer.
 *
 * The two interrupts pause the run when they escape a handler (the runtime checkpoints and answers
 * `approval_required` / `consent_required`); a handler that catches one takes responsibility for it.
 * An uncaught denial or HTTP error fails the run with its reason.
 */

import { type JsonRecord, parseJsonObject } from "./json.js";

export type ToolErrorCode =
  | "POLICY_DENIED"
  | "CAPABILITY_DENIED"
  | "APPROVAL_REQUIRED"
  | "CONSENT_REQUIRED"
  | "TOOL_HTTP_ERROR";

/** The policy rule that decided a call, as the platform's egress reports it. */
export interface DeniedRule {
  policy: string;
  /** Position of the rule in the policy's `spec.policies`. */
  index: number;
  permission: string;
  operations: string[];
  resource: string;
  tags?: string[];
}

/** Where the failed call went; `status` defaults to 403. */
export interface ToolCallInfo {
  status?: number;
  method?: string;
  url?: string;
}

/** Base class of every error a tool call throws for its answer (not for its transport). */
export abstract class ToolCallError extends Error {
  abstract readonly code: ToolErrorCode;
  /** The tool's name. */
  readonly tool: string;
  /** The HTTP status the call was answered with. */
  readonly status: number;
  /** Why, in the platform's (or the tool's) words. */
  readonly reason: string;
  /** The policy rule that decided it, when the platform names one. */
  readonly rule: DeniedRule | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;
  /** The parsed answer body (`{}` when it was not a JSON object). */
  readonly detail: JsonRecord;

  constructor(message: string, tool: string, detail: JsonRecord, info: ToolCallInfo = {}) {
    super(message);
    this.tool = tool;
    this.detail = { ...detail };
    this.status = info.status ?? 403;
    this.reason = stringOf(detail.reason) || stringOf(detail.message) || stringOf(detail.error);
    this.rule = ruleOf(detail.rule);
    this.method = stringOf(detail.method) || info.method;
    this.url = stringOf(detail.url) || info.url;
  }

  /** The tool's name (the name the reference SDK used). */
  get toolName(): string {
    return this.tool;
  }
}

/** 403 `POLICY_DENIED`: the agent's policies deny the call (or no rule allows it). */
export class PolicyDeniedError extends ToolCallError {
  readonly code: "POLICY_DENIED" | "CAPABILITY_DENIED" = "POLICY_DENIED";

  constructor(tool: string, detail: JsonRecord = {}, info: ToolCallInfo = {}) {
    super(`Call to ${tool} denied: ${reasonOf(detail, "operation denied")}`, tool, detail, info);
    this.name = "PolicyDeniedError";
  }
}

/** 403 `CAPABILITY_DENIED`: the tool declares no capability for this method and path. */
export class CapabilityDeniedError extends PolicyDeniedError {
  override readonly code = "CAPABILITY_DENIED";

  constructor(tool: string, detail: JsonRecord = {}, info: ToolCallInfo = {}) {
    super(tool, detail, info);
    this.message = `Call to ${tool} not permitted: ${reasonOf(detail, "operation not permitted")}`;
    this.name = "CapabilityDeniedError";
  }
}

/**
 * Marks the interrupts as LangGraph.js "bubble-up" errors (`isGraphBubbleUp`), so a graph runner
 * re-raises them instead of recording a task failure.
 */
abstract class RunInterrupt extends ToolCallError {
  get is_bubble_up(): true {
    return true;
  }
}

/** 403 `APPROVAL_REQUIRED`: the call waits for a human approval; escaping a handler, it pauses the run. */
export class ApprovalRequiredError extends RunInterrupt {
  readonly code = "APPROVAL_REQUIRED";
  /** The blocked action; `/resume/{actionId}` continues the run once it is approved. */
  readonly actionId: string | undefined;
  /** The access request an approver decides on. */
  readonly accessRequestId: string | undefined;

  constructor(tool: string, detail: JsonRecord = {}, info: ToolCallInfo = {}) {
    super(`Approval required for ${tool}`, tool, detail, info);
    this.name = "ApprovalRequiredError";
    this.actionId = firstString(detail, ["action_id", "actionId"]);
    this.accessRequestId = firstString(detail, ["request_id", "requestId", "access_request_id"]);
  }
}

/** 403 `CONSENT_REQUIRED`: a delegated-user tool needs the end user's OAuth consent first. */
export class ConsentRequiredError extends RunInterrupt {
  readonly code = "CONSENT_REQUIRED";
  /** The id `/resume/{resumeId}` continues the run with once consent is given. */
  readonly resumeId: string | undefined;
  /** Where the end user grants access. */
  readonly authorizationUrl: string | undefined;

  constructor(tool: string, detail: JsonRecord = {}, info: ToolCallInfo = {}) {
    super(`Consent required for ${tool}`, tool, detail, info);
    this.name = "ConsentRequiredError";
    this.resumeId = resumeIdOf(detail);
    this.authorizationUrl = firstString(detail, ["authorization_url", "authorizationUrl"]);
  }
}

/** Any other non-2xx answer of a tool. `body` is the raw answer. */
export class ToolHttpError extends ToolCallError {
  readonly code = "TOOL_HTTP_ERROR";
  readonly body: string;

  constructor(tool: string, status: number, body: string, info: Omit<ToolCallInfo, "status"> = {}) {
    const detail = parseJsonObject(body) ?? {};
    super(`Tool '${tool}' answered HTTP ${status}`, tool, detail, { ...info, status });
    this.name = "ToolHttpError";
    this.body = body;
  }
}

/** The governance outcome a tool's 403 body signals (`code`, or `error`), if any. */
export function governanceErrorOf(
  tool: string,
  status: number,
  body: string,
  info: Omit<ToolCallInfo, "status"> = {},
): ToolCallError | undefined {
  if (status !== 403) return undefined;
  const detail = parseJsonObject(body);
  if (detail === undefined) return undefined;
  const at = { ...info, status };
  const signal = typeof detail.code === "string" ? detail.code : detail.error;
  if (signal === "APPROVAL_REQUIRED") return new ApprovalRequiredError(tool, detail, at);
  if (signal === "CONSENT_REQUIRED") return new ConsentRequiredError(tool, detail, at);
  if (signal === "POLICY_DENIED") return new PolicyDeniedError(tool, detail, at);
  if (signal === "CAPABILITY_DENIED") return new CapabilityDeniedError(tool, detail, at);
  return undefined;
}

/** True for a `POLICY_DENIED` / `CAPABILITY_DENIED` error, including one from another copy of this package. */
export function isPolicyDenied(error: unknown): error is PolicyDeniedError {
  if (error instanceof PolicyDeniedError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && (code === "POLICY_DENIED" || code === "CAPABILITY_DENIED");
}

/** True for any {@link ToolCallError}, including one from another copy of this package. */
export function isToolCallError(error: unknown): error is ToolCallError {
  if (error instanceof ToolCallError) return true;
  if (!(error instanceof Error)) return false;
  const fields = error as Error & { code?: unknown; tool?: unknown; status?: unknown };
  return (
    typeof fields.tool === "string" &&
    typeof fields.status === "number" &&
    typeof fields.code === "string" &&
    TOOL_ERROR_CODES.has(fields.code)
  );
}

const TOOL_ERROR_CODES: ReadonlySet<string> = new Set<ToolErrorCode>([
  "POLICY_DENIED",
  "CAPABILITY_DENIED",
  "APPROVAL_REQUIRED",
  "CONSENT_REQUIRED",
  "TOOL_HTTP_ERROR",
]);

/** The resume id of a consent detail: `resume_id`, `resumeId`, `action_id` or `actionId`, first non-empty. */
export function resumeIdOf(detail: JsonRecord): string | undefined {
  return firstString(detail, ["resume_id", "resumeId", "action_id", "actionId"]);
}

export function firstString(detail: JsonRecord, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = detail[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

function reasonOf(detail: JsonRecord, fallback: string): string {
  return stringOf(detail.reason) || stringOf(detail.message) || stringOf(detail.error) || fallback;
}

function ruleOf(value: unknown): DeniedRule | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const rule = value as JsonRecord;
  if (typeof rule.policy !== "string") return undefined;
  const out: DeniedRule = {
    policy: rule.policy,
    index: typeof rule.index === "number" ? rule.index : 0,
    permission: stringOf(rule.permission),
    operations: Array.isArray(rule.operations) ? rule.operations.filter((o) => typeof o === "string") : [],
    resource: stringOf(rule.resource),
  };
  if (Array.isArray(rule.tags)) out.tags = rule.tags.filter((t) => typeof t === "string");
  return out;
}

function stringOf(value: unknown): string {
  return typeof value === "string" ? value : "";
}
