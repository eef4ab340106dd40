/**
 * @module observability/tracing
 * OpenTelemetry traces, configured by the standard environment: on when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set and neither
 * `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none`; `OTEL_SERVICE_NAME` (default
 * `runagents-platform`), `OTEL_TRACES_SAMPLER[_ARG]` and the exporter's own variables apply as
 * the SDK reads them. Spans go out over OTLP/HTTP (JSON).
 *
 * Off, nothing is loaded: the SDK is imported only when tracing starts, and {@link tracingOn}
 * guards the hot paths. On, the provider is process-wide (the SDK's global), so every platform
 * in one process shares it.
 *
 * The spans: one SERVER span per platform request (`http.route` is the pattern, never the URL,
 * which may carry an agent token), which the routes that matter rename and describe with the
 * GenAI conventions — the invoke (`invoke_agent <agent>`), an LLM call through the gateway
 * (`chat <model>`), a governed tool call through the egress (`execute_tool <tool>`) — and a
 * CLIENT span for each resume after an approval, parented to the run's invoke. Attributes never
 * carry a secret, a token or a payload (the egress adds the payload hash only).
 */
import type { IncomingMessage } from "node:http";
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";

export interface TracingHandle {
  /** Exports what has ended so far. */
  flush(): Promise<void>;
}

const TRACER = "runagents-platform";
let started: Promise<TracingHandle | undefined> | undefined;
let on = false;

/** Whether the environment asks for traces (see the module comment). */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if ((env.OTEL_SDK_DISABLED ?? "").toLowerCase() === "true") return false;
  if ((env.OTEL_TRACES_EXPORTER ?? "").toLowerCase() === "none") return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** True once the SDK is running: the hot paths' one check. */
export const tracingOn = (): boolean => on;

/** Starts the SDK once per process when the environment asks for it; undefined when off. */
export function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<TracingHandle | undefined> {
  if (!tracingRequested(env)) return started ?? Promise.resolve(undefined);
  started ??= (async () => {
    const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] =
      await Promise.all([
        import("@opentelemetry/sdk-trace-node"),
        import("@opentelemetry/exporter-trace-otlp-http"),
        import("@opentelemetry/resources"),
      ]);
    const provider = new NodeTracerProvider({
      resource: resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME || TRACER }),
      spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
    });
    provider.register();
    on = true;
    return { flush: () => provider.forceFlush() };
  })();
  return started;
}

const tracer = () => trace.getTracer(TRACER);

/**
 * Runs one platform request in a SERVER span whose parent is the caller's `traceparent`; `route`
 * is read when the request ends (the pattern is known only once it is matched).
 */
export function traceRequest<T>(
  req: IncomingMessage,
  describe: () => { route: string; status: number },
  serve: () => Promise<T>,
): Promise<T> {
  const method = (req.method ?? "GET").toUpperCase();
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = tracer().startSpan(
    method,
    { kind: SpanKind.SERVER, attributes: { "http.request.method": method } },
    parent,
  );
  return context.with(trace.setSpan(parent, span), serve).finally(() => {
    const { route, status } = describe();
    if (span.isRecording()) {
      // A route may have named the span after what it did (`execute_tool <tool>`).
      if (!named.has(span)) span.updateName(`${method} ${route}`);
      span.setAttributes({ "http.route": route, "http.response.status_code": status });
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  });
}

const named = new WeakSet<Span>();

/** Names the current request's span after what it did and adds `attributes`; no-op when off. */
export function describeRequestSpan(name: string, attributes: Attributes): void {
  if (!on) return;
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.updateName(name);
  named.add(span);
  span.setAttributes(attributes);
}

/** Adds attributes to the current request's span; no-op when off. */
export function annotateRequestSpan(attributes: Attributes): void {
  if (!on) return;
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** Records `name` as an event of the current request's span; no-op when off. */
export function requestSpanEvent(name: string, attributes: Attributes = {}): void {
  if (!on) return;
  trace.getActiveSpan()?.addEvent(name, attributes);
}

/** The active context's `traceparent` / `tracestate` written into `headers` (no-op when off). */
export function injectTraceHeaders(headers: Record<string, unknown>): void {
  if (!on) return;
  propagation.inject(context.active(), headers);
}

/** Where each run's invoke span is, so its resume joins the run's trace (this process only). */
const runSpans = new Map<string, SpanContext>();
const MAX_RUN_SPANS = 10_000;

/** Remembers the current span as the run's invoke. */
export function rememberRunSpan(runId: string): void {
  if (!on) return;
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  if (runSpans.size >= MAX_RUN_SPANS) {
    const oldest = runSpans.keys().next();
    if (!oldest.done) runSpans.delete(oldest.value);
  }
  runSpans.set(runId, span.spanContext());
}

/**
 * Runs the platform's call resuming a run in a CLIENT span that is a child of the run's invoke
 * (linked to it too), or a new trace when that is unknown (another process invoked it).
 */
export async function traceResume<T>(
  run: { id: string; agentId: string; userId: string },
  actionId: string,
  headers: Record<string, string>,
  call: () => Promise<T>,
): Promise<T> {
  if (!on) return call();
  const original = runSpans.get(run.id);
  const parent: Context = original ? trace.setSpanContext(ROOT_CONTEXT, original) : ROOT_CONTEXT;
  const span = tracer().startSpan(
    `resume_agent ${run.agentId}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": run.agentId,
        "runagents.run.id": run.id,
        "runagents.agent": run.agentId,
        "runagents.user.id": run.userId,
        "runagents.action.id": actionId,
      },
      ...(original ? { links: [{ context: original }] } : {}),
    },
    parent,
  );
  const active = trace.setSpan(parent, span);
  propagation.inject(active, headers);
  try {
    return await context.with(active, call);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** `trace_id` / `span_id` of the active span for a log line; empty when off or none. */
export function logTraceFields(): { trace_id?: string; span_id?: string } {
  if (!on) return {};
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
