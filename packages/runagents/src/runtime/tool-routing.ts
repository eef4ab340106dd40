/**
 * @module
 * From a model's tool call to an HTTP request: `TOOL_ROUTES_JSON` picks the tool, method and path
 * (else `<tool>__<operation>` naming, POST, `/`), `{param}` path templates are filled from the
 * arguments, and the remaining arguments become the JSON body (POST/PUT/PATCH) or the query string
 * (other methods). The reference runtime sent GET tools no arguments at all.
 */

import { ToolNotConfigured, toolEnvKey } from "../agent/errors.js";
import { isRecord, type JsonRecord } from "../agent/json.js";
import type { ChatToolCall } from "../agent/llm.js";
import { withQuery } from "../agent/tool-http.js";
import type { ToolRoute } from "./env.js";
import { type PendingCall, redactCapabilities } from "./governance.js";

export interface ResolvedCall {
  readonly id: string;
  readonly functionName: string;
  readonly toolName: string;
  readonly method: string;
  readonly url: string;
  /** `url` after the tool's base URL (path and query): what a checkpoint keeps instead of `url`. */
  readonly path: string;
  readonly body: string | undefined;
  /** The model's raw argument string. */
  readonly args: string;
}

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

export function resolveToolCall(
  call: ChatToolCall,
  routes: Readonly<Record<string, ToolRoute>>,
  toolUrls: Readonly<Record<string, string>>,
): ResolvedCall {
  const functionName = call.function.name;
  const rawArgs = call.function.arguments || "{}";
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawArgs);
  } catch {
    parsed = {};
  }
  if (!isRecord(parsed)) throw new Error(`arguments of tool call '${functionName}' are not a JSON object`);
  const args: JsonRecord = { ...parsed };
  const route = routes[functionName];
  const toolName = route?.tool || functionName.split("__")[0] || functionName;
  const method = (route?.method || "POST").toUpperCase();
  let path = route?.path || "/";
  if (!route && typeof args.path === "string") {
    path = args.path;
    delete args.path;
  }
  path = fillTemplate(path, args);
  const base = toolUrls[toolName.toLowerCase().replaceAll("_", "-")];
  if (base === undefined) throw new ToolNotConfigured(toolName, toolEnvKey(toolName));
  const root = base.replace(/\/+$/, "");
  let url = root + (path.startsWith("/") ? path : `/${path}`);
  let body: string | undefined;
  if (BODY_METHODS.has(method)) {
    body =
      "body" in args
        ? typeof args.body === "string"
          ? args.body
          : JSON.stringify(args.body)
        : JSON.stringify(args);
  } else {
    url = withQuery(url, args);
  }
  return {
    id: call.id,
    functionName,
    toolName,
    method,
    url,
    path: url.slice(root.length),
    body,
    args: rawArgs,
  };
}

/** Replaces `{name}` with the URL-encoded argument and removes it from `args`. Unknown names stay. */
function fillTemplate(path: string, args: JsonRecord): string {
  return path.replace(/\{([^{}/]+)\}/g, (whole, name: string) => {
    const value = args[name];
    if (value === undefined || value === null || typeof value === "object") return whole;
    delete args[name];
    return encodeURIComponent(String(value));
  });
}

/**
 * The checkpointed form of a call. A tool URL under the platform is a capability URL carrying the
 * agent's token, so the checkpoint keeps `path` (rebuilt against the tool's URL at resume, see
 * {@link pendingCallUrl}) and a `url` with the token hidden, for reading only.
 */
export function toPendingCall(call: ResolvedCall): PendingCall {
  return {
    tool_call_id: call.id,
    function_name: call.functionName,
    arguments: call.args,
    method: call.method,
    url: redactCapabilities(call.url),
    path: call.path,
    tool_name: call.toolName,
    ...(call.body === undefined ? {} : { body: call.body }),
  };
}

/**
 * Where a pending call goes on resume: the tool's current URL (its token may have changed since
 * the pause, e.g. after a platform restart) plus the stored `path`; a checkpoint written without
 * `path` (older runtimes) replays its stored `url`.
 */
export function pendingCallUrl(call: PendingCall, toolUrls: Readonly<Record<string, string>>): string {
  if (typeof call.path !== "string") return call.url;
  const base = toolUrls[(call.tool_name || "").toLowerCase().replaceAll("_", "-")];
  if (base === undefined) throw new ToolNotConfigured(call.tool_name, toolEnvKey(call.tool_name));
  return base.replace(/\/+$/, "") + call.path;
}

/** The pending form of a call that could not be resolved (kept so the checkpoint lists the whole turn). */
export function unresolvedPendingCall(call: ChatToolCall): PendingCall {
  const functionName = call.function.name;
  return {
    tool_call_id: call.id,
    function_name: functionName,
    arguments: call.function.arguments || "{}",
    method: "POST",
    url: "",
    tool_name: functionName.split("__")[0] || functionName,
  };
}
