/**
 * @module gateway/providers/anthropic
 * The Anthropic Messages API (`POST <endpoint>/v1/messages`, `anthropic-version: 2023-06-01`,
 * the key in `x-api-key`, or in the header `spec.auth.apiKeyConfig.name` names when that is not
 * `Authorization`). Translation rules are in `anthropic-format.ts`. Streams map
 * `message_start` → a role chunk, `content_block_start` (tool_use) → a tool-call chunk with id
 * and name, `text_delta` → content, `input_json_delta` → tool-call arguments, `message_delta` →
 * the finish reason and output tokens, `message_stop` → the finish chunk and a usage chunk;
 * an `error` event fails the stream. Health: `GET <endpoint>/v1/models`, any answer < 500.
 */
import { isObject } from "../../validate.js";
import { failFrom, parseJsonAnswer, probeHttp, providerMessage, readSseData } from "../answers.js";
import { applyApiKey, joinEndpoint } from "../provider-keys.js";
import {
  type ChatChunk,
  type ChunkChoice,
  nowSeconds,
  type ProviderAdapter,
  ProviderError,
  type ProviderTarget,
  type Usage,
} from "../types.js";
import { requestText, sendUpstream } from "../upstream.js";
import { finishReason, fromAnthropicMessage, toAnthropicRequest, toUsage } from "./anthropic-format.js";

export const ANTHROPIC_VERSION = "2023-06-01";

function urlFor(target: ProviderTarget, path: string): { url: URL; headers: Record<string, string> } {
  const url = joinEndpoint(target.endpoint, path, "/v1");
  const headers: Record<string, string> = {
    "anthropic-version": ANTHROPIC_VERSION,
    accept: "application/json",
  };
  applyApiKey(target, url, headers, { header: "x-api-key", prefix: "" });
  return { url, headers };
}

export const anthropicAdapter: ProviderAdapter = {
  async complete(target, request, signal) {
    const { url, headers } = urlFor(target, "/messages");
    const body = JSON.stringify(toAnthropicRequest({ ...request, stream: false }));
    const { status, text } = await requestText({ url, method: "POST", headers, body, signal });
    if (status < 200 || status >= 300) throw new ProviderError(providerMessage(text, status), status);
    return fromAnthropicMessage(parseJsonAnswer(text, status), request.model);
  },

  async stream(target, request, signal) {
    const { url, headers } = urlFor(target, "/messages");
    headers.accept = "text/event-stream";
    const body = JSON.stringify(toAnthropicRequest({ ...request, stream: true }));
    const res = await sendUpstream({ url, method: "POST", headers, body, signal });
    if (res.status < 200 || res.status >= 300) await failFrom(res);
    return toChunks(readSseData(res.body), request.model);
  },

  probe(target, timeoutMs) {
    const { url, headers } = urlFor(target, "/models");
    return probeHttp(url, headers, timeoutMs, (status) => status < 500);
  },
};

/** Anthropic stream events → OpenAI chunks (see the module comment). */
export async function* toChunks(
  events: AsyncIterable<string>,
  requestedModel: string,
): AsyncGenerator<ChatChunk> {
  let id = "";
  let model = requestedModel;
  let usage: Usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
  let finish: string | null = null;
  const toolIndex = new Map<number, number>();
  const created = nowSeconds();
  const chunk = (delta: ChunkChoice["delta"], finishReason: string | null = null): ChatChunk => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  for await (const text of events) {
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      throw new ProviderError(`the provider sent a stream event that is not JSON: ${text.slice(0, 200)}`);
    }
    if (!isObject(event)) continue;
    const block = isObject(event.content_block) ? event.content_block : {};
    const delta = isObject(event.delta) ? event.delta : {};
    const index = typeof event.index === "number" ? event.index : 0;
    switch (event.type) {
      case "message_start": {
        const message = isObject(event.message) ? event.message : {};
        if (typeof message.id === "string") id = message.id;
        if (typeof message.model === "string") model = message.model;
        usage = toUsage(message.usage);
        yield chunk({ role: "assistant", content: "" });
        break;
      }
      case "content_block_start":
        if (block.type === "tool_use") {
          const n = toolIndex.size;
          toolIndex.set(index, n);
          const name = typeof block.name === "string" ? block.name : "";
          const callId = typeof block.id === "string" ? block.id : "";
          yield chunk({
            tool_calls: [{ index: n, id: callId, type: "function", function: { name, arguments: "" } }],
          });
        } else if (block.type === "text" && typeof block.text === "string" && block.text) {
          yield chunk({ content: block.text });
        }
        break;
      case "content_block_delta":
        if (delta.type === "text_delta" && typeof delta.text === "string") {
          yield chunk({ content: delta.text });
        } else if (delta.type === "input_json_delta" && typeof delta.partial_json === "string") {
          const n = toolIndex.get(index);
          if (n !== undefined && delta.partial_json) {
            yield chunk({ tool_calls: [{ index: n, function: { arguments: delta.partial_json } }] });
          }
        }
        break;
      case "message_delta":
        finish = finishReason(delta.stop_reason) ?? finish;
        if (isObject(event.usage)) usage = toUsage(event.usage, usage);
        break;
      case "message_stop":
        yield chunk({}, finish ?? "stop");
        yield { id, object: "chat.completion.chunk", created, model, choices: [], usage };
        return;
      case "error":
        throw new ProviderError(providerMessage(text, 200));
      default:
        break;
    }
  }
}
