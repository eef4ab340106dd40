/**
 * @module
 * W3C Trace Context through the runtime. The `traceparent` / `tracestate` an invoke or resume
 * arrives with is kept for the request (`AsyncLocalStorage`) and sent on its outbound calls to
 * tools, the gateway and governance (`identityHeaders`), so the platform's egress and gateway
 * spans join the caller's trace. This needs no dependency.
 *
 * When `@opentelemetry/api` is installed beside the agent (an optional peer) and an SDK is
 * registered, the runtime also records a server span per invoke/resume (`invoke_agent <name>`,
 * child of the incoming context) and forwards that span as the parent instead; the handler runs
 * in its context, so the agent's own spans nest under it. Without an SDK the API is a no-op and
 * the incoming header is forwarded as is.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface TraceHeaders {
  readonly traceparent: string;
  readonly tracestate: string | undefined;
}

/** The stored form: the headers, and the ids a log line carries (parsed once per request). */
interface TraceState extends TraceHeaders {
  readonly logFields: { trace_id?: string; span_id?: string };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const storage = new AsyncLocalStorage<TraceState>();

/** The trace headers of the request being served, if it came with a valid `traceparent`. */
export function currentTraceHeaders(): TraceHeaders | undefined {
  return storage.getStore();
}

/** `trace_id` / `span_id` of the request's trace context for a log line; empty outside one. */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  return storage.getStore()?.logFields ?? NO_FIELDS;
}

function traceState(traceparent: string, tracestate: string | undefined): TraceState {
  const parsed = parseTraceparent(traceparent);
  const logFields = parsed ? { trace_id: parsed.traceId, span_id: parsed.spanId } : NO_FIELDS;
  return { traceparent, tracestate, logFields };
}

const NO_FIELDS: { trace_id?: string; span_id?: string } = Object.freeze({});

/** `traceparent` parsed; undefined unless version 00 with non-zero ids. */
export function parseTraceparent(
  value: string | undefined,
): { traceId: string; spanId: string; flags: number } | undefined {
  const match = TRACEPARENT.exec(value?.trim().toLowerCase() ?? "");
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** The subset of `@opentelemetry/api` used here (it is never a build-time dependency). */
interface OtelSpan {
  spanContext(): { traceId: string; spanId: string; traceFlags: number };
  isRecording(): boolean;
  setAttribute(key: string, value: string | number): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}
interface OtelApi {
  ROOT_CONTEXT: unknown;
  ProxyTracerProvider?: new () => { getDelegate(): unknown };
  SpanKind: { SERVER: number };
  SpanStatusCode: { ERROR: number };
  trace: {
    getTracer(name: string): {
      startSpan(name: string, options: Record<string, unknown>, context: unknown): OtelSpan;
    };
    setSpanContext(context: unknown, spanContext: Record<string, unknown>): unknown;
    setSpan(context: unknown, span: OtelSpan): unknown;
    getTracerProvider(): { getDelegate?(): unknown };
  };
  context: { with<T>(context: unknown, fn: () => T): T };
}

let otel: Promise<OtelApi | undefined> | undefined;
/** The API once loaded (`null`: not installed); `undefined` until {@link loadOtel} settles. */
let loaded: OtelApi | null | undefined;
/** The API's no-op tracer provider: while the global provider delegates to it, no SDK is registered. */
let noopProvider: unknown;
const OTEL_API = "@opentelemetry/api";

/**
 * Loads `@opentelemetry/api` if it is installed. `serve()` awaits this once before listening, so
 * requests find the outcome without awaiting anything.
 */
export function loadOtel(): Promise<OtelApi | undefined> {
  otel ??= import(OTEL_API).then(
    (api: OtelApi) => {
      loaded = api;
      noopProvider = api.ProxyTracerProvider ? new api.ProxyTracerProvider().getDelegate() : undefined;
      return api;
    },
    () => {
      loaded = null;
      return undefined;
    },
  );
  return otel;
}

/** The API when an SDK is registered (a recording tracer provider); else undefined, at no cost. */
function registeredOtel(): OtelApi | undefined {
  if (!loaded) return undefined;
  if (noopProvider === undefined) return loaded;
  const provider = loaded.trace.getTracerProvider();
  return provider === noopProvider || provider.getDelegate?.() === noopProvider ? undefined : loaded;
}

/**
 * Whether {@link withIncomingTrace} would just call `serve`: no `traceparent` to keep and no span
 * to record, so the request is served in the async context its events run in.
 */
export function servedUntraced(req: IncomingMessage): boolean {
  return req.headers.traceparent === undefined && loaded !== undefined && registeredOtel() === undefined;
}

/**
 * Runs `serve` with the request's trace context (see the module comment); `name` and
 * `attributes` describe the span when one is recorded.
 */
export function withIncomingTrace(
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  attributes: () => Record<string, string>,
  serve: () => Promise<void>,
): Promise<void> {
  const header = req.headers.traceparent;
  if (loaded === undefined) {
    // Only before serve() awaited loadOtel (a caller using this module on its own).
    return loadOtel().then(() => withIncomingTrace(req, res, name, attributes, serve));
  }
  const api = registeredOtel();
  if (!api) {
    if (header === undefined) return serve();
    const incoming = parseTraceparent(typeof header === "string" ? header : undefined);
    if (!incoming) return serve();
    const state: TraceState = {
      traceparent: header as string,
      tracestate: tracestateOf(req),
      logFields: { trace_id: incoming.traceId, span_id: incoming.spanId },
    };
    return storage.run(state, serve);
  }
  return recordSpan(api, req, res, name, attributes(), serve);
}

function tracestateOf(req: IncomingMessage): string | undefined {
  const state = req.headers.tracestate;
  return typeof state === "string" && state.length <= 512 ? state : undefined;
}

async function recordSpan(
  api: OtelApi,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  attributes: Record<string, string>,
  serve: () => Promise<void>,
): Promise<void> {
  const header = req.headers.traceparent;
  const incoming = parseTraceparent(typeof header === "string" ? header : undefined);
  const tracestate = tracestateOf(req);
  const parent = incoming
    ? api.trace.setSpanContext(api.ROOT_CONTEXT, {
        traceId: incoming.traceId,
        spanId: incoming.spanId,
        traceFlags: incoming.flags,
        isRemote: true,
      })
    : api.ROOT_CONTEXT;
  const span = api.trace
    .getTracer("runagents-runtime")
    .startSpan(name, { kind: api.SpanKind.SERVER, attributes }, parent);
  if (!span.isRecording()) {
    if (!incoming) return serve();
    return storage.run(traceState(header as string, tracestate), serve);
  }
  const own = span.spanContext();
  const flags = own.traceFlags.toString(16).padStart(2, "0");
  const headers = traceState(`00-${own.traceId}-${own.spanId}-${flags}`, tracestate);
  try {
    await storage.run(headers, () => api.context.with(api.trace.setSpan(parent, span), serve));
  } finally {
    span.setAttribute("http.response.status_code", res.statusCode);
    if (res.statusCode >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
    span.end();
  }
}
