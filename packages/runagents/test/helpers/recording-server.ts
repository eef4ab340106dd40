/**
 * @module
 * A real `node:http` server on port 0 that records every request and answers with scripted responses,
 * so tests observe exactly what the Client puts on the wire.
 */

import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Client, type ClientOptions } from "../../src/index.js";

export interface RecordedRequest {
  method: string;
  /** The raw request target, still percent-encoded: `/api/v1/agents/a%2Fb?x=1`. */
  url: string;
  /** `url` without the query string. */
  path: string;
  /** The raw query string without `?` (`""` when none). */
  search: string;
  headers: IncomingHttpHeaders;
  /** The raw body (`""` when none was sent). */
  body: string;
  /** The body JSON-parsed, or `undefined` when it was empty. */
  json: unknown;
}

export interface ScriptedResponse {
  /** @default 200 */
  status?: number;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as is (text/plain unless `headers` say otherwise). */
  text?: string;
  /** Written one at a time, each after the previous one was flushed (for SSE). */
  chunks?: string[];
  headers?: Record<string, string>;
  /** Never answer (for timeout and abort tests). */
  hang?: boolean;
}

export type Responder = ScriptedResponse | ((request: RecordedRequest) => ScriptedResponse);

export class RecordingServer {
  readonly requests: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #queue: Responder[] = [];
  #fallback: Responder = { json: {} };
  #waiters: { count: number; resolve: () => void }[] = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<RecordingServer> {
    const server = createServer();
    const recorder = new RecordingServer(server);
    server.on("request", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const url = req.url ?? "/";
        const q = url.indexOf("?");
        const recorded: RecordedRequest = {
          method: req.method ?? "",
          url,
          path: q === -1 ? url : url.slice(0, q),
          search: q === -1 ? "" : url.slice(q + 1),
          headers: req.headers,
          body,
          json: body === "" ? undefined : JSON.parse(body),
        };
        recorder.requests.push(recorded);
        recorder.#notify();
        const responder = recorder.#queue.shift() ?? recorder.#fallback;
        const reply = typeof responder === "function" ? responder(recorded) : responder;
        void recorder.#send(res, reply);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return recorder;
  }

  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Queue responses, used in order, one per request. */
  reply(...responses: Responder[]): this {
    this.#queue.push(...responses);
    return this;
  }

  /** The response used when the queue is empty (default `200 {}`). */
  otherwise(responder: Responder): this {
    this.#fallback = responder;
    return this;
  }

  /** Resolves once `count` requests in total have been recorded. */
  waitForRequests(count = 1): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /** The only recorded request (fails the test if there were more or fewer). */
  only(): RecordedRequest {
    if (this.requests.length !== 1) throw new Error(`expected 1 request, got ${this.requests.length}`);
    return this.requests[0] as RecordedRequest;
  }

  /** `METHOD url` of every recorded request. */
  calls(): string[] {
    return this.requests.map((r) => `${r.method} ${r.url}`);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #notify(): void {
    const ready = this.#waiters.filter((w) => this.requests.length >= w.count);
    this.#waiters = this.#waiters.filter((w) => this.requests.length < w.count);
    for (const waiter of ready) waiter.resolve();
  }

  async #send(res: ServerResponse, reply: ScriptedResponse): Promise<void> {
    if (reply.hang) return;
    const headers: Record<string, string> = { ...reply.headers };
    let body = "";
    if (reply.json !== undefined) {
      headers["content-type"] ??= "application/json";
      body = JSON.stringify(reply.json);
    } else if (reply.text !== undefined) {
      headers["content-type"] ??= "text/plain";
      body = reply.text;
    }
    res.writeHead(reply.status ?? 200, headers);
    if (reply.chunks) {
      res.flushHeaders();
      for (const chunk of reply.chunks) {
        await new Promise<void>((resolve) => res.write(chunk, () => resolve()));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      res.end();
      return;
    }
    res.end(body);
  }
}

/** A Client pointed at `server` that never reads the user's config file. */
export function clientFor(server: RecordingServer, options: ClientOptions = {}): Client {
  return new Client({ endpoint: server.url, apiKey: "", namespace: "default", ...options });
}

/** Start a server for one test and close it afterwards: `const server = await serve(t)`. */
export async function serve(t: { after: (fn: () => Promise<void>) => void }): Promise<RecordingServer> {
  const server = await RecordingServer.start();
  t.after(() => server.close());
  return server;
}
