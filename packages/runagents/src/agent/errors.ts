/**
 * @module
 * Errors raised by `Agent`, `tool()` helpers and the agent runtime. The two interrupts
 * ({@link ApprovalRequired}, {@link ConsentRequired}) pause a run: the runtime turns them into an
 * `approval_required` / `consent_required` answer and checkpoints the run so it can be resumed.
 *
 * The runtime recognises interrupts by their `code` as well as by class, because a user's agent may
 * import its own copy of `runagents` (see {@link isApprovalRequired}).
 */

import { ApprovalRequiredError, ConsentRequiredError, resumeIdOf } from "./tool-errors.js";

export { resumeIdOf };

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

/** The reference SDK's names for {@link ApprovalRequiredError} and {@link ConsentRequiredError}. */
export { ApprovalRequiredError as ApprovalRequired, ConsentRequiredError as ConsentRequired };

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
export function isApprovalRequired(error: unknown): error is ApprovalRequiredError {
  return error instanceof ApprovalRequiredError || hasCode(error, "APPROVAL_REQUIRED");
}

/** True for a {@link ConsentRequired}, including one from another copy of this package. */
export function isConsentRequired(error: unknown): error is ConsentRequiredError {
  return error instanceof ConsentRequiredError || hasCode(error, "CONSENT_REQUIRED");
}

function hasCode(error: unknown, code: string): boolean {
  if (!(error instanceof Error)) return false;
  const fields = error as Error & { code?: unknown; detail?: unknown; toolName?: unknown };
  return fields.code === code && typeof fields.detail === "object" && fields.detail !== null;
}
