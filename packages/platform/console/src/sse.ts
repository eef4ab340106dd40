/**
 * Reads a Server-Sent Events answer with fetch (so the API key travels in its header, unlike
 * EventSource): calls `onData` with each message's parsed JSON until the stream ends or `stop`
 * aborts it. Used for an agent's log (`GET /agents/{name}/logs?follow=true`).
 */
import { request } from "./api.js";

export async function followSse(
  path: string,
  onData: (data: Record<string, unknown>) => void,
  stop: AbortSignal,
): Promise<void> {
  const res = await request("GET", path, undefined, "text/event-stream");
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  stop.addEventListener("abort", () => void reader.cancel().catch(() => undefined), { once: true });
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      return;
    }
    if (chunk.done || stop.aborted) return;
    buffer += decoder.decode(chunk.value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const data = buffer
        .slice(0, end)
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      buffer = buffer.slice(end + 2);
      if (data) onData(JSON.parse(data) as Record<string, unknown>);
      end = buffer.indexOf("\n\n");
    }
  }
}
