/**
 * @module
 * `POST /resume/{action_id}[/stream]`: load the run's checkpoint from governance and continue it.
 * A `user_handler` checkpoint re-invokes the handler with `request.resume`; otherwise the pending
 * tool calls are replayed byte for byte with `X-Action-ID` (to the tool's current URL: a checkpoint
 * holds no agent token), and the built-in loop continues. Every failure is answered (502, or an
 * `error` event): the connection is never dropped.
 */

import type { ResumeInfo } from "../agent/context.js";
import { isRecord, type JsonRecord } from "../agent/json.js";
import type { ChatMessage, OpenAITool } from "../agent/llm.js";
import { isToolCallError } from "../agent/tool-errors.js";
import type { ToolRoute } from "./env.js";
import type { PendingCall } from "./governance.js";
import type { LoadedHandler } from "./handler-loader.js";
import type { ClientAbort } from "./http-io.js";
import {
  errorReply,
  finishLoopStream,
  handlerBody,
  type JsonReply,
  loopBody,
  streamError,
  streamHandler,
} from "./invoke.js";
import type { EventSink } from "./sse.js";
import {
  checkpoint,
  executeCall,
  type LoopCallMade,
  type LoopResult,
  pauseOf,
  runToolLoop,
} from "./tool-loop.js";
import { pendingCallUrl } from "./tool-routing.js";
import type { Invocation, Runtime } from "./types.js";
import { runUserHandler } from "./user-handler.js";

export interface ResumeRequest {
  readonly actionId: string;
  readonly requestId: string;
  readonly runId: string;
  /** `X-End-User-Id`, else the body's `user_id`. */
  readonly userId: string | undefined;
  readonly abort: ClientAbort;
}

/** A validated resume, ready to run (or a JSON error to answer before any stream starts). */
export type PreparedResume =
  | { kind: "error"; reply: JsonReply }
  | { kind: "handler"; inv: Invocation; handler: LoadedHandler }
  | {
      kind: "loop";
      inv: Invocation;
      messages: ChatMessage[];
      pending: PendingCall[];
      tools: OpenAITool[];
      routes: Record<string, ToolRoute>;
    };

export async function prepareResume(rt: Runtime, req: ResumeRequest): Promise<PreparedResume> {
  const fail = (status: number, error: string): PreparedResume => ({
    kind: "error",
    reply: { status, body: { error, request_id: req.requestId } },
  });
  const saved = await rt.governance.fetchCheckpoint(req.runId, req.actionId);
  if (!saved) return fail(404, `checkpoint for action ${req.actionId} not found`);
  rt.logger.info("resume_start", {
    action_id: req.actionId,
    run_id: req.runId,
    mode: saved.resume_mode ?? "loop",
  });
  if (saved.resume_mode === "user_handler") {
    if (rt.handlerError) return fail(500, `user code failed to load: ${rt.handlerError}`);
    if (!rt.handler) return fail(409, "checkpoint needs a user handler, but this agent has none");
    const userRequest = isRecord(saved.user_request) ? saved.user_request : {};
    const state: JsonRecord = isRecord(saved.resume_state) ? { ...saved.resume_state } : {};
    const consent = state._runagents_resume_kind === "consent";
    delete state._runagents_resume_kind;
    const resume: ResumeInfo = consent
      ? { action_id: req.actionId, state, consented: true }
      : { action_id: req.actionId, state, approved: true };
    const savedUser = typeof userRequest.user_id === "string" ? userRequest.user_id : undefined;
    const inv: Invocation = {
      message: typeof userRequest.message === "string" ? userRequest.message : "",
      history: Array.isArray(userRequest.history) ? userRequest.history : [],
      requestId: req.requestId,
      runId: req.runId,
      userId: req.userId || savedUser || undefined,
      resume,
      abort: req.abort,
    };
    return { kind: "handler", inv, handler: rt.handler };
  }
  const messages = Array.isArray(saved.messages) ? (saved.messages as ChatMessage[]) : [];
  if (messages.length === 0) return fail(400, "no conversation context for resume");
  const inv: Invocation = {
    message: "",
    history: [],
    requestId: req.requestId,
    runId: req.runId,
    userId: req.userId,
    abort: req.abort,
  };
  return {
    kind: "loop",
    inv,
    messages,
    pending: Array.isArray(saved.pending_calls) ? (saved.pending_calls as PendingCall[]) : [],
    tools: Array.isArray(saved.tool_defs) ? (saved.tool_defs as OpenAITool[]) : rt.config.toolDefinitions,
    routes: isRecord(saved.tool_routes)
      ? (saved.tool_routes as Record<string, ToolRoute>)
      : rt.config.toolRoutes,
  };
}

/** Runs a prepared resume; for streams, `sink` receives the events (the caller ends the stream). */
export async function runResume(
  rt: Runtime,
  prepared: Exclude<PreparedResume, { kind: "error" }>,
  actionId: string,
  sink: EventSink,
): Promise<JsonReply | undefined> {
  const { inv } = prepared;
  const started = performance.now();
  try {
    if (prepared.kind === "handler") {
      if (sink.streaming) {
        await streamHandler(rt, prepared.handler, inv, sink);
        return undefined;
      }
      const outcome = await runUserHandler(rt, prepared.handler, inv, sink);
      return { status: 200, body: handlerBody(rt, outcome, inv, Math.round(performance.now() - started)) };
    }
    const replayed = await replayPending(rt, prepared, actionId, sink);
    if ("reply" in replayed) return replayed.reply;
    const result = await runToolLoop(rt, prepared, sink);
    const merged: LoopResult = { ...result, toolCallsMade: [...replayed.made, ...result.toolCallsMade] };
    rt.logger.info("resume_complete", { action_id: actionId });
    if (sink.streaming) {
      finishLoopStream(merged, sink);
      return undefined;
    }
    return { status: 200, body: loopBody(merged, inv, Math.round(performance.now() - started)) };
  } catch (error) {
    if (sink.streaming) {
      streamError(rt, error, sink);
      return undefined;
    }
    return errorReply(rt, error, inv.requestId, 502);
  }
}

type Replayed = { made: LoopCallMade[] } | { reply: JsonReply | undefined };

/** Replays the pending calls in order; a new pause or a failure ends the resume. */
async function replayPending(
  rt: Runtime,
  prepared: Extract<PreparedResume, { kind: "loop" }>,
  actionId: string,
  sink: EventSink,
): Promise<Replayed> {
  const { inv, messages, pending } = prepared;
  const made: LoopCallMade[] = [];
  for (const [index, call] of pending.entries()) {
    rt.logger.info("resume_retry_tool", { index, total: pending.length });
    const functionName = call.function_name;
    const toolName = call.tool_name || functionName;
    const method = (call.method || "POST").toUpperCase();
    sink.send({ type: "tool_call", tool: functionName, arguments: call.arguments });
    let result: string;
    let url = call.url;
    try {
      url = pendingCallUrl(call, rt.config.toolUrls);
      result = await executeCall(
        {
          id: call.tool_call_id,
          functionName,
          toolName,
          method,
          url,
          body: call.body ?? replayBody(method, call.arguments),
        },
        index,
        inv.abort.signal,
        { "X-Action-ID": actionId },
      );
    } catch (error) {
      const pause = pauseOf(error, { functionName, toolName });
      if (!pause && isToolCallError(error)) {
        if (!sink.streaming) return { reply: errorReply(rt, error, inv.requestId) };
        streamError(rt, error, sink, "Tool call failed: ");
        return { reply: undefined };
      }
      if (!pause) {
        rt.logger.warn("resume_tool_call_failed", {
          function: functionName,
          error: (error as Error).message,
        });
        const message = (error as Error).message ?? String(error);
        if (sink.streaming) {
          sink.send({ type: "error", message: `Tool call failed: ${message}` });
          return { reply: undefined };
        }
        return {
          reply: {
            status: 502,
            body: { error: `Tool call failed on resume: ${message}`, request_id: inv.requestId },
          },
        };
      }
      await checkpoint(rt, prepared, pause, pending.slice(index));
      const model = rt.config.model;
      if (sink.streaming) {
        finishLoopStream(
          { response: null, model, usage: {}, toolCallsMade: made, maxIterations: false, pause },
          sink,
        );
        return { reply: undefined };
      }
      const payload =
        pause.kind === "approval"
          ? { response: `Tool '${functionName}' requires another approval.`, approval_required: pause.detail }
          : pause.payload;
      return {
        reply: { status: 200, body: { ...payload, model, tool_calls_made: made, request_id: inv.requestId } },
      };
    }
    messages.push({ role: "tool", tool_call_id: call.tool_call_id, content: result });
    sink.send({ type: "tool_result", tool: functionName, result: result.slice(0, 1000) });
    made.push({ function: functionName, method, url });
  }
  return { made };
}

/** The body of a pending call stored without one (older checkpoints): the arguments, as the loop sends them. */
function replayBody(method: string, args: string): string | undefined {
  if (method !== "POST" && method !== "PUT" && method !== "PATCH") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(args || "{}");
  } catch {
    parsed = {};
  }
  if (!isRecord(parsed)) return args;
  if ("body" in parsed) return typeof parsed.body === "string" ? parsed.body : JSON.stringify(parsed.body);
  return JSON.stringify(parsed);
}
