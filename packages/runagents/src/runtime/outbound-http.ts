/**
 * @module
 * Instruments `node:http` / `node:https` `request` and `get` the way `outbound-fetch.ts` instruments
 * `fetch` (rewrites, strict mode, identity headers, tool-call tracing), for user code and libraries
 * (axios, older SDKs) that do not use `fetch`. ESM named imports see the patch through
 * `syncBuiltinESMExports()`.
 */

import http, { type ClientRequest, type IncomingMessage, type RequestOptions } from "node:http";
import https from "node:https";
import { syncBuiltinESMExports } from "node:module";
import { activePolicy, currentRequest } from "./context.js";
import { identityHeaders, resolveOutboundUrl, toolNameForUrl } from "./outbound.js";
import { TRACE_RESULT_LIMIT, type TracedCall, type TraceSession } from "./trace.js";

type RequestFn = (...args: unknown[]) => ClientRequest;

/** `request` of `node:http` / `node:https` as {@link patchNodeHttp} found them. */
let unpatched: Record<"http:" | "https:", RequestFn> | undefined;

/** `request` of `node:http` / `node:https` without this module's instrumentation. */
export function unpatchedRequest(protocol: "http:" | "https:"): typeof http.request {
  const fn = unpatched?.[protocol] ?? (protocol === "https:" ? https.request : http.request);
  return fn as unknown as typeof http.request;
}

export function patchNodeHttp(): void {
  if (unpatched) return;
  const originals = {
    "http:": http.request as unknown as RequestFn,
    "https:": https.request as unknown as RequestFn,
  };
  unpatched = originals;
  for (const [mod, protocol] of [
    [http, "http:"],
    [https, "https:"],
  ] as const) {
    const request = instrumented(protocol, originals);
    const get = (...args: unknown[]): ClientRequest => {
      const req = request(...args);
      req.end();
      return req;
    };
    Object.assign(mod, { request, get });
  }
  syncBuiltinESMExports();
}

function instrumented(
  defaultProtocol: "http:" | "https:",
  originals: Record<"http:" | "https:", RequestFn>,
): RequestFn {
  const original = originals[defaultProtocol];
  return (...args: unknown[]): ClientRequest => {
    const state = currentRequest();
    const policy = activePolicy();
    if (state === undefined && policy.passthrough) return original(...args);
    const parsed = parseArgs(args, defaultProtocol);
    if (parsed === undefined) return original(...args);
    const target = resolveOutboundUrl(parsed.href, policy);
    const identity = identityHeaders(target, state, policy);
    const trace = state?.trace;
    const tool = trace ? toolNameForUrl(target, policy) : undefined;
    if (target === parsed.href && identity === undefined && tool === undefined) return original(...args);

    let req: ClientRequest;
    if (target === parsed.href) {
      req = original(...args);
    } else {
      const url = new URL(target);
      const options: RequestOptions = {
        ...parsed.options,
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[|\]$/g, ""),
        port: url.port === "" ? undefined : Number(url.port),
        path: url.pathname + url.search,
      };
      delete options.host;
      if (url.protocol !== parsed.protocol) delete options.agent;
      const fn = url.protocol === "https:" ? originals["https:"] : originals["http:"];
      req = fn(options, ...(parsed.callback ? [parsed.callback] : []));
    }
    for (const [name, value] of identity ?? []) setIfAbsent(req, name, value);
    if (trace && tool) traceRequest(req, trace, tool, target);
    return req;
  };
}

interface ParsedArgs {
  href: string;
  protocol: string;
  options: RequestOptions;
  callback: ((res: IncomingMessage) => void) | undefined;
}

function parseArgs(args: unknown[], defaultProtocol: string): ParsedArgs | undefined {
  let index = 0;
  let url: URL | undefined;
  const first = args[0];
  if (typeof first === "string" || first instanceof URL) {
    try {
      url = new URL(String(first));
    } catch {
      return undefined;
    }
    index = 1;
  }
  let options: RequestOptions = {};
  const maybeOptions = args[index];
  if (maybeOptions !== null && typeof maybeOptions === "object" && !(maybeOptions instanceof URL)) {
    options = maybeOptions as RequestOptions;
    index++;
  }
  const maybeCallback = args[index];
  const callback =
    typeof maybeCallback === "function" ? (maybeCallback as (res: IncomingMessage) => void) : undefined;
  if (options.socketPath) return undefined;
  if (url) {
    if (options.path || options.hostname || options.host || options.port) return undefined;
    return { href: url.href, protocol: url.protocol, options, callback };
  }
  const protocol = options.protocol ?? defaultProtocol;
  const rawHost = options.hostname ?? options.host ?? "localhost";
  const host = rawHost.includes(":") && !rawHost.startsWith("[") ? `[${rawHost}]` : rawHost;
  const port = options.port ?? options.defaultPort;
  const path = options.path ?? "/";
  try {
    const href = new URL(`${protocol}//${host}${port ? `:${port}` : ""}${path}`).href;
    return { href, protocol, options, callback };
  } catch {
    return undefined;
  }
}

function setIfAbsent(req: ClientRequest, name: string, value: string): void {
  if (value === "" || req.hasHeader(name)) return;
  try {
    req.setHeader(name, value);
  } catch {
    // headers given as a raw array are already rendered: leave them as the caller wrote them
  }
}

/** Records the call in the trace: request body as written, response body as the caller reads it. */
function traceRequest(req: ClientRequest, trace: TraceSession, tool: string, url: string): void {
  const method = req.method.toUpperCase();
  const call = trace.begin(
    { tool, function: `${tool}__${method.toLowerCase()}`, method, url, body: "", source: "http" },
    false,
  );
  for (const [name, value] of Object.entries(trace.headers(call))) setIfAbsent(req, name, value);
  const sent: Buffer[] = [];
  const keep = (chunk: unknown): void => {
    if (typeof chunk === "string") sent.push(Buffer.from(chunk));
    else if (chunk instanceof Uint8Array) sent.push(Buffer.from(chunk));
  };
  const write = req.write;
  const end = req.end;
  req.write = function (this: ClientRequest, chunk: unknown, ...rest: unknown[]): boolean {
    keep(chunk);
    return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ClientRequest["write"];
  req.end = function (this: ClientRequest, ...args: unknown[]): ClientRequest {
    if (typeof args[0] !== "function") keep(args[0]);
    call.request_body = Buffer.concat(sent).toString("utf8");
    trace.announce(call);
    return (end as (...a: unknown[]) => ClientRequest).apply(this, args);
  } as ClientRequest["end"];
  observe(req, (event, args) => {
    if (event === "error") trace.fail(call, args[0]);
  });
  req.prependListener("response", (res: IncomingMessage) => {
    call.status_code = res.statusCode ?? 0;
    captureResponse(res, trace, call);
    // With no listener of its own the caller never reads the body: keep the socket flowing.
    if (req.listenerCount("response") === 1) res.resume();
  });
}

function captureResponse(res: IncomingMessage, trace: TraceSession, call: TracedCall): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const done = (): void => trace.finish(call, res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"));
  observe(res, (event, args) => {
    if (event === "data" && size < TRACE_RESULT_LIMIT * 4) {
      const chunk = args[0];
      const buffer = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
      chunks.push(buffer);
      size += buffer.length;
    } else if (event === "end" || event === "close") {
      done();
    }
  });
}

/** Sees every event an emitter emits, without adding listeners (which would change its behaviour). */
function observe(
  emitter: { emit(event: string | symbol, ...args: unknown[]): boolean },
  fn: (event: string | symbol, args: unknown[]) => void,
): void {
  const emit = emitter.emit;
  emitter.emit = function (this: unknown, event: string | symbol, ...args: unknown[]): boolean {
    fn(event, args);
    return emit.call(this, event, ...args);
  };
}
