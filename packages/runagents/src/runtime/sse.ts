/**
 * @module
 * The runtime's server-sent events: `data: <json>\n\n` per event (no `event:` or `id:` lines), each
 * written as soon as it is produced, and the literal `data: [DONE]` sentinel last.
 */

import type { ServerResponse } from "node:http";

/** An SSE event of the runtime (`type`-tagged). */
export type RuntimeEvent = { type: string } & Record<string, unknown>;

/** Where invoke and resume send their events; the sync paths use a sink that drops them. */
export interface EventSink {
  readonly streaming: boolean;
  send(event: RuntimeEvent): void;
}

export const NO_EVENTS: EventSink = { streaming: false, send() {} };

export class SseWriter implements EventSink {
  readonly streaming = true;
  #res: ServerResponse;
  #ended = false;

  constructor(res: ServerResponse, requestId: string) {
    this.#res = res;
    res.writeHead(200, {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      "X-Accel-Buffering": "no",
      "X-Request-Id": requestId,
    });
    res.flushHeaders();
  }

  send(event: RuntimeEvent): void {
    if (this.#ended || this.#res.destroyed) return;
    this.#res.write(`data: ${JSON.stringify(event)}\n\n`);
  }

  /** Writes `data: [DONE]` and ends the response. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.#res.destroyed) this.#res.end("data: [DONE]\n\n");
  }
}
