/**
 * @module
 * Errors raised by `Agent`, `tool()` helpers and the agent runtime. The two interrupts
 * ({@link ApprovalRequired}, {@link ConsentRequired}) pause a run: the runtime turns them into an
 * `approval_required` / `consent_required` answer and checkpoints the run so it can be resumed.
 *
 * The runtime recognises interrupts by their `code` as well as by class, because a user's agent may
 * import its own copy of `runagents` (see {@link isApprovalRequired}).
 */

import { type JsonRecord, parseJsonObject } from "./json.js";

/** `TOOL_URL_<NAME>`: the environment variable that binds tool `name`. */
export function toolEnvKey(name: string): string {
  return `TOOL_URL_${name.toUpperCase().replaceAll("-", "_")}`;
}

/** The agent called a tool that has no `TOOL_URL_*` binding. */
export class ToolNotConfigured extends Error {
  readonly code = "TOOL_NOT_CONFIGURED";
  readonly toolName: string;
  readonly envKey: string;

  constructor(toolName: string, envKey: string = toolEnvKey(toolName)) {
    super(`Tool '${toolName}' not found. Set ${envKey} or check requiredTools.`);
    this.name = "ToolNotConfigured";
    this.toolName = toolName;
    this.envKey = envKey;
  }
}

/**
 * Marks the interrupts as LangGraph.js "bubble-up" errors (`isGraphBubbleUp`), so a graph runner
 * re-raises them instead of recording a task failure.
 */
abstract class RunInterrupt extends Error {
  abstract readonly code: "APPROVAL_REQUIRED" | "CONSENT_REQUIRED";
  readonly toolName: string;
  readonly detail: JsonRecord;

  constructor(message: string, toolName: string, detail: JsonRecord) {
    super(message);
    this.toolName = toolName;
    this.detail = { ...detail };
  }

  get is_bubble_up(): true {
    return true;
  }
}

/** A tool call needs a human approval first (the egress answered 403 `APPROVAL_REQUIRED`). */
export class ApprovalRequired extends RunInterrupt {
  readonly code = "APPROVAL_REQUIRED";
  /** The blocked action; `/resume/{actionId}` continues the run once it is approved. */
  readonly actionId: string | undefined;

  constructor(toolName: string, detail: JsonRecord = {}) {
    super(`Approval required for ${toolName}`, toolName, detail);
    this.name = "ApprovalRequired";
    this.actionId = firstString(detail, ["action_id", "actionId"]);
  }
}

/** A delegated-user tool needs the end user's OAuth consent (403 `CONSENT_REQUIRED`). */
export class ConsentRequired extends RunInterrupt {
  readonly code = "CONSENT_REQUIRED";
  /** The id `/resume/{resumeId}` continues the run with once consent is given. */
  readonly resumeId: string | undefined;
  /** Where the end user grants access. */
  readonly authorizationUrl: string | undefined;

  constructor(toolName: string, detail: JsonRecord = {}) {
    super(`Consent required for ${toolName}`, toolName, detail);
    this.name = "ConsentRequired";
    this.resumeId = resumeIdOf(detail);
    this.authorizationUrl = firstString(detail, ["authorization_url", "authorizationUrl"]);
  }
}

/** The LLM gateway answered non-2xx (`status` set), could not be reached, or sent an unreadable reply. */
export class LLMGatewayError extends Error {
  readonly code = "LLM_GATEWAY_ERROR";
  readonly status: number | undefined;
  /** The gateway's response body, when there was one. */
  readonly detail: string;

  constructor(message: string, options: { status?: number; detail?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LLMGatewayError";
    this.status = options.status;
    this.detail = options.detail ?? "";
  }
}

/** A tool URL could not be reached (connection refused, DNS failure, timeout). */
export class ToolUnreachable extends Error {
  readonly code = "TOOL_UNREACHABLE";
  readonly toolName: string;

  constructor(toolName: string, reason: string, cause?: unknown) {
    super(`Tool '${toolName}' unreachable: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = "ToolUnreachable";
    this.toolName = toolName;
  }
}

/** True for an {@link ApprovalRequired}, including one from another copy of this package. */
export function isApprovalRequired(error: unknown): error is ApprovalRequired {
  return error instanceof ApprovalRequired || hasCode(error, "APPROVAL_REQUIRED");
}

/** True for a {@link ConsentRequired}, including one from another copy of this package. */
export function isConsentRequired(error: unknown): error is ConsentRequired {
  return error instanceof ConsentRequired || hasCode(error, "CONSENT_REQUIRED");
}

function hasCode(error: unknown, code: string): boolean {
  if (!(error instanceof Error)) return false;
  const fields = error as Error & { code?: unknown; detail?: unknown; toolName?: unknown };
  return fields.code === code && typeof fields.detail === "object" && fields.detail !== null;
}

/** The resume id of a consent detail: `resume_id`, `resumeId`, `action_id` or `actionId`, first non-empty. */
export function resumeIdOf(detail: JsonRecord): string | undefined {
  return firstString(detail, ["resume_id", "resumeId", "action_id", "actionId"]);
}

function firstString(detail: JsonRecord, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = detail[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/** The interrupt signalled by a tool's HTTP 403 body (`code` or `error`), if any. */
export function interruptFromResponse(
  toolName: string,
  status: number,
  body: string,
): ApprovalRequired | ConsentRequired | undefined {
  if (status !== 403) return undefined;
  const detail = parseJsonObject(body);
  if (detail === undefined) return undefined;
  const signal = detail.code ?? detail.error;
  if (signal === "APPROVAL_REQUIRED") return new ApprovalRequired(toolName, detail);
  if (signal === "CONSENT_REQUIRED") return new ConsentRequired(toolName, detail);
  return undefined;
}
