/**
 * @module
 * The platform's tamper-evident audit export (`GET /audit/export`, `GET /runs/{id}/audit/export`):
 * NDJSON read as it arrives and yielded one parsed line at a time — every event, then the head.
 * Check a saved export with `runagents audit verify` or `runagents/audit`'s `AuditVerifier`.
 */

import type { AuditLine } from "../audit/chain.js";
import { RunAgentsError } from "../errors.js";
import type { CallOptions, Query, Transport } from "./http.js";

export interface AuditExportOptions {
  /** ISO 8601 times: events at or after `from` and before `to`. */
  from?: string;
  to?: string;
}

function parseLine(text: string, n: number): AuditLine {
  try {
    return JSON.parse(text) as AuditLine;
  } catch (error) {
    throw new RunAgentsError("VALIDATION_ERROR", `audit export line ${n} is not valid JSON`, {
      cause: error,
    });
  }
}

/** Split a byte stream into parsed NDJSON lines (blank lines skipped). */
async function* ndjsonLines(
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<AuditLine> {
  const decoder = new TextDecoder();
  let buffer = "";
  let n = 0;
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline !== -1) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      n++;
      if (text.trim() !== "") yield parseLine(text, n);
      newline = buffer.indexOf("\n");
    }
  }
  buffer += decoder.decode();
  if (buffer.trim() !== "") yield parseLine(buffer, n + 1);
}

/** GET `path` and yield its NDJSON lines; a response without a body stream is read whole. */
export async function* streamAuditExport(
  t: Transport,
  path: string,
  query: Query,
  options: CallOptions,
): AsyncGenerator<AuditLine, void, undefined> {
  const stream = await t.stream("GET", path, {
    ...options,
    query,
    headers: { Accept: "application/x-ndjson" },
  });
  try {
    const { response } = stream;
    const body = response.body as unknown as AsyncIterable<Uint8Array> | null | undefined;
    if (body && Symbol.asyncIterator in body) yield* ndjsonLines(body);
    else yield* ndjsonLines([new TextEncoder().encode(await response.text())]);
  } catch (error) {
    throw error instanceof RunAgentsError ? error : stream.mapError(error);
  } finally {
    stream.dispose();
  }
}

export const windowQuery = (options: AuditExportOptions): Query => ({
  from: options.from?.trim() || undefined,
  to: options.to?.trim() || undefined,
});

export class AuditResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** GET /audit/export[?from=&to=]: every run's events in the window, then the head line. */
  export(
    window: AuditExportOptions = {},
    options: CallOptions = {},
  ): AsyncGenerator<AuditLine, void, undefined> {
    return streamAuditExport(this.#t, "/audit/export", windowQuery(window), options);
  }
}
