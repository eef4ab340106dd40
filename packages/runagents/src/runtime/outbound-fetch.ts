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
import type { TracedCall, TraceSession } from "./trace.js";

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
  const given = request ? request.headers : init?.headers;
  // Without headers of the caller's, the added ones go as a list (no `Headers` to build and copy).
  const merged = given === undefined ? undefined : new Headers(given);
  const list: Array<[string, string]> = [];
  const add = (name: string, value: string): void => {
    if (value === "") return;
    if (merged === undefined) list.push([name, value]);
    else if (!merged.has(name)) merged.set(name, value);
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
  const headers = merged ?? list;
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
    captureBody(response, trace, call);
  }
  return response;
}

/** What a traced response's capture has done so far. */
interface Capture {
  readonly trace: TraceSession;
  readonly call: TracedCall;
  readonly status: number;
  /** The body is being (or was) read: by the caller through a captured method, or by a clone. */
  started: boolean;
  /** The caller's read through a captured method, while it runs. */
  reading: Promise<unknown> | undefined;
}

const CAPTURE = Symbol("runagents.capture");
type Traced = Response & { [CAPTURE]: Capture };
const proto = Response.prototype as Response & { bytes?: () => Promise<Uint8Array> };
const decoder = new TextDecoder();

/**
 * Records the response body in the trace without copying the stream: the caller's `text()`,
 * `json()`, `arrayBuffer()` or `bytes()` hand the text to the trace as they return it. Anything
 * else that reaches the body (`body`, `clone()`, `blob()`, `formData()`) first tees it for the
 * trace, as does {@link TraceSession.settle} for a body nobody read: the trace holds the body
 * either way, and the caller gets the same `Response`, streaming as it would.
 */
function captureBody(response: Response, trace: TraceSession, call: TracedCall): void {
  const capture: Capture = { trace, call, status: response.status, started: false, reading: undefined };
  (response as Traced)[CAPTURE] = capture;
  Object.defineProperties(response, CAPTURING);
  trace.beforeSettle(() => {
    if (call.done) return;
    if (capture.reading) trace.track(capture.reading);
    else teeForTrace(response, capture);
  });
}

/** Starts reading a clone of the body for the trace, unless the body is already being read. */
function teeForTrace(response: Response, capture: Capture): void {
  if (capture.started || response.bodyUsed) return;
  capture.started = true;
  const { trace, call, status } = capture;
  trace.track(
    proto.clone
      .call(response)
      .text()
      .then(
        (text) => trace.finish(call, status, text),
        (error: unknown) => trace.fail(call, error),
      ),
  );
}

/** The caller's read of the body, its text handed to the trace (`toText` of what it resolves to). */
function read<T>(response: Response, method: () => Promise<T>, toText: (value: T) => string): Promise<T> {
  const capture = (response as Traced)[CAPTURE];
  if (capture.started) return method.call(response);
  capture.started = true;
  const { trace, call, status } = capture;
  const reading = method.call(response).then(
    (value) => {
      capture.reading = undefined;
      trace.finish(call, status, toText(value));
      return value;
    },
    (error: unknown) => {
      capture.reading = undefined;
      trace.fail(call, error);
      throw error;
    },
  );
  capture.reading = reading;
  return reading;
}

const asIs = (text: string): string => text;
const decode = (bytes: ArrayBuffer | Uint8Array): string => decoder.decode(bytes);
const bodyGetter = Object.getOwnPropertyDescriptor(Response.prototype, "body")?.get as (
  this: Response,
) => ReadableStream | null;

/** An own method of a traced response (non-enumerable, like the prototype's). */
const ownMethod = (value: (this: Response) => unknown): PropertyDescriptor => ({
  value,
  configurable: true,
  writable: true,
});

/** A method that reaches the body another way: the trace tees the body first. */
const teeingMethod = (method: (this: Response) => unknown): PropertyDescriptor =>
  ownMethod(function (this: Response) {
    teeForTrace(this, (this as Traced)[CAPTURE]);
    return method.call(this);
  });

const CAPTURING: PropertyDescriptorMap = {
  text: ownMethod(function (this: Response) {
    return read(this, proto.text, asIs);
  }),
  json: ownMethod(function (this: Response) {
    return read(this, proto.text, asIs).then((text) => JSON.parse(text) as unknown);
  }),
  arrayBuffer: ownMethod(function (this: Response) {
    return read(this, proto.arrayBuffer, decode);
  }),
  ...(proto.bytes
    ? {
        bytes: ownMethod(function (this: Response) {
          return read(this, proto.bytes as () => Promise<Uint8Array>, decode);
        }),
      }
    : {}),
  blob: teeingMethod(proto.blob),
  formData: teeingMethod(proto.formData),
  clone: teeingMethod(proto.clone),
  body: {
    get(this: Response) {
      teeForTrace(this, (this as Traced)[CAPTURE]);
      return bodyGetter.call(this);
    },
    configurable: true,
  },
};

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
