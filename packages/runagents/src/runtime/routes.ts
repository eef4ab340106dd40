/**
 * @module
 * The runtime's endpoints: health, readiness, invoke (JSON and SSE), resume, and the AWS Bedrock
 * AgentCore container contract (`POST /invocations`, `GET /ping`).
 */

import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isRecord, type JsonRecord } from "../agent/json.js";
import { describeNetworkError } from "../agent/tool-http.js";
import { type RequestState, runInRequest } from "./context.js";
import { toolCacheKey } from "./conversation.js";
import { type BodyResult, ClientAbort, header, readJsonBody, readJsonObject, sendJson } from "./http-io.js";
import { invokeStream, invokeSync, type JsonReply } from "./invoke.js";
import { prepareResume, runResume } from "./resume.js";
import { NO_EVENTS, SseWriter } from "./sse.js";
import type { Invocation, Runtime } from "./types.js";

export function health(rt: Runtime, res: ServerResponse): void {
  const body: JsonRecord = {
    status: "ok",
    agent: rt.config.agentName,
    model: rt.config.model,
    tools: rt.config.toolDefinitions.length,
    user_code: rt.handler !== undefined,
  };
  if (rt.handlerError) body.user_code_error = rt.handlerError;
  sendJson(res, 200, body);
}

/**
 * `GET /readyz`: user code loaded and the gateway's `/healthz` answers 2xx within 5 s. The probe URL
 * is the gateway URL cut before its last `/v1` segment (`http://gw/v1/p/openai` → `http://gw/healthz`).
 */
export async function ready(rt: Runtime, res: ServerResponse, fetchFn: typeof fetch): Promise<void> {
  if (rt.handlerError) {
    sendJson(res, 503, { status: "not ready", user_code: false, error: rt.handlerError });
    return;
  }
  const url = `${rt.config.llmGatewayUrl.replace(/\/+$/, "")}/`;
  const cut = url.lastIndexOf("/v1/");
  const probe = `${(cut === -1 ? url : url.slice(0, cut)).replace(/\/+$/, "")}/healthz`;
  try {
    const response = await fetchFn(probe, { signal: AbortSignal.timeout(5000) });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    sendJson(res, 200, { status: "ready", llm_gateway: "reachable" });
  } catch (error) {
    sendJson(res, 503, { status: "not ready", llm_gateway: describeNetworkError(error) });
  }
}

export type InvokeFlavour = "invoke" | "stream" | "agentcore";

/** Resolves once the invoke is answered (and logged). */
export function invoke(
  rt: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  flavour: InvokeFlavour,
): Promise<void> {
  const requestId = header(req, "x-request-id") ?? randomUUID();
  // Two promises when the handler answers synchronously (see `answerInvoke`); a continuation of
  // the body's promise, not an event callback, so that it runs in the caller's async context.
  return readJsonObject(req).then((body) => answerInvoke(rt, req, res, flavour, requestId, body));
}

/** How {@link invokeNow} reports that an invoke ended: answered, or failed with `error`. */
export interface InvokeEnd {
  answered(res: ServerResponse): void;
  failed(res: ServerResponse, error: unknown): void;
}

/**
 * {@link invoke} without a promise when the handler answers synchronously: the answer is written
 * from the body's `end` event. Only for a request served in the async context its events run in
 * (no trace context or span entered for it): an event callback does not run in the caller's
 * context, a promise's continuation does.
 */
export function invokeNow(
  rt: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  flavour: InvokeFlavour,
  end: InvokeEnd,
): void {
  const requestId = header(req, "x-request-id") ?? randomUUID();
  readJsonBody(req, false, (body) => {
    let pending: Promise<void> | undefined;
    try {
      pending = answerInvoke(rt, req, res, flavour, requestId, body);
    } catch (error) {
      end.failed(res, error);
      return;
    }
    if (pending === undefined) end.answered(res);
    else
      pending.then(
        () => end.answered(res),
        (error: unknown) => end.failed(res, error),
      );
  });
}

/** Answers an invoke once its body is read; a promise only when the answer is asynchronous. */
function answerInvoke(
  rt: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  flavour: InvokeFlavour,
  requestId: string,
  body: BodyResult,
): Promise<void> | undefined {
  if (!body.ok) {
    sendJson(res, body.status, { error: body.error });
    return;
  }
  const parsed = parseInvocation(body.value, req, requestId, new ClientAbort(res), flavour === "agentcore");
  if (typeof parsed === "string") {
    sendJson(res, 400, { error: parsed });
    return;
  }
  if (rt.handlerError) {
    sendJson(res, 500, { error: `user code failed to load: ${rt.handlerError}`, request_id: requestId });
    return;
  }
  if (flavour === "stream" || (flavour === "agentcore" && wantsStream(req)))
    return answerStream(rt, res, parsed);
  // A user handler runs in a request context of its own (with its trace session).
  const reply = rt.handler
    ? invokeSync(rt, parsed)
    : runInRequest(requestState(rt, parsed), () => invokeSync(rt, parsed));
  if (reply instanceof Promise || parsed.runId !== undefined) return answerLater(rt, res, parsed, reply);
  sendJson(res, reply.status, reply.body);
  invokeComplete(rt, requestId);
  return undefined;
}

/**
 * The run's tool reports are answered before the invoke is: the platform records the outcome when
 * it gets the answer, and every tool event of a run precedes its outcome.
 */
async function answerLater(
  rt: Runtime,
  res: ServerResponse,
  inv: Invocation,
  pending: JsonReply | Promise<JsonReply>,
): Promise<void> {
  const reply = await pending;
  if (inv.runId !== undefined) await rt.governance.flush(inv.runId);
  sendJson(res, reply.status, reply.body);
  invokeComplete(rt, inv.requestId);
}

async function answerStream(rt: Runtime, res: ServerResponse, inv: Invocation): Promise<void> {
  const stream = () =>
    invokeStream(rt, inv, new SseWriter(res, inv.requestId), () => rt.governance.flush(inv.runId));
  await (rt.handler ? stream() : runInRequest(requestState(rt, inv), stream));
  invokeComplete(rt, inv.requestId);
}

function invokeComplete(rt: Runtime, requestId: string): void {
  rt.logger.info("invoke_complete", { request_id: requestId, handler: rt.handler ? "user" : "builtin" });
}

export async function resume(
  rt: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
): Promise<void> {
  const streaming = rest.endsWith("/stream");
  const actionId = safeDecode(streaming ? rest.slice(0, -"/stream".length) : rest);
  const requestId = header(req, "x-request-id") ?? randomUUID();
  const body = (await readJsonObject(req, true)) as { ok: true; value: JsonRecord };
  const runId = header(req, "x-run-id") ?? stringField(body.value, "run_id");
  if (!runId)
    return sendJson(res, 400, {
      error: "X-Run-ID header or run_id in body is required",
      request_id: requestId,
    });
  const abort = new ClientAbort(res);
  const userId = header(req, "x-end-user-id") ?? stringField(body.value, "user_id");
  const base = { requestId, runId, userId, actionId: undefined, policy: rt.policy, trace: undefined };
  await runInRequest(base, async () => {
    let prepared: Awaited<ReturnType<typeof prepareResume>>;
    try {
      prepared = await prepareResume(rt, { actionId, requestId, runId, userId, abort });
    } catch (error) {
      return sendJson(res, 502, {
        error: `resume failed: ${(error as Error).message}`,
        request_id: requestId,
      });
    }
    if (prepared.kind === "error") return sendJson(res, prepared.reply.status, prepared.reply.body);
    const state = {
      ...base,
      userId: prepared.inv.userId,
      actionId: prepared.kind === "handler" ? actionId : undefined,
    };
    await runInRequest(state, async () => {
      if (!streaming) {
        const reply = await runResume(rt, prepared, actionId, NO_EVENTS);
        await rt.governance.flush(runId);
        if (reply) sendJson(res, reply.status, reply.body);
        return;
      }
      const writer = new SseWriter(res, requestId);
      await runResume(rt, prepared, actionId, writer);
      await rt.governance.flush(runId);
      writer.end();
    });
  });
}

function parseInvocation(
  body: JsonRecord,
  req: IncomingMessage,
  requestId: string,
  abort: ClientAbort,
  agentcore: boolean,
): Invocation | string {
  let message: unknown = body.message;
  let history: unknown = body.history;
  if (agentcore && !message) {
    message = body.prompt || (typeof body.input === "string" ? body.input : undefined);
    if (!message && Array.isArray(body.messages) && body.messages.length > 0) {
      const last: unknown = body.messages.at(-1);
      message = isRecord(last) ? last.content : undefined;
      history ??= body.messages.slice(0, -1);
    }
  }
  if (!message) return "message is required";
  if (typeof message !== "string") return "message must be a string";
  if (history !== undefined && history !== null && !Array.isArray(history)) return "history must be an array";
  return {
    message,
    history: Array.isArray(history) ? history : [],
    requestId,
    runId: header(req, "x-run-id") ?? stringField(body, "run_id"),
    userId: header(req, "x-end-user-id"),
    toolCache: toolCache(body.tool_cache),
    abort,
  };
}

/** `tool_cache: [{function_name, arguments, result}]`; later duplicates win; empty means none. */
function toolCache(raw: unknown): Map<string, string> | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const cache = new Map<string, string>();
  for (const entry of raw) {
    if (!isRecord(entry) || typeof entry.function_name !== "string") continue;
    const args =
      typeof entry.arguments === "string" ? entry.arguments : JSON.stringify(entry.arguments ?? {});
    const result = typeof entry.result === "string" ? entry.result : JSON.stringify(entry.result ?? "");
    cache.set(toolCacheKey(entry.function_name, args), result);
  }
  return cache;
}

/** The request context of a built-in loop run (a user handler's is made by `runUserHandler`). */
function requestState(rt: Runtime, inv: Invocation): RequestState {
  return {
    requestId: inv.requestId,
    runId: inv.runId,
    userId: inv.userId,
    actionId: undefined,
    policy: rt.policy,
    trace: undefined,
  };
}

function stringField(body: JsonRecord, key: string): string | undefined {
  const value = body[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function wantsStream(req: IncomingMessage): boolean {
  return (header(req, "accept") ?? "").includes("text/event-stream");
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
