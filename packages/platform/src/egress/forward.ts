/**
 * @module egress/forward
 * The wire half of the egress: send one request to the tool and stream its answer back to the
 * agent. Request bodies are either already buffered or streamed through as they arrive (hashed on
 * the way); responses are written into the agent's response chunk by chunk as they arrive, with
 * backpressure (the tool's connection is paused while the agent's is full). Hop-by-hop headers
 * are dropped in both directions. No answer within the tool's timeout gives
 * `504 {"code": "UPSTREAM_TIMEOUT"}`; a connection failure gives
 * `502 {"code": "UPSTREAM_UNAVAILABLE"}`. The agent hanging up aborts the upstream call.
 *
 * Built on undici's `dispatch()` handler API: one handler object per call (no streams, no
 * per-chunk closures), connections pooled per origin by one undici `Agent`.
 */
import { createHash, type Hash } from "node:crypto";
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { Agent, type buildConnector, type Dispatcher } from "undici";
import { keptAliveConnector, lostOnReusedConnection } from "../kept-alive.js";

/** Never forwarded in either direction (RFC 9110 §7.6.1), plus framing Node redoes itself. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
]);

export const EMPTY_SHA256 = `sha256:${createHash("sha256").digest("hex")}`;

/** Hashes of buffered bodies: the egress hashes a body for `TOOL_REQUEST`, `forward` reuses it. */
const bodyHashes = new WeakMap<Buffer, string>();

export const sha256 = (body: Buffer): string => {
  if (body.length === 0) return EMPTY_SHA256;
  let hash = bodyHashes.get(body);
  if (hash === undefined) {
    hash = `sha256:${createHash("sha256").update(body).digest("hex")}`;
    bodyHashes.set(body, hash);
  }
  return hash;
};

/**
 * The names a `Connection` header lists that are not hop-by-hop already (those are hop-by-hop
 * too), or undefined when there are none (the usual `keep-alive` / `close`).
 */
function listedTokens(value: string | readonly string[] | undefined): Set<string> | undefined {
  if (value === undefined || value === "keep-alive" || value === "close") return undefined;
  let listed: Set<string> | undefined;
  for (const part of typeof value === "string" ? [value] : value) {
    for (const raw of part.split(",")) {
      const token = raw.trim().toLowerCase();
      if (token === "" || HOP_BY_HOP.has(token)) continue;
      if (listed === undefined) listed = new Set();
      listed.add(token);
    }
  }
  return listed;
}

/**
 * The agent's headers minus hop-by-hop ones and everything in `drop` (lower-case names): the
 * egress sets identity and credentials itself.
 */
export function forwardableHeaders(
  headers: IncomingHttpHeaders,
  drop: ReadonlySet<string>,
): OutgoingHttpHeaders {
  const listed = listedTokens(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || drop.has(name) || listed?.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * The tool's raw response headers as a flat `[name, value, ...]` list for `writeHead`, minus
 * hop-by-hop ones; repeated headers (set-cookie) stay separate lines. Names are lower-cased,
 * values kept byte for byte (latin1, as Node's parser reads them).
 */
function answerHeaders(raw: Buffer[]): string[] {
  const out: string[] = [];
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as Buffer).toString("latin1").toLowerCase();
    const value = (raw[i + 1] as Buffer).toString("latin1");
    if (HOP_BY_HOP.has(name)) {
      if (name === "connection") {
        const tokens = listedTokens(value);
        if (tokens) listed = listed ? new Set([...listed, ...tokens]) : tokens;
      }
      continue;
    }
    out.push(name, value);
  }
  if (listed === undefined) return out;
  const kept: string[] = [];
  for (let i = 0; i < out.length; i += 2) {
    if (!listed.has(out[i] as string)) kept.push(out[i] as string, out[i + 1] as string);
  }
  return kept;
}

/** One connector per connect timeout (connectors are cheap; tools share a few timeouts). */
const connectors = new Map<number, buildConnector.connector>();

function connectorFor(timeoutMs: number): buildConnector.connector {
  let connector = connectors.get(timeoutMs);
  if (!connector) {
    connector = keptAliveConnector(timeoutMs);
    connectors.set(timeoutMs, connector);
  }
  return connector;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const noop = (): void => undefined;

/**
 * The egress's upstream connections: one undici `Agent` (a keep-alive pool per tool origin).
 * Connecting to a tool counts against that tool's answer timeout, as before headers arrive.
 */
export class Pools {
  readonly agent: Agent;
  readonly #connectTimeouts = new Map<string, number>();

  constructor() {
    const timeouts = this.#connectTimeouts;
    this.agent = new Agent({
      connections: 512,
      pipelining: 1,
      keepAliveTimeout: 4_000,
      connect: (options, callback) =>
        connectorFor(timeouts.get(`${options.protocol}//${options.host}`) ?? DEFAULT_CONNECT_TIMEOUT_MS)(
          options,
          callback,
        ),
    });
  }

  /** Connections to `origin` opened from now on give up after `timeoutMs`. */
  connectTimeout(origin: string, timeoutMs: number): void {
    if (this.#connectTimeouts.get(origin) !== timeoutMs) this.#connectTimeouts.set(origin, timeoutMs);
  }

  /** Drops every pooled connection and aborts the calls in flight. */
  close(): void {
    this.agent.destroy().catch(noop);
  }
}

export function createPools(): Pools {
  return new Pools();
}

export interface ForwardRequest {
  tool: string;
  method: string;
  url: URL;
  headers: OutgoingHttpHeaders;
  /** A buffered body, or the agent's request to stream through. */
  body: Buffer | IncomingMessage;
  timeoutMs: number;
}

export interface ForwardOutcome {
  /** The status the agent got (the tool's, or 502 / 504 from the egress). */
  status: number;
  /** Set when the egress answered instead of the tool, or the exchange broke off. */
  error?: string;
  durationMs: number;
  responseBytes: number;
  /** `sha256:` of the response body the agent received (when it was received whole). */
  responseHash: string;
  /** `sha256:` of the request body as it went out. */
  requestHash: string;
}

/** Forwards and streams the answer into `res`; resolves when the exchange is over. */
export function forward(pools: Pools, input: ForwardRequest, res: ServerResponse): Promise<ForwardOutcome> {
  return new Promise((resolve) => new Forwarding(pools, input, res, resolve).start());
}

const kForwarding = Symbol("forwarding");
type TrackedResponse = ServerResponse & { [kForwarding]?: Forwarding };

function onAgentClose(this: TrackedResponse): void {
  this[kForwarding]?.agentClosed();
}

function onAgentDrain(this: TrackedResponse): void {
  this[kForwarding]?.agentDrained();
}

function onUploadIdle(call: Forwarding): void {
  call.uploadIdle();
}

/** Methods retried once when a kept-alive connection turns out closed before any answer. */
const RETRIED_ON_STALE_CONNECTION = new Set(["GET", "HEAD", "OPTIONS"]);
/** Errors of a connection the tool closed (or reset) under a request. */
const CONNECTION_CLOSED = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

interface ErrorWithCode extends Error {
  code?: string;
}

/** One call in flight: the undici dispatch handler, writing the answer straight into `res`. */
class Forwarding {
  readonly #pools: Pools;
  readonly #input: ForwardRequest;
  readonly #res: TrackedResponse;
  readonly #resolve: (outcome: ForwardOutcome) => void;
  readonly #started = performance.now();
  #options: Agent.DispatchOptions | null = null;
  /** Aborts the upstream request; null until it is on a connection. */
  #abort: ((err?: Error) => void) | null = null;
  /** Resumes the paused tool connection; null outside the answer. */
  #resume: (() => void) | null = null;
  /** The tool's status once its answer's headers are in, 0 before. */
  #status = 0;
  #settled = false;
  #retried = false;
  #listensForDrain = false;
  #responseBytes = 0;
  #responseHasher: Hash | null = null;
  /** Streamed request bodies only (buffered ones are hashed whole, once). */
  #requestHasher: Hash | null = null;
  /** Streamed request bodies only: the tool's timeout while the body is still going out. */
  #uploadTimer: NodeJS.Timeout | null = null;

  constructor(
    pools: Pools,
    input: ForwardRequest,
    res: ServerResponse,
    resolve: (outcome: ForwardOutcome) => void,
  ) {
    this.#pools = pools;
    this.#input = input;
    this.#res = res;
    this.#resolve = resolve;
  }

  start(): void {
    const input = this.#input;
    const res = this.#res;
    res[kForwarding] = this;
    res.on("close", onAgentClose);
    const url = input.url;
    const origin = url.origin;
    this.#pools.connectTimeout(origin, input.timeoutMs);
    if (!(input.body instanceof Buffer)) {
      this.#requestHasher = createHash("sha256");
      this.#uploadTimer = setTimeout(onUploadIdle, input.timeoutMs, this);
    }
    const options: Agent.DispatchOptions = {
      origin,
      path: `${url.pathname}${url.search}`,
      method: input.method as Dispatcher.HttpMethod,
      headers: input.headers as Record<string, string | string[]>,
      body: input.body,
      headersTimeout: input.timeoutMs,
      bodyTimeout: input.timeoutMs,
    };
    this.#options = options;
    this.#pools.agent.dispatch(options, this as Dispatcher.DispatchHandlers);
  }

  // --- undici's dispatch handler ---

  onConnect(abort: (err?: Error) => void): void {
    if (this.#settled) abort();
    else this.#abort = abort;
  }

  onBodySent(chunk: unknown): void {
    if (this.#requestHasher === null) return;
    this.#requestHasher.update(chunk as Buffer);
    this.#uploadTimer?.refresh();
  }

  /** The whole request is out: undici's headersTimeout watches the wait for the answer now. */
  onRequestSent(): void {
    this.#stopUploadTimer();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true; // 1xx: informational, the final answer follows
    this.#stopUploadTimer();
    this.#res.writeHead(statusCode, statusText, answerHeaders(rawHeaders));
    this.#status = statusCode;
    this.#resume = resume;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#responseBytes += chunk.length;
    if (this.#responseHasher === null) this.#responseHasher = createHash("sha256");
    this.#responseHasher.update(chunk);
    if (this.#res.write(chunk)) return true;
    // The agent's side is full: undici pauses the tool's connection until 'drain'.
    if (!this.#listensForDrain) {
      this.#listensForDrain = true;
      this.#res.on("drain", onAgentDrain);
    }
    return false;
  }

  onComplete(): void {
    this.#resume = null;
    if (this.#settled) return;
    this.#res.end();
    this.#finish(this.#status);
  }

  onError(err: ErrorWithCode): void {
    this.#resume = null;
    if (this.#settled) return;
    const tool = this.#input.tool;
    const code = err.code;
    if (this.#status === 0) {
      if (this.#retryable(err)) {
        this.#retried = true;
        this.#abort = null;
        this.#pools.agent.dispatch(
          this.#options as Agent.DispatchOptions,
          this as Dispatcher.DispatchHandlers,
        );
        return;
      }
      if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT") {
        this.#fail(
          504,
          "UPSTREAM_TIMEOUT",
          `tool ${tool} did not answer within ${this.#input.timeoutMs / 1000}s`,
        );
      } else {
        const reason = code === "UND_ERR_SOCKET" ? "ECONNRESET" : (code ?? err.message);
        this.#fail(502, "UPSTREAM_UNAVAILABLE", `tool ${tool} is unreachable: ${reason}`);
      }
    } else if (code === "UND_ERR_BODY_TIMEOUT") {
      this.#fail(
        502,
        "UPSTREAM_TIMEOUT",
        `tool ${tool} stalled for ${this.#input.timeoutMs / 1000}s mid-answer`,
      );
    } else {
      const closed = CONNECTION_CLOSED.has(code ?? "") || code === "UND_ERR_RES_CONTENT_LENGTH_MISMATCH";
      this.#fail(502, "UPSTREAM_UNAVAILABLE", `tool ${tool} broke off: ${closed ? "aborted" : err.message}`);
    }
  }

  // --- the agent's side ---

  agentClosed(): void {
    if (this.#settled || this.#res.writableFinished) return;
    this.#finish(499, "the agent closed the connection");
    this.#abort?.(); // settled first: the abort's onError is ignored
  }

  agentDrained(): void {
    if (this.#settled) return;
    this.#resume?.();
  }

  uploadIdle(): void {
    this.#uploadTimer = null;
    if (this.#settled || this.#status !== 0) return;
    this.#fail(
      504,
      "UPSTREAM_TIMEOUT",
      `tool ${this.#input.tool} did not answer within ${this.#input.timeoutMs / 1000}s`,
    );
    this.#abort?.();
  }

  /**
   * A safe method with a buffered body, once, when a kept-alive connection the tool had closed
   * broke under it before any answer (`kept-alive`, as the gateway does).
   */
  #retryable(err: Error): boolean {
    return (
      !this.#retried &&
      this.#abort !== null &&
      lostOnReusedConnection(err) &&
      this.#input.body instanceof Buffer &&
      RETRIED_ON_STALE_CONNECTION.has(this.#input.method)
    );
  }

  #stopUploadTimer(): void {
    if (this.#uploadTimer !== null) {
      clearTimeout(this.#uploadTimer);
      this.#uploadTimer = null;
    }
  }

  #fail(status: number, code: string, error: string): void {
    const res = this.#res;
    if (!res.headersSent) {
      const text = JSON.stringify({ error, code, tool: this.#input.tool });
      res.writeHead(status, {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": Buffer.byteLength(text),
      });
      res.end(text);
    } else {
      res.destroy();
    }
    this.#finish(status, error);
  }

  #finish(status: number, error?: string): void {
    this.#settled = true;
    this.#stopUploadTimer();
    const body = this.#input.body;
    const outcome: ForwardOutcome = {
      status,
      durationMs: Math.round((performance.now() - this.#started) * 100) / 100,
      responseBytes: this.#responseBytes,
      responseHash: this.#responseHasher ? `sha256:${this.#responseHasher.digest("hex")}` : EMPTY_SHA256,
      requestHash:
        body instanceof Buffer ? sha256(body) : `sha256:${(this.#requestHasher as Hash).digest("hex")}`,
    };
    if (error) outcome.error = error;
    this.#resolve(outcome);
  }
}
