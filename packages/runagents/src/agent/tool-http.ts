/**
 * @module
 * One HTTP call to a tool, shared by `Agent.callTool`, the runtime's built-in tool loop and resume.
 * The response body is read exactly once and shared between tracing and interrupt detection (the
 * reference runtime read it twice and so never saw an approval on these paths). Not public API.
 */

import { ToolUnreachable } from "./errors.js";
import { getRuntimeHooks } from "./hooks.js";
import { governanceErrorOf, ToolHttpError } from "./tool-errors.js";

/** Default timeout of a tool call. */
export const TOOL_TIMEOUT_MS = 60_000;

export interface ToolRequest {
  method: string;
  url: string;
  /** Sent only when non-empty. */
  body?: string;
  toolName: string;
  functionName?: string;
  /** Set to trace the call into the current run (`agent_sdk`, `sdk`); unset for the runtime's own calls. */
  source?: string;
  /**
   * Throw {@link ToolHttpError} for a non-2xx answer that is not a governance outcome (as
   * `Agent.callTool` does), instead of returning it as an error string (as the built-in loop does,
   * so the model sees it).
   */
  throwHttpErrors?: boolean;
  /** Extra headers; they win over the trace headers. */
  headers?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Calls the tool and returns the response text. A governance 403 (JSON `code`, or `error`,
 * `POLICY_DENIED`, `CAPABILITY_DENIED`, `APPROVAL_REQUIRED` or `CONSENT_REQUIRED`) throws the
 * matching {@link ToolCallError}; any other non-2xx answer throws {@link ToolHttpError} with
 * `throwHttpErrors`, else is returned as the string `{"error":"HTTP <status>","detail":"<body>"}`;
 * an unreachable tool throws `ToolUnreachable`.
 */
export async function requestTool(request: ToolRequest): Promise<string> {
  const hooks = getRuntimeHooks();
  const body = request.body ?? "";
  const trace =
    request.source === undefined
      ? undefined
      : hooks?.beginToolCall({
          tool: request.toolName,
          function: request.functionName ?? request.toolName,
          method: request.method.toUpperCase(),
          url: request.url,
          body,
          source: request.source,
        });
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    ...trace?.headers,
    ...request.headers,
  };
  const timeout = AbortSignal.timeout(request.timeoutMs ?? TOOL_TIMEOUT_MS);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const doFetch = hooks?.fetch ?? globalThis.fetch;
  let status: number;
  let text: string;
  try {
    const response = await doFetch(request.url, {
      method: request.method,
      headers,
      body: body === "" ? undefined : body,
      signal,
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    trace?.fail(error);
    if (isNetworkFailure(error)) {
      throw new ToolUnreachable(request.toolName, describeNetworkError(error), error);
    }
    throw error;
  }
  trace?.finish(status, text);
  if (status >= 200 && status < 300) return text;
  const where = { method: request.method.toUpperCase(), url: request.url };
  const denied = governanceErrorOf(request.toolName, status, text, where);
  if (denied) throw denied;
  if (request.throwHttpErrors) throw new ToolHttpError(request.toolName, status, text, where);
  return JSON.stringify({ error: `HTTP ${status}`, detail: text });
}

/** fetch's own failures: `TypeError: fetch failed` (with a cause), aborts and timeouts. */
export function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    (error.name === "TypeError" && error.message === "fetch failed") ||
    error.name === "TimeoutError" ||
    error.name === "AbortError"
  );
}

/** A short reason for a failed fetch: `connect ECONNREFUSED 127.0.0.1:9`, `timed out`, ... */
export function describeNetworkError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return "timed out";
  let cause: unknown = error.cause;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  if (cause instanceof Error && cause.message !== "") return cause.message;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : error.message;
}

/**
 * `url` with `params` appended as a query string: scalars as text, arrays as repeated keys, objects
 * as JSON; `null` and `undefined` are skipped.
 */
export function withQuery(url: string, params: Readonly<Record<string, unknown>>): string {
  const search = new URLSearchParams();
  const add = (key: string, value: unknown): void => {
    if (value === null || value === undefined) return;
    search.append(key, typeof value === "object" ? JSON.stringify(value) : String(value));
  };
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) for (const item of value) add(key, item);
    else add(key, value);
  }
  const query = search.toString();
  if (query === "") return url;
  return `${url}${url.includes("?") ? "&" : "?"}${query}`;
}
