/**
 * @module gateway/providers/anthropic-format
 * OpenAI chat completions ↔ the Anthropic Messages API.
 *
 * Request: `system`/`developer` messages join (blank line between) into `system`; assistant
 * `tool_calls` become `tool_use` blocks (arguments parsed to `input`); `tool` messages become
 * `tool_result` blocks in a user turn; consecutive turns of one role merge (the API wants them
 * alternating); `image_url` parts become image blocks; `max_tokens` defaults to 4096; `stop` →
 * `stop_sequences`; `tools[].function.parameters` → `input_schema`; `tool_choice` `auto` →
 * `auto`, `required` → `any`, `none` → `none`, a named function → `tool`;
 * `parallel_tool_calls: false` → `disable_parallel_tool_use`.
 * Response: text blocks join into `content`, `tool_use` → `tool_calls`, `stop_reason`
 * `tool_use` → `tool_calls`, `max_tokens` → `length`, else `stop`; prompt tokens include cache
 * reads and writes.
 */
import { isObject } from "../../validate.js";
import {
  type ChatCompletion,
  type ChatRequest,
  contentText,
  type Json,
  nowSeconds,
  type ToolCall,
  type Usage,
} from "../types.js";

export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

type Block = Json;
interface Turn {
  role: "user" | "assistant";
  content: Block[];
}

export function toAnthropicRequest(request: ChatRequest): Json {
  const system: string[] = [];
  const turns: Turn[] = [];
  const push = (role: Turn["role"], blocks: Block[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const message of request.messages) {
    if (message.role === "system" || message.role === "developer") {
      const text = contentText(message.content);
      if (text) system.push(text);
    } else if (message.role === "assistant") {
      const blocks = textBlocks(message.content);
      for (const call of message.tool_calls ?? []) {
        blocks.push({ type: "tool_use", id: call.id, name: call.function.name, input: parseArguments(call) });
      }
      push("assistant", blocks);
    } else if (message.role === "tool") {
      push("user", [
        {
          type: "tool_result",
          tool_use_id: message.tool_call_id ?? "",
          content: contentText(message.content),
        },
      ]);
    } else {
      push("user", userBlocks(message.content));
    }
  }
  const body: Json = {
    model: request.model,
    max_tokens: num(request.max_tokens) ?? num(request.max_completion_tokens) ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: turns,
  };
  if (system.length > 0) body.system = system.join("\n\n");
  if (num(request.temperature) !== undefined) body.temperature = request.temperature;
  if (num(request.top_p) !== undefined) body.top_p = request.top_p;
  if (typeof request.stop === "string") body.stop_sequences = [request.stop];
  else if (Array.isArray(request.stop)) body.stop_sequences = request.stop;
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: "object", properties: {} },
    }));
    const choice = toolChoice(request.tool_choice);
    if (request.parallel_tool_calls === false) {
      body.tool_choice = { ...(choice ?? { type: "auto" }), disable_parallel_tool_use: true };
    } else if (choice) body.tool_choice = choice;
  }
  if (request.stream) body.stream = true;
  return body;
}

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function toolChoice(choice: unknown): Json | undefined {
  if (choice === "auto") return { type: "auto" };
  if (choice === "required") return { type: "any" };
  if (choice === "none") return { type: "none" };
  if (isObject(choice) && isObject(choice.function) && typeof choice.function.name === "string") {
    return { type: "tool", name: choice.function.name };
  }
  return undefined;
}

function parseArguments(call: ToolCall): Json {
  try {
    const value: unknown = JSON.parse(call.function.arguments || "{}");
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

function textBlocks(content: unknown): Block[] {
  const text = contentText(content);
  return text ? [{ type: "text", text }] : [];
}

function userBlocks(content: unknown): Block[] {
  if (!Array.isArray(content)) return textBlocks(content);
  const blocks: Block[] = [];
  for (const part of content) {
    if (typeof part === "string") {
      if (part) blocks.push({ type: "text", text: part });
    } else if (isObject(part) && typeof part.text === "string") {
      if (part.text) blocks.push({ type: "text", text: part.text });
    } else if (isObject(part) && part.type === "image_url") {
      const url = isObject(part.image_url) ? part.image_url.url : part.image_url;
      if (typeof url === "string") blocks.push(imageBlock(url));
    }
  }
  return blocks;
}

function imageBlock(url: string): Block {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) return { type: "image", source: { type: "base64", media_type: data[1], data: data[2] } };
  return { type: "image", source: { type: "url", url } };
}

export function finishReason(stopReason: unknown): string | null {
  if (stopReason === "tool_use") return "tool_calls";
  if (stopReason === "max_tokens") return "length";
  if (stopReason === null || stopReason === undefined) return null;
  return "stop";
}

/** Anthropic `usage` → OpenAI usage (cache reads and writes count as prompt tokens). */
export function toUsage(usage: unknown, previous?: Usage): Usage {
  const u = isObject(usage) ? usage : {};
  const n = (key: string) => (typeof u[key] === "number" ? (u[key] as number) : undefined);
  const input = n("input_tokens");
  const prompt =
    input === undefined
      ? (previous?.prompt_tokens ?? 0)
      : input + (n("cache_creation_input_tokens") ?? 0) + (n("cache_read_input_tokens") ?? 0);
  const completion = n("output_tokens") ?? previous?.completion_tokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function fromAnthropicMessage(message: Json, model: string): ChatCompletion {
  const blocks = Array.isArray(message.content) ? message.content.filter(isObject) : [];
  const text = blocks
    .filter((b) => b.type === "text" && typeof b.text === "string")
    .map((b) => b.text as string)
    .join("");
  const calls: ToolCall[] = blocks
    .filter((b) => b.type === "tool_use")
    .map((b) => ({
      id: typeof b.id === "string" ? b.id : "",
      type: "function",
      function: { name: typeof b.name === "string" ? b.name : "", arguments: JSON.stringify(b.input ?? {}) },
    }));
  const assistant: ChatCompletion["choices"][number]["message"] = {
    role: "assistant",
    content: text || (calls.length > 0 ? null : ""),
  };
  if (calls.length > 0) assistant.tool_calls = calls;
  return {
    id: typeof message.id === "string" ? message.id : `chatcmpl-${Date.now()}`,
    object: "chat.completion",
    created: nowSeconds(),
    model: typeof message.model === "string" ? message.model : model,
    choices: [{ index: 0, message: assistant, finish_reason: finishReason(message.stop_reason) ?? "stop" }],
    usage: toUsage(message.usage),
  };
}
