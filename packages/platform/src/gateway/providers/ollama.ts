/**
 * @module gateway/providers/ollama
 * Ollama's native chat API (`POST <endpoint>/api/chat`; a trailing `/v1` or `/api` on the
 * endpoint is dropped). Messages keep their roles (`developer` → `system`) with text content,
 * `data:` image parts → `images` (base64), assistant tool calls → `{function: {name,
 * arguments: object}}`, tool results → `{role: "tool", content, tool_name}`; `tools` pass as
 * they are; sampling parameters go to `options` (`max_tokens` → `num_predict`). Answers:
 * `prompt_eval_count`/`eval_count` → usage, `done_reason: "length"` → `length`, tool calls →
 * `tool_calls` (ids `call_<random>` when Ollama gives none). Streams are NDJSON: one object
 * per line, the last with `done: true` and the counts. Health: `GET <endpoint>/api/tags`.
 * A key, when configured, is sent as `Authorization: Bearer` (for proxies in front of Ollama).
 */
import { randomBytes } from "node:crypto";
import { isObject } from "../../validate.js";
import { failFrom, parseJsonAnswer, probeHttp, providerMessage, readLines } from "../answers.js";
import { applyApiKey } from "../provider-keys.js";
import {
  type ChatChunk,
  type ChatCompletion,
  type ChatRequest,
  contentText,
  type Json,
  nowSeconds,
  type ProviderAdapter,
  ProviderError,
  type ProviderTarget,
  type ToolCall,
  type Usage,
} from "../types.js";
import { requestText, sendUpstream } from "../upstream.js";

function urlFor(target: ProviderTarget, path: string): { url: URL; headers: Record<string, string> } {
  const url = new URL(target.endpoint);
  url.pathname = `${url.pathname.replace(/\/+$/, "").replace(/\/(v1|api)$/, "")}${path}`;
  const headers: Record<string, string> = { accept: "application/json" };
  applyApiKey(target, url, headers, { header: "Authorization", prefix: "Bearer " });
  return { url, headers };
}

export const ollamaAdapter: ProviderAdapter = {
  async complete(target, request, signal) {
    const { url, headers } = urlFor(target, "/api/chat");
    const body = JSON.stringify(toOllamaRequest(request, false));
    const { status, text } = await requestText({ url, method: "POST", headers, body, signal });
    if (status < 200 || status >= 300) throw new ProviderError(providerMessage(text, status), status);
    return fromOllama(parseJsonAnswer(text, status), request.model);
  },

  async stream(target, request, signal) {
    const { url, headers } = urlFor(target, "/api/chat");
    const body = JSON.stringify(toOllamaRequest(request, true));
    const res = await sendUpstream({ url, method: "POST", headers, body, signal });
    if (res.status < 200 || res.status >= 300) await failFrom(res);
    return toChunks(readLines(res.body), request.model);
  },

  probe(target, timeoutMs) {
    const { url, headers } = urlFor(target, "/api/tags");
    return probeHttp(url, headers, timeoutMs, (status) => status >= 200 && status < 300);
  },
};

export function toOllamaRequest(request: ChatRequest, stream: boolean): Json {
  const callNames = new Map<string, string>();
  const messages = request.messages.map((m) => {
    const out: Json = { role: m.role === "developer" ? "system" : m.role, content: contentText(m.content) };
    const images = imagesOf(m.content);
    if (images.length > 0) out.images = images;
    if (m.tool_calls && m.tool_calls.length > 0) {
      out.tool_calls = m.tool_calls.map((c) => {
        callNames.set(c.id, c.function.name);
        return { function: { name: c.function.name, arguments: parseArguments(c.function.arguments) } };
      });
    }
    if (m.role === "tool") out.tool_name = callNames.get(m.tool_call_id ?? "") ?? m.name ?? "";
    return out;
  });
  const options: Json = {};
  const copy = (from: string, to = from) => {
    if (request[from] !== undefined && request[from] !== null) options[to] = request[from];
  };
  copy("temperature");
  copy("top_p");
  copy("seed");
  copy("frequency_penalty");
  copy("presence_penalty");
  copy("max_tokens", "num_predict");
  if (typeof request.stop === "string") options.stop = [request.stop];
  else copy("stop");
  const body: Json = { model: request.model, messages, stream };
  if (request.tools && request.tools.length > 0) body.tools = request.tools;
  if (Object.keys(options).length > 0) body.options = options;
  if (isObject(request.response_format) && request.response_format.type === "json_object")
    body.format = "json";
  return body;
}

function imagesOf(content: unknown): string[] {
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const part of content) {
    if (!isObject(part) || part.type !== "image_url") continue;
    const url = isObject(part.image_url) ? part.image_url.url : part.image_url;
    const data = typeof url === "string" ? /^data:[^;,]+;base64,(.*)$/s.exec(url) : null;
    if (data?.[1]) out.push(data[1]);
  }
  return out;
}

function parseArguments(text: string): Json {
  try {
    const value: unknown = JSON.parse(text || "{}");
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

const callId = (): string => `call_${randomBytes(6).toString("hex")}`;

function toolCallsOf(message: Json): ToolCall[] {
  if (!Array.isArray(message.tool_calls)) return [];
  return message.tool_calls.filter(isObject).map((c) => {
    const fn = isObject(c.function) ? c.function : {};
    const args = fn.arguments;
    return {
      id: typeof c.id === "string" && c.id ? c.id : callId(),
      type: "function",
      function: {
        name: typeof fn.name === "string" ? fn.name : "",
        arguments: typeof args === "string" ? args : JSON.stringify(args ?? {}),
      },
    };
  });
}

function usageOf(answer: Json): Usage {
  const prompt = typeof answer.prompt_eval_count === "number" ? answer.prompt_eval_count : 0;
  const completion = typeof answer.eval_count === "number" ? answer.eval_count : 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function fromOllama(answer: Json, model: string): ChatCompletion {
  const message = isObject(answer.message) ? answer.message : {};
  const calls = toolCallsOf(message);
  const text = typeof message.content === "string" ? message.content : "";
  const assistant: ChatCompletion["choices"][number]["message"] = {
    role: "assistant",
    content: text || (calls.length > 0 ? null : ""),
  };
  if (calls.length > 0) assistant.tool_calls = calls;
  const finish = calls.length > 0 ? "tool_calls" : answer.done_reason === "length" ? "length" : "stop";
  return {
    id: `chatcmpl-${randomBytes(12).toString("hex")}`,
    object: "chat.completion",
    created: nowSeconds(),
    model: typeof answer.model === "string" ? answer.model : model,
    choices: [{ index: 0, message: assistant, finish_reason: finish }],
    usage: usageOf(answer),
  };
}

async function* toChunks(lines: AsyncIterable<string>, requestedModel: string): AsyncGenerator<ChatChunk> {
  const id = `chatcmpl-${randomBytes(12).toString("hex")}`;
  const created = nowSeconds();
  let model = requestedModel;
  let started = false;
  let tools = 0;
  const chunk = (delta: ChatChunk["choices"][number]["delta"], finish: string | null = null): ChatChunk => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let answer: unknown;
    try {
      answer = JSON.parse(line);
    } catch {
      throw new ProviderError(`the provider sent a stream line that is not JSON: ${line.slice(0, 200)}`);
    }
    if (!isObject(answer)) continue;
    if (answer.error !== undefined) throw new ProviderError(providerMessage(line, 200));
    if (typeof answer.model === "string") model = answer.model;
    const message = isObject(answer.message) ? answer.message : {};
    const text = typeof message.content === "string" ? message.content : "";
    const calls = toolCallsOf(message);
    if (!started) {
      started = true;
      yield chunk({ role: "assistant", content: "" });
    }
    if (text) yield chunk({ content: text });
    if (calls.length > 0) {
      yield chunk({ tool_calls: calls.map((c) => ({ index: tools++, ...c })) });
    }
    if (answer.done === true) {
      const finish = tools > 0 ? "tool_calls" : answer.done_reason === "length" ? "length" : "stop";
      yield chunk({}, finish);
      yield { id, object: "chat.completion.chunk", created, model, choices: [], usage: usageOf(answer) };
      return;
    }
  }
}
