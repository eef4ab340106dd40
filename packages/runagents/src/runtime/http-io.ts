/**
 * @module
 * Request and response plumbing of the runtime's HTTP server: headers, bodies, JSON replies.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { isRecord, type JsonRecord } from "../agent/json.js";
import { jsonTooDeep, TOO_DEEP } from "../internal/json-depth.js";

/** Larger request bodies are refused with 413. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): void {
  const text = JSON.stringify(body);
  const head: Record<string, string | number> = {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(text),
  };
  if (headers !== undefined) for (const name in headers) head[name] = headers[name] as string;
  res.writeHead(status, head);
  res.end(text);
}

/** A request header's first value, trimmed; `undefined` when absent or empty. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  const trimmed = first?.trim();
  return trimmed === "" ? undefined : trimmed;
}

export type BodyResult = { ok: true; value: JsonRecord } | { ok: false; status: number; error: string };

/**
 * Reads a JSON object body. An empty body is `{}`. Invalid JSON and non-objects are 400 (with
 * `lenient`, they are `{}` instead); bodies over {@link MAX_BODY_BYTES} are 413.
 */
export function readJsonObject(req: IncomingMessage, lenient = false): Promise<BodyResult> {
  return new Promise((resolve) => readJsonBody(req, lenient, resolve));
}

/**
 * {@link readJsonObject} without a promise: `done` is called once, from the request's `end` (or
 * `error`) event, so it runs in the async context the request's events run in, not the caller's.
 */
export function readJsonBody(req: IncomingMessage, lenient: boolean, done: (body: BodyResult) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (result: BodyResult): void => {
    if (settled) return;
    settled = true;
    done(result);
  };
  const onData = (chunk: Buffer): void => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      req.removeListener("data", onData);
      req.resume();
      settle({ ok: false, status: 413, error: "request body too large" });
      return;
    }
    chunks.push(chunk);
  };
  req.on("data", onData);
  req.on("end", () => {
    if (settled) return;
    const text =
      chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks).toString("utf8");
    settle(parseJsonObject(text, lenient));
  });
  req.on("error", (error) => settle({ ok: false, status: 400, error: error.message }));
}

/** A body's text as {@link readJsonObject} judges it. */
function parseJsonObject(text: string, lenient: boolean): BodyResult {
  if (text.trim() === "") return { ok: true, value: {} };
  if (jsonTooDeep(text))
    return lenient ? { ok: true, value: {} } : { ok: false, status: 400, error: TOO_DEEP };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return lenient ? { ok: true, value: {} } : { ok: false, status: 400, error: "invalid JSON body" };
  }
  if (isRecord(value)) return { ok: true, value };
  return lenient
    ? { ok: true, value: {} }
    : { ok: false, status: 400, error: "request body must be a JSON object" };
}

/**
 * Aborts when the client goes away before its response is complete. The AbortController is created
 * on first use of {@link ClientAbort.signal}: most requests never need one, and it is not free.
 * (A class, not an object literal with a getter: V8 gives each such literal its own hidden class,
 * which made every scavenge several times slower.)
 */
export class ClientAbort {
  #res: ServerResponse | undefined;
  #controller: AbortController | undefined;

  constructor(res?: ServerResponse) {
    this.#res = res;
  }

  get signal(): AbortSignal {
    if (this.#controller) return this.#controller.signal;
    const controller = new AbortController();
    this.#controller = controller;
    const res = this.#res;
    if (res?.closed && !res.writableFinished) controller.abort();
    else {
      res?.once("close", () => {
        if (!res.writableFinished) controller.abort();
      });
    }
    return controller.signal;
  }
}
