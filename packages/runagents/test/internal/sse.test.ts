import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseSseStream, type SseMessage, SseParser } from "../../src/internal/sse.js";

function parseChunks(chunks: readonly string[]): SseMessage[] {
  const parser = new SseParser();
  const out = chunks.flatMap((chunk) => parser.push(chunk));
  return [...out, ...parser.end()];
}

const STREAM =
  ": comment line\r\n" +
  "event: status\r\n" +
  "id: 7\r\n" +
  'data: {"a":1}\r\n' +
  "\r\n" +
  "data: line one\n" +
  "data:line two\n" +
  "data\n" +
  "\n" +
  "retry: 1500\r" +
  "data: cr-only\r" +
  "\r" +
  "unknown: field\n" +
  "event: ignored-without-data\n" +
  "\n" +
  "data: [DONE]\n\n";

const EXPECTED: SseMessage[] = [
  { event: "status", data: '{"a":1}', id: "7" },
  { event: "message", data: "line one\nline two\n", id: "7" },
  { event: "message", data: "cr-only", id: "7", retry: 1500 },
  { event: "message", data: "[DONE]", id: "7" },
];

describe("SseParser", () => {
  test("parses events, CRLF/CR/LF line ends, multi-line data, comments, id and retry", () => {
    assert.deepEqual(parseChunks([STREAM]), EXPECTED);
  });

  test("gives the same events however the input is split (every split point, and one char at a time)", () => {
    for (let i = 0; i <= STREAM.length; i++) {
      assert.deepEqual(parseChunks([STREAM.slice(0, i), STREAM.slice(i)]), EXPECTED, `split at ${i}`);
    }
    assert.deepEqual(parseChunks([...STREAM]), EXPECTED);
  });

  test("treats a CRLF split between chunks as one line end", () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push("data: a\r"), []);
    assert.deepEqual(parser.push("\n\r"), []);
    assert.deepEqual(parser.push("\ndata: b\n\n"), [
      { event: "message", data: "a" },
      { event: "message", data: "b" },
    ]);
  });

  test("delivers a final event that lacks its blank line when the stream ends", () => {
    assert.deepEqual(parseChunks(["data: tail"]), [{ event: "message", data: "tail" }]);
    assert.deepEqual(parseChunks(["data: tail\r"]), [{ event: "message", data: "tail" }]);
    assert.deepEqual(parseChunks([": only a comment\n"]), []);
  });

  test("keeps only one leading space of a value and colons after the first", () => {
    assert.deepEqual(parseChunks(["data:  two spaces: and colon\n\n"]), [
      { event: "message", data: " two spaces: and colon" },
    ]);
  });
});

describe("parseSseStream", () => {
  test("decodes UTF-8 characters split across byte chunks", async () => {
    const bytes = new TextEncoder().encode('data: {"text":"héllo €"}\n\n');
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (const byte of bytes) yield Uint8Array.of(byte);
    }
    const out: SseMessage[] = [];
    for await (const message of parseSseStream(chunks())) out.push(message);
    assert.deepEqual(out, [{ event: "message", data: '{"text":"héllo €"}' }]);
  });
});
