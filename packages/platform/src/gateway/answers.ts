/**
 * @module gateway/answers
 * Reading providers' answers: JSON objects, streamed lines and server-sent events (drained rather
 * than cancelled when the reader stops early, so the connection is reused), the provider's own
 * error message, and the availability probe.
 */
import { StringDecoder } from "node:string_decoder";
import { isObject } from "../validate.js";
import { type ProbeOutcome, ProviderError } from "./types.js";
import { readText, sendUpstream, type UpstreamBody, type UpstreamResponse } from "./upstream.js";

/** Parses a JSON object answer, or fails with a ProviderError. */
export function parseJsonAnswer(text: string, status: number): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value)) return value;
  } catch {
    // fall through
  }
  throw new ProviderError("the provider's answer is not a JSON object", status);
}

/**
 * The lines of a streamed body (LF or CRLF), as they arrive. When the reader stops early (after
 * `[DONE]` or `message_stop`), the rest of the body is drained rather than the call cancelled,
 * so its kept-alive connection serves the next call.
 */
export async function* readLines(body: UpstreamBody): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  const chunks: AsyncIterator<Buffer> = body[Symbol.asyncIterator]();
  let pending = "";
  let ended = false;
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        break;
      }
      pending += decoder.write(next.value);
      let newline = pending.indexOf("\n");
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        yield line.endsWith("\r") ? line.slice(0, -1) : line;
        newline = pending.indexOf("\n");
      }
    }
  } catch (err) {
    ended = true;
    throw new ProviderError(`the provider's stream was cut off: ${(err as Error).message}`);
  } finally {
    if (!ended) void chunks.return?.();
  }
  pending += decoder.end();
  if (pending) yield pending;
}

/** The `data:` payloads of a server-sent-events body, ending at `[DONE]`. */
export async function* readSseData(body: UpstreamBody): AsyncGenerator<string> {
  for await (const line of readLines(body)) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(line.charAt(5) === " " ? 6 : 5);
    if (data === "[DONE]") return;
    if (data) yield data;
  }
}

/** The provider's own message from an error answer (OpenAI, Anthropic and Ollama shapes). */
export function providerMessage(text: string, status: number): string {
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value)) {
      const error = value.error;
      if (isObject(error) && typeof error.message === "string" && error.message) return error.message;
      if (typeof error === "string" && error) return error;
      for (const key of ["message", "detail"]) {
        if (typeof value[key] === "string" && value[key]) return value[key] as string;
      }
    }
  } catch {
    // not JSON: use the text
  }
  const trimmed = text.trim().replace(/\s+/g, " ");
  if (trimmed) return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed;
  return `HTTP ${status} from the provider`;
}

/** Reads an error answer and turns it into a ProviderError. */
export async function failFrom(res: UpstreamResponse): Promise<never> {
  const text = await readText(res.body).catch(() => "");
  throw new ProviderError(providerMessage(text, res.status), res.status);
}

/**
 * `GET url` within `timeoutMs`; available when `isAvailable(status)`. A network failure or a
 * timeout is unavailable.
 */
export async function probeHttp(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
  isAvailable: (status: number) => boolean,
): Promise<ProbeOutcome> {
  const what = `GET ${url.pathname}`;
  try {
    const res = await sendUpstream({
      url,
      headers,
      signal: AbortSignal.timeout(timeoutMs + 1000),
      timeoutMs,
    });
    const text = await readText(res.body);
    if (isAvailable(res.status)) return { available: true, message: `${what}: HTTP ${res.status}` };
    return { available: false, message: `${what}: HTTP ${res.status}: ${providerMessage(text, res.status)}` };
  } catch (err) {
    return { available: false, message: `${what}: ${(err as Error).message}` };
  }
}
