/**
 * @module
 * One assistant turn from the gateway. Streaming callers ask for `stream: true` and get every content
 * delta as it arrives (tool-call deltas are assembled); a gateway that answers with plain JSON
 * instead still works (one delta with the whole text).
 */

import { LLMGatewayError } from "../agent/errors.js";
import { isRecord } from "../agent/json.js";
import {
  type ChatMessage,
  type ChatRequest,
  type ChatToolCall,
  type ChatUsage,
  openChat,
  parseCompletion,
  postChat,
} from "../agent/llm.js";
import { parseSseStream } from "../internal/sse.js";

export interface AssistantTurn {
  message: ChatMessage;
  model: string | undefined;
  usage: ChatUsage | undefined;
}

/** A non-streamed turn. */
export async function completeTurn(request: ChatRequest): Promise<AssistantTurn> {
  const completion = await postChat(request);
  const message = completion.choices[0]?.message ?? { role: "assistant", content: null };
  return { message, model: completion.model, usage: completion.usage };
}

/** A streamed turn: `onDelta` gets each piece of content as the gateway sends it. */
export async function streamTurn(
  request: ChatRequest,
  onDelta: (text: string) => void,
): Promise<AssistantTurn> {
  const response = await openChat({ ...request, stream: true });
  if (!(response.headers.get("content-type") ?? "").includes("text/event-stream") || !response.body) {
    const completion = parseCompletion(await response.text());
    const message = completion.choices[0]?.message ?? { role: "assistant", content: null };
    if (typeof message.content === "string" && message.content !== "") onDelta(message.content);
    return { message, model: completion.model, usage: completion.usage };
  }
  let content = "";
  let model: string | undefined;
  let usage: ChatUsage | undefined;
  const calls: ChatToolCall[] = [];
  try {
    for await (const event of parseSseStream(response.body)) {
      if (event.data === "[DONE]") break;
      let chunk: unknown;
      try {
        chunk = JSON.parse(event.data);
      } catch {
        continue;
      }
      if (!isRecord(chunk)) continue;
      if (chunk.error !== undefined) {
        const error = isRecord(chunk.error) ? chunk.error.message : chunk.error;
        throw new LLMGatewayError(`LLM Gateway stream error: ${String(error)}`, { detail: event.data });
      }
      if (typeof chunk.model === "string" && chunk.model !== "") model = chunk.model;
      if (isRecord(chunk.usage)) usage = chunk.usage as ChatUsage;
      const choice: unknown = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
      const delta = isRecord(choice) && isRecord(choice.delta) ? choice.delta : undefined;
      if (!delta) continue;
      if (typeof delta.content === "string" && delta.content !== "") {
        content += delta.content;
        onDelta(delta.content);
      }
      if (Array.isArray(delta.tool_calls)) for (const part of delta.tool_calls) mergeToolCall(calls, part);
    }
  } catch (error) {
    if (error instanceof LLMGatewayError) throw error;
    throw new LLMGatewayError(`LLM Gateway stream interrupted: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const toolCalls = calls.filter((call) => call !== undefined);
  const message: ChatMessage = {
    role: "assistant",
    content: content === "" && toolCalls.length > 0 ? null : content,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  return { message, model, usage };
}

/** Folds one streamed tool-call fragment (`{index, id?, function: {name?, arguments?}}`) into `calls`. */
function mergeToolCall(calls: ChatToolCall[], part: unknown): void {
  if (!isRecord(part)) return;
  const index = typeof part.index === "number" ? part.index : calls.length;
  let call = calls[index];
  if (!call) {
    call = { id: "", type: "function", function: { name: "", arguments: "" } };
    calls[index] = call;
  }
  if (typeof part.id === "string" && part.id !== "") call.id = part.id;
  const fn = isRecord(part.function) ? part.function : {};
  if (typeof fn.name === "string" && fn.name !== "" && call.function.name === "")
    call.function.name = fn.name;
  if (typeof fn.arguments === "string") call.function.arguments += fn.arguments;
}
