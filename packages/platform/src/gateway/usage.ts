/**
 * @module gateway/usage
 * Token estimates for calls whose provider reports no usage: about four characters a token,
 * rounded up, over the text a model reads (every message's text content plus the arguments of
 * its tool calls) and the text it writes (content plus tool-call arguments).
 */
import { type ChatChunk, type ChatCompletion, type ChatMessage, contentText, type Usage } from "./types.js";

export const CHARS_PER_TOKEN = 4;

export const estimateTokens = (chars: number): number => Math.ceil(chars / CHARS_PER_TOKEN);

/** Characters the model reads. */
export function promptChars(messages: readonly ChatMessage[]): number {
  let chars = 0;
  for (const m of messages) {
    chars += contentText(m.content).length;
    for (const call of m.tool_calls ?? []) chars += call.function?.arguments?.length ?? 0;
  }
  return chars;
}

export function makeUsage(prompt: number, completion: number): Usage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A provider's usage when it gave a usable one. */
export function usageOf(value: unknown): Usage | undefined {
  if (!value || typeof value !== "object") return undefined;
  const u = value as Record<string, unknown>;
  const prompt = u.prompt_tokens;
  const completion = u.completion_tokens;
  if (typeof prompt !== "number" || typeof completion !== "number") return undefined;
  return makeUsage(prompt, completion);
}

/** Characters of a completion's output. */
export function completionChars(completion: ChatCompletion): number {
  let chars = 0;
  for (const choice of completion.choices ?? []) {
    chars += contentText(choice.message?.content).length;
    for (const call of choice.message?.tool_calls ?? []) chars += call.function?.arguments?.length ?? 0;
  }
  return chars;
}

/** Characters of one stream chunk's output. */
export function chunkChars(chunk: ChatChunk): number {
  let chars = 0;
  for (const choice of chunk.choices) {
    const delta = choice.delta;
    if (!delta) continue;
    if (typeof delta.content === "string") chars += delta.content.length;
    for (const call of delta.tool_calls ?? []) chars += call.function?.arguments?.length ?? 0;
  }
  return chars;
}
