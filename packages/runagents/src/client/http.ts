/**
 * @module
 * The transport under every Client call: endpoint normalisation, URL joining, auth headers, timeouts,
 * cancellation and the mapping of failures to SDK errors. Uses the global `fetch` unless one is injected.
 */

import {
  APIError,
  abortedError,
  RunAgentsConnectionError,
  RunAgentsError,
  RunAgentsTimeoutError,
} from "../errors.js";

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export type QueryScalar = string | number | boolean;
/** Query parameters; `undefined`/`null` are skipped and arrays become repeated keys (`?tag=a&tag=b`). */
export type Query = Readonly<Record<string, QueryScalar | readonly QueryScalar[] | undefined | null>>;

/** Options every Client method accepts as its last argument. */
export interface CallOptions {
  /** Cancels this call (in addition to the client-wide signal). */
  signal?: AbortSignal;
  /** Per-request timeout in milliseconds; overrides the client's `timeoutMs`. */
  timeoutMs?: number;
}

export interface RequestOptions extends CallOptions {
  query?: Query;
  /** JSON-encoded when not `undefined`; no body is sent otherwise. */
  body?: unknown;
  /** Base URL to use instead of the client's (e.g. another workspace). */
  base?: string;
  headers?: Readonly<Record<string, string>>;
}

const SCHEME_AND_HOST = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]+)([^?#]*)/;

/**
 * Normalise a platform endpoint to its `/api/v1` base (api-contract §1.2): trim, drop trailing `/`,
 * drop query and fragment; keep `/api/v1` and `/api/v1/workspaces/...`; prefix `/workspaces/...` with
 * `/api/v1`; append `/api/v1` to anything else. A string without scheme or host is returned as is.
 */
export function normalizeEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim().replace(/\/+$/, "");
  const match = SCHEME_AND_HOST.exec(trimmed);
  if (!match) return trimmed;
  const [, scheme = "", host = "", rawPath = ""] = match;
  const path = rawPath.replace(/\/+$/, "");
  let normalized: string;
  if (path === "/api/v1" || path.startsWith("/api/v1/workspaces/")) normalized = path;
  else if (path.startsWith("/workspaces/")) normalized = `/api/v1${path}`;
  else normalized = `${path}/api/v1`;
  return `${scheme}${host}${normalized}`;
}

/**
 * The base URL that addresses `namespace`: a normalised endpoint that already names a workspace is kept;
 * an empty or `default` namespace keeps the endpoint; any other appends `/workspaces/{namespace}`.
 */
export function workspaceBaseUrl(normalizedEndpoint: string, namespace: string): string {
  const ns = namespace.trim();
  if (ns === "" || ns === "default" || normalizedEndpoint.includes("/workspaces/")) return normalizedEndpoint;
  return `${normalizedEndpoint}/workspaces/${encodeURIComponent(ns)}`;
}

/** The auth header for an API key: `ra_ws_*` → `X-RunAgents-API-Key`, other → Bearer, empty → none. */
export function authHeaders(apiKey: string): Record<string, string> {
  const key = apiKey.trim();
  if (key === "") return {};
  if (key.startsWith("ra_ws_")) return { "X-RunAgents-API-Key": key };
  return { Authorization: `Bearer ${key}` };
}

/** Encode every interpolated value as one path segment: urlPath`/agents/${name}/config`. */
export function urlPath(strings: TemplateStringsArray, ...segments: readonly string[]): string {
  let out = strings[0] ?? "";
  segments.forEach((segment, i) => {
    out += encodeURIComponent(segment) + (strings[i + 1] ?? "");
  });
  return out;
}

/** Encode `query` as form data with repeated keys for arrays; "" when nothing remains. */
export function encodeQuery(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    const values: readonly QueryScalar[] = Array.isArray(value) ? value : [value as QueryScalar];
    for (const item of values) params.append(key, String(item));
  }
  return params.toString();
}

/**
 * Join `base` and `path` (api-contract §1.3): an `http://`/`https://` path is absolute; otherwise the
 * path gets exactly one leading `/` (`/` alone becomes empty). The query is appended with `?` or `&`.
 */
export function joinUrl(base: string, path: string, query?: Query): string {
  let url: string;
  if (/^https?:\/\//i.test(path)) url = path;
  else {
    const rest = path.replace(/^\/+/, "");
    url = base + (rest === "" ? "" : `/${rest}`);
  }
  const encoded = encodeQuery(query);
  if (encoded === "") return url;
  return url + (url.includes("?") ? "&" : "?") + encoded;
}

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  fetch?: FetchLike | undefined;
  signal?: AbortSignal | undefined;
}

/** Parse a 2xx body: JSON when possible, the raw text otherwise, `""` when empty. */
export function parseBody(text: string): unknown {
  if (text === "") return "";
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function connectionReason(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause;
    if (cause instanceof Error && cause.message) return cause.message;
    if (cause && typeof cause === "object" && "code" in cause) return String(cause.code);
    return error.message;
  }
  return String(error);
}

/** One request's cancellation: the caller's signals plus a timer that can be stopped. */
class Cancellation {
  readonly controller = new AbortController();
  timedOut = false;
  readonly #signals: AbortSignal[];
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onAbort = (): void => this.controller.abort();

  constructor(signals: (AbortSignal | undefined)[], timeoutMs: number) {
    this.#signals = signals.filter((s): s is AbortSignal => s !== undefined);
    for (const signal of this.#signals) signal.addEventListener("abort", this.#onAbort, { once: true });
    if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
      this.#timer = setTimeout(() => {
        this.timedOut = true;
        this.controller.abort();
      }, timeoutMs);
    }
  }

  /** The fired caller signal, if any. */
  aborted(): AbortSignal | undefined {
    return this.#signals.find((s) => s.aborted);
  }

  stopTimer(): void {
    clearTimeout(this.#timer);
  }

  dispose(): void {
    this.stopTimer();
    for (const signal of this.#signals) signal.removeEventListener("abort", this.#onAbort);
  }
}

/** Sends requests to the platform. One instance per Client. */
export class Transport {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly #apiKey: string;
  readonly #fetch: FetchLike;
  /** The client-wide abort signal, if any. */
  readonly signal: AbortSignal | undefined;

  constructor(options: TransportOptions) {
    this.baseUrl = options.baseUrl;
    this.timeoutMs = options.timeoutMs;
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.signal = options.signal;
  }

  headers(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    return { "Content-Type": "application/json", ...authHeaders(this.#apiKey), ...extra };
  }

  /** Send a request and return the parsed 2xx body; throws APIError on status >= 400. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
    const cancel = this.#cancellation(options);
    try {
      const response = await this.#send(method, path, options, cancel);
      const text = await response.text();
      if (response.status >= 400) throw new APIError(response.status, parseBody(text));
      return parseBody(text);
    } catch (error) {
      throw this.#mapError(error, cancel, options);
    } finally {
      cancel.dispose();
    }
  }

  /**
   * Send a request whose body is consumed incrementally. The timeout covers the wait for the response
   * headers only; the abort signals cover the whole body. Throws APIError on status >= 400.
   */
  async stream(method: string, path: string, options: RequestOptions = {}): Promise<StreamingResponse> {
    const cancel = this.#cancellation(options);
    let response: Response;
    try {
      response = await this.#send(method, path, options, cancel);
      cancel.stopTimer();
      if (response.status >= 400) throw new APIError(response.status, parseBody(await response.text()));
    } catch (error) {
      cancel.dispose();
      throw this.#mapError(error, cancel, options);
    }
    return {
      response,
      mapError: (error: unknown) => this.#mapError(error, cancel, options),
      dispose: () => {
        cancel.dispose();
        cancel.controller.abort();
      },
    };
  }

  #cancellation(options: RequestOptions): Cancellation {
    const signals = [this.signal, options.signal];
    const fired = signals.find((s) => s?.aborted);
    if (fired) throw abortedError(fired.reason);
    return new Cancellation(signals, options.timeoutMs ?? this.timeoutMs);
  }

  async #send(
    method: string,
    path: string,
    options: RequestOptions,
    cancel: Cancellation,
  ): Promise<Response> {
    const url = joinUrl(options.base ?? this.baseUrl, path, options.query);
    const init: RequestInit = {
      method,
      headers: this.headers(options.headers),
      signal: cancel.controller.signal,
    };
    if (options.body !== undefined) init.body = JSON.stringify(options.body);
    return this.#fetch(url, init);
  }

  #mapError(error: unknown, cancel: Cancellation, options: RequestOptions): RunAgentsError {
    if (error instanceof RunAgentsError) return error;
    if (cancel.timedOut) {
      const ms = options.timeoutMs ?? this.timeoutMs;
      return new RunAgentsTimeoutError(`request timed out after ${ms} ms`, { cause: error });
    }
    const fired = cancel.aborted();
    if (fired) return abortedError(fired.reason);
    return new RunAgentsConnectionError(connectionReason(error), { cause: error });
  }
}

export interface StreamingResponse {
  response: Response;
  /** Map an error raised while reading the body to an SDK error. */
  mapError: (error: unknown) => RunAgentsError;
  /** Release listeners and abort the underlying request (safe to call twice). */
  dispose: () => void;
}
