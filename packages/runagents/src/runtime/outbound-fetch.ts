/**
 * @module
 * Instruments `fetch`: URL rewrites and strict mode for every call, the request's identity headers
 * (`X-Request-Id`, `X-Run-ID`, `X-Action-ID`, `X-End-User-Id`) on calls to tools, the gateway and
 * governance, and, inside a user handler, tracing of tool calls (`X-Tool-*` headers, recorded
 * request and response). Headers the caller set are never overwritten.
 */

import type { RuntimeHooks, ToolCallStart, ToolCallTrace } from "../agent/hooks.js";
import { setRuntimeHooks } from "../agent/hooks.js";
import { currentRequest, processWidePolicy, setProcessPolicy } from "./context.js";
import { identityHeaders, type OutboundPolicy, resolveOutboundUrl, toolNameForUrl } from "./outbound.js";
import { patchNodeHttp } from "./outbound-http.js";

let baseFetch: typeof fetch | undefined;
let globalsPatched = false;

export interface OutboundInstall {
  /** The runtime's own fetch: policy and identity headers, no tracing. */
  readonly fetch: typeof fetch;
  /** Stops using this runtime's policy outside requests. */
  release(): void;
}

/**
 * Registers the SDK hooks and (with `patchGlobals`) patches global `fetch` and `node:http(s)`.
 * Idempotent: later runtimes in the same process only replace the process-wide policy.
 */
export function installOutbound(policy: OutboundPolicy, options: { patchGlobals: boolean }): OutboundInstall {
  if (baseFetch === undefined) {
    baseFetch = globalThis.fetch;
    const hooks: RuntimeHooks = { fetch: untracedFetch, beginToolCall };
    setRuntimeHooks(hooks);
  }
  if (options.patchGlobals && !globalsPatched) {
    globalsPatched = true;
    globalThis.fetch = tracedFetch;
    patchNodeHttp();
  }
  setProcessPolicy(policy);
  return {
    fetch: untracedFetch,
    release() {
      if (processWidePolicy() === policy) setProcessPolicy(undefined);
    },
  };
}

function beginToolCall(start: ToolCallStart): ToolCallTrace | undefined {
  const trace = currentRequest()?.trace;
  if (!trace) return undefined;
  const call = trace.begin(start);
  return {
    headers: trace.headers(call),
    finish: (status, text) => trace.finish(call, status, text),
    fail: (error) => trace.fail(call, error),
  };
}

const untracedFetch: typeof fetch = (input, init) => outboundFetch(input, init, false);
const tracedFetch: typeof fetch = (input, init) => outboundFetch(input, init, true);

async function outboundFetch(
  input: string | URL | Request,
  init: RequestInit | undefined,
  traced: boolean,
): Promise<Response> {
  const base = baseFetch ?? globalThis.fetch;
  const state = currentRequest();
  const policy = state?.policy ?? processWidePolicy();
  if (state === undefined && policy.passthrough) return base(input, init);
  const original = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const url = resolveOutboundUrl(original, policy);
  const identity = identityHeaders(url, state, policy);
  const trace = traced ? state?.trace : undefined;
  const tool = trace ? toolNameForUrl(url, policy) : undefined;
  if (url === original && identity === undefined && tool === undefined) return base(input, init);

  const request = input instanceof Request ? new Request(input, init) : undefined;
  const method = (request?.method ?? init?.method ?? "GET").toUpperCase();
  const body: RequestInit["body"] = request
    ? request.body
      ? await request.arrayBuffer()
      : null
    : init?.body;
  const headers = new Headers(request ? request.headers : init?.headers);
  const add = (name: string, value: string): void => {
    if (value !== "" && !headers.has(name)) headers.set(name, value);
  };
  for (const [name, value] of identity ?? []) add(name, value);
  const call =
    trace && tool
      ? trace.begin({
          tool,
          function: `${tool}__${method.toLowerCase()}`,
          method,
          url,
          body: bodyText(body),
          source: "fetch",
        })
      : undefined;
  if (trace && call) for (const [name, value] of Object.entries(trace.headers(call))) add(name, value);
  const forwarded: RequestInit = request
    ? { method, headers, body, signal: request.signal, redirect: request.redirect }
    : { ...init, method, headers, body };
  let response: Response;
  try {
    response = await base(url, forwarded);
  } catch (error) {
    if (trace && call) trace.fail(call, error);
    throw error;
  }
  if (trace && call) {
    call.status_code = response.status;
    const status = response.status;
    trace.track(
      response
        .clone()
        .text()
        .then(
          (text) => trace.finish(call, status, text),
          (error: unknown) => trace.fail(call, error),
        ),
    );
  }
  return response;
}

/** The request body as text, when it is text-like; `""` otherwise. */
function bodyText(body: RequestInit["body"]): string {
  if (body === null || body === undefined) return "";
  if (typeof body === "string") return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return Buffer.from(body).toString("utf8");
  if (ArrayBuffer.isView(body))
    return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  return "";
}
