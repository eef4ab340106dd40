/**
 * @module
 * `/invoke` and `/invoke/stream` once the body is validated: the user handler when there is one,
 * else the built-in loop; plus the response and event shapes shared with resume, and the mapping
 * of errors to statuses (502 for gateway and tool transport failures, 500 otherwise).
 */

import { LLMGatewayError, ToolUnreachable } from "../agent/errors.js";
import type { JsonRecord } from "../agent/json.js";
import { isPolicyDenied, isToolCallError, type ToolCallError } from "../agent/tool-errors.js";
import { initialMessages } from "./conversation.js";
import type { LoadedHandler } from "./handler-loader.js";
import type { EventSink, SseWriter } from "./sse.js";
import { NO_EVENTS } from "./sse.js";
import { type LoopResult, runToolLoop } from "./tool-loop.js";
import { toToolCallsMade } from "./trace.js";
import type { Invocation, Runtime } from "./types.js";
import { type HandlerOutcome, runUserHandler } from "./user-handler.js";

export interface JsonReply {
  status: number;
  body: JsonRecord;
}

/**
 * The synchronous invoke: always 200 unless something failed. A user handler that answers without
 * a promise (see `runUserHandler`) is answered without one too.
 */
export function invokeSync(rt: Runtime, inv: Invocation): JsonReply | Promise<JsonReply> {
  const started = performance.now();
  if (!rt.handler) return invokeLoop(rt, inv, started);
  const handler = rt.handler;
  const reply = (outcome: HandlerOutcome): JsonReply => {
    try {
      return { status: 200, body: handlerBody(rt, outcome, inv, elapsed(started)) };
    } catch (error) {
      return errorReply(rt, error, inv.requestId);
    }
  };
  let outcome: HandlerOutcome | Promise<HandlerOutcome>;
  try {
    outcome = runUserHandler(rt, handler, inv, NO_EVENTS);
  } catch (error) {
    return errorReply(rt, error, inv.requestId);
  }
  if (!(outcome instanceof Promise)) return reply(outcome);
  return outcome.then(reply, (error: unknown) => errorReply(rt, error, inv.requestId));
}

async function invokeLoop(rt: Runtime, inv: Invocation, started: number): Promise<JsonReply> {
  try {
    const result = await runToolLoop(rt, loopInput(rt, inv), NO_EVENTS);
    return { status: 200, body: loopBody(result, inv, elapsed(started)) };
  } catch (error) {
    return errorReply(rt, error, inv.requestId);
  }
}

/** The streaming invoke: events as they happen, then `done` (or `error`) and `[DONE]`. */
export async function invokeStream(
  rt: Runtime,
  inv: Invocation,
  writer: SseWriter,
  beforeEnd: () => Promise<void> = async () => {},
): Promise<void> {
  try {
    if (rt.handler) await streamHandler(rt, rt.handler, inv, writer);
    else finishLoopStream(await runToolLoop(rt, loopInput(rt, inv), writer), writer);
  } catch (error) {
    streamError(rt, error, writer);
  }
  await beforeEnd();
  writer.end();
}

export async function streamHandler(
  rt: Runtime,
  handler: LoadedHandler,
  inv: Invocation,
  sink: EventSink,
): Promise<void> {
  const outcome = await runUserHandler(rt, handler, inv, sink);
  const { result } = outcome;
  const response = result.response;
  if (!outcome.streamed && response !== "" && response !== null && response !== undefined) {
    sink.send({ type: "content", delta: typeof response === "string" ? response : JSON.stringify(response) });
  }
  for (const key of ["approval_required", "consent_required"] as const) {
    const detail = result[key];
    if (detail && typeof detail === "object") {
      sink.send({ type: key, tool: (detail as JsonRecord).tool, detail });
    }
  }
  sink.send({ type: "done", model: modelOf(rt, result), tool_calls_made: toToolCallsMade(outcome.calls) });
}

/** The closing events of a built-in loop run. Answer content was already streamed by the loop. */
export function finishLoopStream(result: LoopResult, sink: EventSink): void {
  const { pause } = result;
  if (pause?.kind === "approval") {
    sink.send({ type: "approval_required", tool: pause.functionName, detail: pause.detail });
  } else if (pause?.kind === "consent") {
    sink.send({ type: "consent_required", tool: pause.toolName, detail: pause.detail });
    sink.send({ type: "content", delta: pause.payload.response });
  }
  sink.send({ type: "done", model: result.model, tool_calls_made: result.toolCallsMade });
}

export function handlerBody(
  rt: Runtime,
  outcome: HandlerOutcome,
  inv: Invocation,
  durationMs: number,
): JsonRecord {
  const { result } = outcome;
  // A fixed-shape literal, then the handler's other keys: much cheaper than spreading first.
  const body: JsonRecord = {
    response: result.response,
    model: modelOf(rt, result),
    usage: result.usage ?? {},
    tool_calls_made: toToolCallsMade(outcome.calls),
    duration_ms: durationMs,
    request_id: inv.requestId,
    handler: "user",
  };
  for (const key in result) if (!(key in body)) body[key] = result[key];
  return body;
}

export function loopBody(result: LoopResult, inv: Invocation, durationMs: number): JsonRecord {
  const base = result.pause ? { ...result.pause.payload } : { response: result.response };
  return {
    ...base,
    model: result.model,
    usage: result.usage,
    tool_calls_made: result.toolCallsMade,
    duration_ms: durationMs,
    request_id: inv.requestId,
  };
}

function loopInput(rt: Runtime, inv: Invocation) {
  return {
    messages: initialMessages(rt.config.systemPrompt, inv.history, inv.message),
    tools: rt.config.toolDefinitions,
    routes: rt.config.toolRoutes,
    inv,
  };
}

function modelOf(rt: Runtime, result: JsonRecord): unknown {
  return result.model || rt.config.model;
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/**
 * 403 with `{error, code, tool, reason, rule?, ...}` for a denied tool call, 502 (same shape) for a
 * tool's other non-2xx answer, 502 for gateway and tool transport failures, 500 for everything
 * else; logged.
 */
export function errorReply(rt: Runtime, error: unknown, requestId: string, transportStatus = 502): JsonReply {
  if (isToolCallError(error)) {
    const body = toolErrorBody(error);
    rt.logger.error(isPolicyDenied(error) ? "tool_denied" : "tool_call_failed", body);
    return {
      status: isPolicyDenied(error) ? 403 : transportStatus,
      body: { ...body, request_id: requestId },
    };
  }
  if (error instanceof LLMGatewayError) {
    rt.logger.error(error.status ? "llm_gateway_error" : "llm_gateway_unreachable", { error: error.message });
    const body: JsonRecord = { error: error.message, request_id: requestId };
    if (error.detail !== "") body.detail = error.detail;
    return { status: transportStatus, body };
  }
  if (error instanceof ToolUnreachable) {
    rt.logger.error("tool_unreachable", { error: error.message });
    return { status: transportStatus, body: { error: error.message, request_id: requestId } };
  }
  const message = error instanceof Error ? error.message : String(error);
  rt.logger.error("unexpected_error", { error: message, request_id: requestId });
  return { status: 500, body: { error: message, request_id: requestId } };
}

/** An `error` event; a tool call's error also carries its fields (`code`, `tool`, `reason`, `rule`, ...). */
export function streamError(rt: Runtime, error: unknown, sink: EventSink, prefix = ""): void {
  const message = error instanceof Error ? error.message : String(error);
  rt.logger.error("stream_error", { error: message });
  const fields = isToolCallError(error) ? toolErrorBody(error) : {};
  delete fields.error;
  sink.send({ type: "error", message: `${prefix}${message}`, ...fields });
}

/**
 * The structured form of a tool call's error, built from its fields (it may come from another copy
 * of `runagents` the user's code imported).
 */
export function toolErrorBody(error: ToolCallError): JsonRecord {
  const body: JsonRecord = { error: error.message, code: error.code, tool: error.tool };
  if (error.reason) body.reason = error.reason;
  if (error.rule) body.rule = error.rule;
  if (error.method) body.method = error.method;
  if (error.url) body.url = error.url;
  body.status_code = error.status;
  return body;
}
