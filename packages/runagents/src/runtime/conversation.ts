/**
 * @module
 * Building the conversation of the built-in loop: the system prompt, the filtered history and the
 * user's message.
 */

import { isRecord } from "../agent/json.js";
import type { ChatMessage } from "../agent/llm.js";

/** History entries as `{role, content}`: objects with non-empty content only; `role` defaults to `user`. */
export function filterHistory(history: readonly unknown[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const entry of history) {
    if (!isRecord(entry)) continue;
    const role = typeof entry.role === "string" && entry.role !== "" ? entry.role : "user";
    const content = entry.content;
    if (typeof content !== "string" || content === "") continue;
    out.push({ role, content });
  }
  return out;
}

export function initialMessages(
  systemPrompt: string,
  history: readonly unknown[],
  message: string,
): ChatMessage[] {
  return [
    { role: "system", content: systemPrompt },
    ...filterHistory(history),
    { role: "user", content: message },
  ];
}

/** The key of a tool-cache entry. */
export function toolCacheKey(functionName: string, args: string): string {
  return `${functionName}\u0000${args}`;
}
