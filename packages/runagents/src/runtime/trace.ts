/**
 * @module
 * The trace session of one user-handler invocation: every tool call the handler makes (through
 * `Agent.callTool`, global `fetch` or `node:http(s)`) is recorded in order, reported to governance,
 * returned as `tool_calls_made` and checked for approval/consent interrupts.
 */

import { randomUUID } from "node:crypto";
import type { ToolCallStart } from "../agent/hooks.js";

/** Results are kept up to this many characters. */
export const TRACE_RESULT_LIMIT = 4000;

export interface TracedCall {
  readonly tool_call_id: string;
  readonly tool: string;
  readonly function: string;
  readonly method: string;
  readonly url: string;
  request_body: string;
  readonly source: string;
  /** 1-based position in the session; sent as `X-Tool-Turn`. */
  readonly sequence: number;
  result: string;
  /** 0 until a response arrives. */
  status_code: number;
  done: boolean;
}

/** The response-facing shape (`tool_calls_made` of a user handler). */
export interface ToolCallMade {
  function: string;
  tool: string;
  method: string;
  url: string;
  status_code: number;
  source: string;
  arguments: string;
  result: string;
}

export interface TraceListener {
  started(call: TracedCall): void;
  finished(call: TracedCall): void;
}

export class TraceSession {
  readonly calls: TracedCall[] = [];
  #pending: Set<Promise<unknown>> | undefined;
  #beforeSettle: Array<() => void> | undefined;
  #listener: TraceListener | undefined;

  constructor(listener?: TraceListener) {
    this.#listener = listener;
  }

  /** Records a new call; `announce: false` defers the `started` notification (see {@link announce}). */
  begin(start: ToolCallStart, announce = true): TracedCall {
    const sequence = this.calls.length + 1;
    const call: TracedCall = {
      tool_call_id: `user-call-${sequence}-${randomUUID().replaceAll("-", "").slice(0, 8)}`,
      tool: start.tool,
      function: start.function,
      method: start.method.toUpperCase(),
      url: start.url,
      request_body: start.body,
      source: start.source,
      sequence,
      result: "",
      status_code: 0,
      done: false,
    };
    this.calls.push(call);
    if (announce) this.#listener?.started(call);
    return call;
  }

  /** Notifies the listener of a call begun with `announce: false`, once its request body is known. */
  announce(call: TracedCall): void {
    this.#listener?.started(call);
  }

  /** The `X-Tool-*` headers of a traced call. */
  headers(call: TracedCall): Record<string, string> {
    return {
      "X-Tool-Call-Id": call.tool_call_id,
      "X-Tool-Name": call.tool,
      "X-Tool-Function": call.function,
      "X-Tool-Turn": String(call.sequence),
    };
  }

  finish(call: TracedCall, status: number, text: string): void {
    if (call.done) return;
    call.status_code = status;
    call.result = text.slice(0, TRACE_RESULT_LIMIT);
    call.done = true;
    this.#listener?.finished(call);
  }

  fail(call: TracedCall, error: unknown): void {
    const status = (error as { status?: unknown } | undefined)?.status;
    this.finish(
      call,
      typeof status === "number" ? status : 0,
      error instanceof Error ? error.message : String(error),
    );
  }

  /** Keeps track of a background body capture, so {@link settle} can wait for it. */
  track(work: Promise<unknown>): void {
    this.#pending ??= new Set();
    const pending = this.#pending;
    const tracked = work.catch(() => undefined).finally(() => pending.delete(tracked));
    pending.add(tracked);
  }

  /**
   * Runs `fn` when {@link settle} is called, before it waits: a capture that starts only when
   * needed (a response body nobody read yet) starts there, or tracks the read in flight.
   */
  beforeSettle(fn: () => void): void {
    this.#beforeSettle ??= [];
    this.#beforeSettle.push(fn);
  }

  /** Waits (at most `timeoutMs`) for the body captures still running. */
  async settle(timeoutMs = 2000): Promise<void> {
    const before = this.#beforeSettle;
    this.#beforeSettle = undefined;
    if (before) for (const fn of before) fn();
    if (!this.#pending || this.#pending.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all(this.#pending), timeout]);
    clearTimeout(timer);
  }
}

export function toToolCallsMade(calls: readonly TracedCall[]): ToolCallMade[] {
  return calls.map((c) => ({
    function: c.function,
    tool: c.tool,
    method: c.method,
    url: c.url,
    status_code: c.status_code,
    source: c.source,
    arguments: c.request_body,
    result: c.result,
  }));
}
