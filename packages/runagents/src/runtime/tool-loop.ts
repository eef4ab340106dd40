/**
 * @module
 * The built-in tool loop (no user handler): call the model with the tool definitions, run the tool
 * calls it asks for, feed the results back, until it answers or `MAX_TOOL_ITERATIONS` model calls
 * were made. One loop serves `/invoke`, `/invoke/stream` and the resume continuation; streaming
 * only changes where events go (and asks the gateway to stream). Unlike the reference, the stream
 * variant also reports tool results, uses the same iteration-limit text and the same path rules.
 */

import { isApprovalRequired, isConsentRequired, resumeIdOf } from "../agent/errors.js";
import type { JsonRecord } from "../agent/json.js";
import type { ChatMessage, ChatToolCall, OpenAITool } from "../agent/llm.js";
import { requestTool } from "../agent/tool-http.js";
import { toolCacheKey } from "./conversation.js";
import type { ToolRoute } from "./env.js";
import type { PendingCall } from "./governance.js";
import { type AssistantTurn, completeTurn, streamTurn } from "./llm-stream.js";
import { approvalPayload, consentPayload } from "./pause.js";
import type { EventSink } from "./sse.js";
import { type ResolvedCall, resolveToolCall, toPendingCall, unresolvedPendingCall } from "./tool-routing.js";
import type { Invocation, Runtime } from "./types.js";

export const MAX_ITERATIONS_TEXT =
  "I reached the maximum number of tool call iterations. Here's what I have so far.";

/** A built-in loop tool call as listed in `tool_calls_made`. */
export interface LoopCallMade {
  function: string;
  method: string;
  url: string;
}

export interface LoopPause {
  readonly kind: "approval" | "consent";
  readonly functionName: string;
  readonly toolName: string;
  readonly detail: JsonRecord;
  /** The response fields (`response`, `approval_required` or the consent payload). */
  readonly payload: JsonRecord;
}

export interface LoopResult {
  readonly response: string | null;
  readonly model: string;
  readonly usage: JsonRecord;
  readonly toolCallsMade: LoopCallMade[];
  readonly maxIterations: boolean;
  readonly pause?: LoopPause;
}

export interface LoopInput {
  /** The conversation so far; the loop appends to it. */
  readonly messages: ChatMessage[];
  readonly tools: readonly OpenAITool[];
  readonly routes: Readonly<Record<string, ToolRoute>>;
  readonly inv: Invocation;
}

export async function runToolLoop(rt: Runtime, input: LoopInput, sink: EventSink): Promise<LoopResult> {
  const { config } = rt;
  const { messages, tools, inv } = input;
  if (tools.length === 0) {
    const turn = await callModel(rt, messages, tools, inv, sink);
    const usage: JsonRecord = turn.usage ?? {};
    return answer(turn, turn.model || config.model, usage, []);
  }
  const usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  const made: LoopCallMade[] = [];
  let model = config.model;
  for (let iteration = 0; iteration < config.maxToolIterations; iteration++) {
    const turn = await callModel(rt, messages, tools, inv, sink);
    usage.prompt_tokens += turn.usage?.prompt_tokens ?? 0;
    usage.completion_tokens += turn.usage?.completion_tokens ?? 0;
    usage.total_tokens += turn.usage?.total_tokens ?? 0;
    model = turn.model || config.model;
    const calls = turn.message.tool_calls ?? [];
    if (calls.length === 0) return answer(turn, model, usage, made);
    messages.push(turn.message);
    for (const [index, toolCall] of calls.entries()) {
      const call = resolveToolCall(toolCall, input.routes, config.toolUrls);
      sink.send({ type: "tool_call", tool: call.functionName, arguments: call.args });
      rt.logger.info("tool_call", {
        function: call.functionName,
        method: call.method,
        url: call.url,
        iteration,
      });
      let result: string;
      const cached = inv.toolCache?.get(toolCacheKey(call.functionName, call.args));
      if (cached !== undefined) {
        result = cached;
        rt.logger.info("tool_cache_hit", { function: call.functionName });
      } else {
        try {
          result = await executeCall(call, iteration, inv.abort.signal);
        } catch (error) {
          const pause = pauseOf(error, call);
          if (!pause) throw error;
          const pending = calls.slice(index).map((c) => pendingOf(c, input, config.toolUrls));
          await checkpoint(rt, input, pause, pending);
          return { response: null, model, usage, toolCallsMade: made, maxIterations: false, pause };
        }
      }
      made.push({ function: call.functionName, method: call.method, url: call.url });
      rt.governance.reportToolResult(inv.runId, {
        tool_call_id: call.id,
        function_name: call.functionName,
        arguments: call.args,
        result,
        tool_id: call.toolName,
        turn: iteration,
      });
      sink.send({ type: "tool_result", tool: call.functionName, result: result.slice(0, 1000) });
      messages.push({ role: "tool", tool_call_id: call.id, content: result });
    }
  }
  rt.logger.warn("max_tool_iterations_reached", { iterations: config.maxToolIterations });
  sink.send({ type: "content", delta: MAX_ITERATIONS_TEXT });
  return { response: MAX_ITERATIONS_TEXT, model, usage, toolCallsMade: made, maxIterations: true };
}

function answer(turn: AssistantTurn, model: string, usage: JsonRecord, made: LoopCallMade[]): LoopResult {
  const content = turn.message.content;
  return {
    response: typeof content === "string" ? content : null,
    model,
    usage,
    toolCallsMade: made,
    maxIterations: false,
  };
}

function callModel(
  rt: Runtime,
  messages: ChatMessage[],
  tools: readonly OpenAITool[],
  inv: Invocation,
  sink: EventSink,
): Promise<AssistantTurn> {
  const request = {
    url: rt.config.llmUrl,
    model: rt.config.model,
    messages,
    tools,
    headers: { "X-Request-Id": inv.requestId },
    signal: inv.abort.signal,
  };
  if (!sink.streaming) return completeTurn(request);
  return streamTurn(request, (delta) => sink.send({ type: "content", delta }));
}

/** Runs one resolved call with its trace headers (`X-Tool-Turn` = `turn`). */
export function executeCall(
  call: Pick<ResolvedCall, "id" | "functionName" | "toolName" | "method" | "url" | "body">,
  turn: number,
  signal: AbortSignal,
  extraHeaders: Record<string, string> = {},
): Promise<string> {
  return requestTool({
    method: call.method,
    url: call.url,
    body: call.body,
    toolName: call.toolName,
    functionName: call.functionName,
    signal,
    headers: {
      "X-Tool-Call-Id": call.id,
      "X-Tool-Name": call.toolName,
      "X-Tool-Function": call.functionName,
      "X-Tool-Turn": String(turn),
      ...extraHeaders,
    },
  });
}

/** The pause for an interrupt raised by `call`, else `undefined`. */
export function pauseOf(
  error: unknown,
  call: { functionName: string; toolName: string },
): LoopPause | undefined {
  if (isApprovalRequired(error)) {
    const detail = { ...error.detail, tool: error.detail.tool || call.toolName };
    return { kind: "approval", ...call, detail, payload: approvalPayload(call.toolName, detail) };
  }
  if (isConsentRequired(error)) {
    return {
      kind: "consent",
      ...call,
      detail: error.detail,
      payload: consentPayload(call.toolName, error.detail),
    };
  }
  return undefined;
}

function pendingOf(
  call: ChatToolCall,
  input: LoopInput,
  toolUrls: Readonly<Record<string, string>>,
): PendingCall {
  try {
    return toPendingCall(resolveToolCall(call, input.routes, toolUrls));
  } catch {
    return unresolvedPendingCall(call);
  }
}

/** Stores the checkpoint of a built-in loop pause, keyed by the action id or the consent resume id. */
export async function checkpoint(
  rt: Runtime,
  input: Pick<LoopInput, "messages" | "tools" | "routes" | "inv">,
  pause: LoopPause,
  pending: PendingCall[],
): Promise<void> {
  const { config } = rt;
  const key =
    pause.kind === "approval"
      ? typeof pause.detail.action_id === "string"
        ? pause.detail.action_id
        : ""
      : (resumeIdOf(pause.detail) ?? "");
  rt.logger.info(pause.kind === "approval" ? "approval_required" : "consent_required", {
    function: pause.functionName,
    action_id: key,
  });
  await rt.governance.storeCheckpoint(input.inv.runId, {
    action_id: key,
    messages: input.messages,
    pending_calls: pending,
    tool_defs: [...input.tools],
    tool_routes: { ...input.routes },
    model: config.model,
    system_prompt: config.systemPrompt,
    llm_gateway_url: config.llmGatewayUrl,
  });
}
