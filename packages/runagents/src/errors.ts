/**
 * @module
 * Errors thrown by the RunAgents SDK. Every error is a {@link RunAgentsError} with a stable `code`;
 * platform HTTP failures are {@link APIError}, everything else is a local failure.
 */

/** Every error code the SDK throws. */
export type RunAgentsErrorCode =
  | "API_ERROR"
  | "CONNECTION_ERROR"
  | "VALIDATION_ERROR"
  | "TIMEOUT"
  | "ABORTED"
  | "CONFIG_ERROR";

export interface RunAgentsErrorOptions {
  cause?: unknown;
  details?: unknown;
}

/** Base class of every SDK error. `code` is stable; messages are for humans. */
export class RunAgentsError extends Error {
  readonly code: RunAgentsErrorCode;
  readonly details: unknown;

  constructor(code: RunAgentsErrorCode, message: string, options: RunAgentsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RunAgentsError";
    this.code = code;
    this.details = options.details;
  }
}

/** The platform answered with HTTP status >= 400. `detail` is the parsed JSON body, or the raw text. */
export class APIError extends RunAgentsError {
  readonly status: number;
  readonly detail: unknown;

  constructor(status: number, detail: unknown) {
    super("API_ERROR", `HTTP ${status}: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`);
    this.name = "APIError";
    this.status = status;
    this.detail = detail;
  }
}

/** DNS failure, refused connection, reset socket, unparsable URL. */
export class RunAgentsConnectionError extends RunAgentsError {
  constructor(reason: string, options: RunAgentsErrorOptions = {}) {
    super("CONNECTION_ERROR", `Connection failed: ${reason}`, options);
    this.name = "RunAgentsConnectionError";
  }
}

/** A client-side check failed before anything was sent. */
export class RunAgentsValidationError extends RunAgentsError {
  constructor(message: string, options: RunAgentsErrorOptions = {}) {
    super("VALIDATION_ERROR", message, options);
    this.name = "RunAgentsValidationError";
  }
}

/** A request, or a `runs.wait()`, ran past its deadline. */
export class RunAgentsTimeoutError extends RunAgentsError {
  constructor(message: string, options: RunAgentsErrorOptions = {}) {
    super("TIMEOUT", message, options);
    this.name = "RunAgentsTimeoutError";
  }
}

/** The configuration (file, environment or options) is invalid. `path` names the config file. */
export class ConfigError extends RunAgentsError {
  readonly path: string;

  constructor(message: string, path: string, options: RunAgentsErrorOptions = {}) {
    super("CONFIG_ERROR", message, options);
    this.name = "ConfigError";
    this.path = path;
  }
}

/** The caller's AbortSignal fired; `cause` is the signal's reason. */
export function abortedError(reason: unknown): RunAgentsError {
  return new RunAgentsError("ABORTED", "request aborted", { cause: reason });
}
