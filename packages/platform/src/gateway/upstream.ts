/**
 * @module gateway/upstream
 * HTTP to model providers over undici's `Agent` (its low-level `dispatch`: no stream objects,
 * one handler object per call): kept-alive connections (one TCP/TLS connection serves many
 * calls), an inactivity timeout, cancellation when the caller goes away, one retry of a call that
 * hit a kept-alive connection the provider had closed while it sat idle (the request never
 * reached it). Reading answers is `gateway/answers`; provider keys and scrubbing, `gateway/provider-keys`.
 */
import type { IncomingHttpHeaders } from "node:http";
import { Agent, type Dispatcher } from "undici";
import { keptAliveConnector, lostOnReusedConnection } from "../kept-alive.js";
import { type CallSignal, ProviderError } from "./types.js";

/** Inactivity limit of one upstream call (no byte for this long fails it). */
export const UPSTREAM_TIMEOUT_MS = 120_000;
/** The largest non-streamed upstream answer read into memory. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** A streamed answer is paused while this much of it waits for its reader. */
const HIGH_WATER_BYTES = 64 * 1024;
/** How long an idle kept-alive connection is kept (less when the server says so). */
const KEEP_ALIVE_MS = 30_000;

/** One undici agent per inactivity limit (the connect timeout is the agent's). */
const agents = new Map<number, Agent>();
function agentFor(timeoutMs: number): Agent {
  let agent = agents.get(timeoutMs);
  if (!agent) {
    agent = new Agent({
      keepAliveTimeout: KEEP_ALIVE_MS,
      pipelining: 1,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: keptAliveConnector(timeoutMs),
    });
    agents.set(timeoutMs, agent);
  }
  return agent;
}

/** Where a request goes: an origin and a path (with its query), e.g. from {@link endpointOf}. */
export interface Endpoint {
  /** `http://host:port` */
  origin: string;
  /** Path and query. */
  path: string;
  /** `host:port` as written, for messages. */
  host: string;
  hostname: string;
  /** `Basic …` from credentials in the URL (`http://user:pass@host`), sent unless the call has its own. */
  authorization?: string;
}

export function endpointOf(url: URL): Endpoint {
  const endpoint: Endpoint = {
    origin: url.origin,
    path: `${url.pathname}${url.search}`,
    host: url.host,
    hostname: url.hostname,
  };
  if (url.username || url.password) {
    const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    endpoint.authorization = `Basic ${Buffer.from(credentials).toString("base64")}`;
  }
  return endpoint;
}

export interface UpstreamRequest {
  url: URL | Endpoint;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal: CallSignal;
  timeoutMs?: number;
}

/** An answer's body, read once: as a whole ({@link readText}) or chunk by chunk. */
export interface UpstreamBody extends AsyncIterable<Buffer> {
  readonly destroyed: boolean;
  /** Stops the call (its connection is closed). */
  destroy(): void;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: UpstreamBody;
}

/** Sends one request; resolves with the response head. Network failures become ProviderError. */
export function sendUpstream(request: UpstreamRequest): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    new Exchange(request, resolve, reject, undefined).start();
  });
}

/**
 * Sends one request and reads the whole answer as text (at most 32 MiB): the cheap path of a
 * non-streamed call. Network failures and a cut-off answer become ProviderError.
 */
export function requestText(request: UpstreamRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    new Exchange(request, undefined, reject, resolve).start();
  });
}

/** Where a call is: waiting for the answer's head, reading its body, complete, failed. */
const Phase = { Head: 0, Body: 1, Done: 2, Failed: 3 } as const;
type Phase = (typeof Phase)[keyof typeof Phase];

/** How the body is read. */
const Mode = {
  /** Nobody reads yet: chunks are held (the call pauses past the high-water mark). */
  Idle: 0,
  /** The whole body is wanted as text. */
  Text: 1,
  /** Read chunk by chunk. */
  Iterate: 2,
  /** The reader stopped early: the rest is read and dropped so the connection can be reused. */
  Drain: 3,
} as const;
type Mode = (typeof Mode)[keyof typeof Mode];

type HeadResolve = (res: UpstreamResponse) => void;
type TextResolve = (answer: { status: number; text: string }) => void;

/**
 * One upstream call: undici's dispatch handler, the response and its body in one object (the
 * response head resolves `sendUpstream`, or the whole text `requestText`).
 */
class Exchange implements Dispatcher.DispatchHandlers, UpstreamResponse, UpstreamBody {
  status = 0;
  #rawHeaders: Buffer[] | undefined;
  #headers: IncomingHttpHeaders | undefined;
  #phase: Phase = Phase.Head;
  #mode: Mode = Mode.Idle;
  #retried = false;
  #chunks: Buffer[] = [];
  #size = 0;
  #error: Error | undefined;
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #paused = false;
  #listening = false;
  #cancelled = false;
  #waiter: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: unknown) => void } | undefined;
  #textResolve: ((text: string) => void) | undefined;
  #textReject: ((err: unknown) => void) | undefined;

  constructor(
    private readonly request: UpstreamRequest,
    private readonly onHead: HeadResolve | undefined,
    private readonly onFail: (err: unknown) => void,
    private readonly onText: TextResolve | undefined,
  ) {
    if (onText) this.#mode = Mode.Text;
  }

  get body(): UpstreamBody {
    return this;
  }

  get headers(): IncomingHttpHeaders {
    if (!this.#headers) {
      const headers: IncomingHttpHeaders = {};
      const raw = this.#rawHeaders ?? [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const name = (raw[i] as Buffer).toString("latin1").toLowerCase();
        const value = (raw[i + 1] as Buffer).toString("latin1");
        const prev = headers[name];
        if (prev === undefined) headers[name] = value;
        else if (Array.isArray(prev)) prev.push(value);
        else headers[name] = name === "set-cookie" ? [prev, value] : `${prev}, ${value}`;
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  get destroyed(): boolean {
    return this.#phase === Phase.Failed;
  }

  start(): void {
    const { request } = this;
    const { signal } = request;
    if (signal.aborted) {
      this.#phase = Phase.Failed;
      this.onFail(new ProviderError("the call was cancelled"));
      return;
    }
    if (!this.#listening) {
      signal.addEventListener("abort", this);
      this.#listening = true;
    }
    const url = request.url instanceof URL ? endpointOf(request.url) : request.url;
    const timeoutMs = request.timeoutMs ?? UPSTREAM_TIMEOUT_MS;
    let headers: Record<string, string> | undefined = request.headers;
    if (request.body !== undefined && (headers === undefined || headers["content-type"] === undefined)) {
      headers = { ...headers, "content-type": "application/json" };
    }
    if (url.authorization && headers?.authorization === undefined) {
      headers = { ...headers, authorization: url.authorization };
    }
    agentFor(timeoutMs).dispatch(
      {
        origin: url.origin,
        path: url.path,
        method: (request.method ?? "GET") as Dispatcher.HttpMethod,
        headers: headers ?? null,
        body: request.body ?? null,
      },
      this,
    );
  }

  /** The caller went away (the signal's `abort` event). */
  handleEvent(): void {
    this.#cancelled = true;
    const err = new ProviderError("the call was cancelled");
    if (this.#abort) this.#abort(err);
    else this.onError(err);
  }

  #unlisten(): void {
    if (this.#listening) {
      this.#listening = false;
      this.request.signal.removeEventListener("abort", this);
    }
  }

  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#cancelled || this.#phase === Phase.Failed) abort(new ProviderError("the call was cancelled"));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200 || this.#phase !== Phase.Head) return true;
    this.status = statusCode;
    this.#rawHeaders = rawHeaders;
    this.#resume = resume;
    this.#phase = Phase.Body;
    this.onHead?.(this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    switch (this.#mode) {
      case Mode.Text:
        this.#size += chunk.length;
        if (this.#size > MAX_RESPONSE_BYTES) {
          this.#abort?.(new ProviderError("the provider's answer is too large"));
          return false;
        }
        this.#chunks.push(chunk);
        return true;
      case Mode.Drain:
        return true;
      case Mode.Iterate:
        if (this.#waiter) {
          const waiter = this.#waiter;
          this.#waiter = undefined;
          waiter.resolve({ done: false, value: chunk });
          return true;
        }
        break;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (this.#size < HIGH_WATER_BYTES) return true;
    this.#paused = true;
    return false;
  }

  onComplete(): void {
    this.#unlisten();
    this.#phase = Phase.Done;
    if (this.#mode === Mode.Text) this.#finishText();
    else if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve({ done: true, value: undefined });
    }
  }

  onError(err: Error): void {
    if (this.#phase === Phase.Failed || this.#phase === Phase.Done) return;
    const phase = this.#phase;
    this.#phase = Phase.Failed;
    this.#abort = undefined;
    if (phase === Phase.Head) {
      if (!this.#retried && !this.#cancelled && lostOnReusedConnection(err)) {
        // A kept-alive connection the server closed while idle: the request never reached it.
        this.#retried = true;
        this.#phase = Phase.Head;
        this.start();
        return;
      }
      this.#unlisten();
      this.onFail(err instanceof ProviderError ? err : new ProviderError(networkMessage(err, this.request)));
      return;
    }
    this.#unlisten();
    this.#error = err;
    this.#chunks = [];
    if (this.#mode === Mode.Text) this.#failText(err);
    else if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.reject(err);
    }
  }

  destroy(): void {
    if (this.#phase === Phase.Body) this.#abort?.(new ProviderError("aborted"));
  }

  /** The whole body as text (see {@link readText}). */
  text(): Promise<string> {
    if (this.#mode === Mode.Iterate || this.#mode === Mode.Drain) {
      return Promise.reject(new ProviderError("the provider's answer was already read"));
    }
    this.#mode = Mode.Text;
    return new Promise((resolve, reject) => {
      this.#textResolve = resolve;
      this.#textReject = reject;
      if (this.#phase === Phase.Done) this.#finishText();
      else if (this.#phase === Phase.Failed) this.#failText(this.#error ?? new Error("aborted"));
      else if (this.#paused) {
        this.#paused = false;
        this.#resume?.();
      }
    });
  }

  #finishText(): void {
    const chunks = this.#chunks;
    this.#chunks = [];
    const text =
      chunks.length === 1
        ? (chunks[0] as Buffer).toString("utf8")
        : chunks.length === 0
          ? ""
          : Buffer.concat(chunks).toString("utf8");
    if (this.onText) this.onText({ status: this.status, text });
    else this.#textResolve?.(text);
  }

  #failText(err: Error): void {
    if (this.onText && (this.status < 200 || this.status >= 300)) {
      // An error answer cut short: its status still says what happened (as `failFrom` does).
      this.onText({ status: this.status, text: "" });
      return;
    }
    const failure =
      err instanceof ProviderError && err.message === "the provider's answer is too large"
        ? err
        : new ProviderError(`the provider's answer was cut off: ${err.message}`);
    if (this.onText) this.onFail(failure);
    else this.#textReject?.(failure);
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    if (this.#mode === Mode.Idle) this.#mode = Mode.Iterate;
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.#chunks.shift();
    if (chunk) {
      this.#size -= chunk.length;
      if (this.#paused && this.#size < HIGH_WATER_BYTES) {
        this.#paused = false;
        this.#resume?.();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.#phase === Phase.Done) return Promise.resolve({ done: true, value: undefined });
    if (this.#phase === Phase.Failed) return Promise.reject(this.#error ?? new Error("aborted"));
    if (this.#paused) {
      this.#paused = false;
      this.#resume?.();
    }
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  /** The reader stopped early: read the rest and drop it, so the connection serves the next call. */
  return(): Promise<IteratorResult<Buffer>> {
    if (this.#phase === Phase.Body) {
      this.#mode = Mode.Drain;
      this.#chunks = [];
      this.#size = 0;
      if (this.#paused) {
        this.#paused = false;
        this.#resume?.();
      }
    }
    return Promise.resolve({ done: true, value: undefined });
  }
}

function networkMessage(err: Error, request: UpstreamRequest): string {
  const { url } = request;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ECONNREFUSED") return `connection refused by ${url.host}`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `cannot resolve host ${url.hostname}`;
  if (code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET") {
    return `connection to ${url.host} was reset`;
  }
  if (
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT"
  ) {
    return `no answer from ${url.host} within ${(request.timeoutMs ?? UPSTREAM_TIMEOUT_MS) / 1000} s`;
  }
  return err.message || `network error reaching ${url.host}`;
}

/** Reads a whole (non-streamed) body as text (at most 32 MiB). */
export function readText(body: UpstreamBody): Promise<string> {
  return (body as Exchange).text();
}
