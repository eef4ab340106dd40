/**
 * @module
 * A server-sent events parser (the WHATWG event-stream format). Input may be split anywhere, including
 * inside a CRLF pair or a multi-byte UTF-8 character. Not part of the public API.
 */

export interface SseMessage {
  /** The `event:` field, or `"message"` when the event had none. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` seen on the stream, if any. */
  id?: string;
  /** The `retry:` field in milliseconds, when this event carried one. */
  retry?: number;
}

/** Incremental parser: feed text with `push()`, then call `end()` once the stream is finished. */
export class SseParser {
  #buffer = "";
  #data: string[] = [];
  #event = "";
  #lastId: string | undefined;
  #retry: number | undefined;

  /** Parse `chunk` and return the events it completed. */
  push(chunk: string): SseMessage[] {
    this.#buffer += chunk;
    const out: SseMessage[] = [];
    let start = 0;
    for (;;) {
      const cr = this.#buffer.indexOf("\r", start);
      const lf = this.#buffer.indexOf("\n", start);
      if (cr === -1 && lf === -1) break;
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        // A trailing CR may be the first half of a CRLF split across chunks: wait for more input.
        if (cr === this.#buffer.length - 1) break;
        end = cr;
        next = this.#buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
      } else {
        end = lf;
        next = lf + 1;
      }
      this.#line(this.#buffer.slice(start, end), out);
      start = next;
    }
    this.#buffer = this.#buffer.slice(start);
    return out;
  }

  /** Flush the stream: a final event that lacks its blank line is still delivered. */
  end(): SseMessage[] {
    const out: SseMessage[] = [];
    if (this.#buffer !== "") {
      const line = this.#buffer.endsWith("\r") ? this.#buffer.slice(0, -1) : this.#buffer;
      this.#buffer = "";
      this.#line(line, out);
    }
    this.#line("", out);
    return out;
  }

  #line(line: string, out: SseMessage[]): void {
    if (line === "") {
      this.#dispatch(out);
      return;
    }
    if (line.startsWith(":")) return; // comment
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.#event = value;
        break;
      case "data":
        this.#data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.#lastId = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.#retry = Number(value);
        break;
      default:
        break; // unknown fields are ignored
    }
  }

  #dispatch(out: SseMessage[]): void {
    if (this.#data.length > 0) {
      const message: SseMessage = { event: this.#event || "message", data: this.#data.join("\n") };
      if (this.#lastId !== undefined) message.id = this.#lastId;
      if (this.#retry !== undefined) message.retry = this.#retry;
      out.push(message);
    }
    this.#data = [];
    this.#event = "";
    this.#retry = undefined;
  }
}

/** Parse a byte stream (e.g. `response.body`) into SSE messages. */
export async function* parseSseStream(
  stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
): AsyncGenerator<SseMessage, void, undefined> {
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    yield* parser.push(decoder.decode(chunk, { stream: true }));
  }
  yield* parser.push(decoder.decode());
  yield* parser.end();
}
