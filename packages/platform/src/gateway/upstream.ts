/**
 * @module gateway/upstream
 * HTTP to model providers: keep-alive agents (one TCP/TLS connection serves many calls), a
 * timeout, cancellation when the caller goes away, provider-key injection, the provider's error
 * message, and scrubbing the key from anything an upstream sends back.
 *
 * Key placement follows `spec.auth.apiKeyConfig` (`in: Header|Query`, `name`, `valuePrefix`):
 * the default is `Authorization: Bearer <key>`; a header other than `Authorization` (Azure's
 * `api-key`) gets the bare key unless `valuePrefix` says otherwise, because the platform fills
 * in `"Bearer "` as the default prefix whenever none was given.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import https from "node:https";
import { StringDecoder } from "node:string_decoder";
import { isObject } from "../validate.js";
import { type ProbeOutcome, ProviderError, type ProviderTarget } from "./types.js";

const agents = {
  "http:": new http.Agent({ keepAlive: true, scheduling: "lifo", maxFreeSockets: 256 }),
  "https:": new https.Agent({ keepAlive: true, scheduling: "lifo", maxFreeSockets: 256 }),
};

/** Inactivity limit of one upstream call (no byte for this long fails it). */
export const UPSTREAM_TIMEOUT_MS = 120_000;
/** The largest non-streamed upstream answer read into memory. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface UpstreamRequest {
  url: URL;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  timeoutMs?: number;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

/** Sends one request; resolves with the response head. Network failures become ProviderError. */
export function sendUpstream(request: UpstreamRequest): Promise<UpstreamResponse> {
  return attempt(request, true);
}

function attempt(request: UpstreamRequest, mayRetry: boolean): Promise<UpstreamResponse> {
  const { url, signal } = request;
  const timeoutMs = request.timeoutMs ?? UPSTREAM_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new ProviderError("the call was cancelled"));
      return;
    }
    const agent = url.protocol === "https:" ? agents["https:"] : agents["http:"];
    const headers: Record<string, string | number> = { ...request.headers };
    if (request.body !== undefined) {
      headers["content-type"] ??= "application/json";
      headers["content-length"] = Buffer.byteLength(request.body);
    }
    const req = (url.protocol === "https:" ? https : http).request(
      url,
      { method: request.method ?? "GET", headers, agent },
      (res) => {
        signal.removeEventListener("abort", onAbort);
        signal.addEventListener("abort", () => res.destroy(), { once: true });
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
      },
    );
    const onAbort = () => req.destroy(new ProviderError("the call was cancelled"));
    signal.addEventListener("abort", onAbort, { once: true });
    req.setTimeout(timeoutMs, () =>
      req.destroy(new ProviderError(`no answer from ${url.host} within ${timeoutMs / 1000} s`)),
    );
    req.on("error", (err: NodeJS.ErrnoException) => {
      signal.removeEventListener("abort", onAbort);
      // A kept-alive connection the server closed while idle: the request never reached it.
      if (mayRetry && req.reusedSocket && err.code === "ECONNRESET") {
        attempt(request, false).then(resolve, reject);
        return;
      }
      reject(err instanceof ProviderError ? err : new ProviderError(networkMessage(err, url)));
    });
    req.end(request.body);
  });
}

function networkMessage(err: NodeJS.ErrnoException, url: URL): string {
  if (err.code === "ECONNREFUSED") return `connection refused by ${url.host}`;
  if (err.code === "ENOTFOUND" || err.code === "EAI_AGAIN") return `cannot resolve host ${url.hostname}`;
  if (err.code === "ECONNRESET") return `connection to ${url.host} was reset`;
  return err.message || `network error reaching ${url.host}`;
}

/** Reads a whole (non-streamed) body as text. */
export function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        cleanup();
        res.destroy();
        reject(new ProviderError("the provider's answer is too large"));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(
        chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks).toString("utf8"),
      );
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new ProviderError(`the provider's answer was cut off: ${err.message}`));
    };
    const onClose = () => {
      if (!res.complete) onError(new Error("aborted"));
    };
    const cleanup = () => {
      res.off("data", onData);
      res.off("end", onEnd);
      res.off("error", onError);
      res.off("close", onClose);
    };
    res.on("data", onData);
    res.on("end", onEnd);
    res.on("error", onError);
    res.on("close", onClose);
  });
}

/** Parses a JSON object answer, or fails with a ProviderError. */
export function parseJsonAnswer(text: string, status: number): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value)) return value;
  } catch {
    // fall through
  }
  throw new ProviderError("the provider's answer is not a JSON object", status);
}

/**
 * The lines of a streamed body (LF or CRLF), as they arrive. When the reader stops early (after
 * `[DONE]` or `message_stop`), the rest of the body is drained rather than the stream destroyed,
 * so its kept-alive connection serves the next call.
 */
export async function* readLines(res: IncomingMessage): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  const chunks: AsyncIterator<Buffer> = res[Symbol.asyncIterator]();
  let pending = "";
  let ended = false;
  try {
    for (;;) {
      const next = await chunks.next();
      if (next.done) {
        ended = true;
        break;
      }
      pending += decoder.write(next.value);
      let newline = pending.indexOf("\n");
      while (newline !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        yield line.endsWith("\r") ? line.slice(0, -1) : line;
        newline = pending.indexOf("\n");
      }
    }
  } catch (err) {
    ended = true;
    throw new ProviderError(`the provider's stream was cut off: ${(err as Error).message}`);
  } finally {
    if (!ended && !res.destroyed) void drain(chunks);
  }
  pending += decoder.end();
  if (pending) yield pending;
}

async function drain(chunks: AsyncIterator<Buffer>): Promise<void> {
  try {
    while (!(await chunks.next()).done);
  } catch {
    // the connection failed or was cancelled: nothing to reuse
  }
}

/** The `data:` payloads of a server-sent-events body, ending at `[DONE]`. */
export async function* readSseData(res: IncomingMessage): AsyncGenerator<string> {
  for await (const line of readLines(res)) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(line.charAt(5) === " " ? 6 : 5);
    if (data === "[DONE]") return;
    if (data) yield data;
  }
}

/** The provider's own message from an error answer (OpenAI, Anthropic and Ollama shapes). */
export function providerMessage(text: string, status: number): string {
  try {
    const value: unknown = JSON.parse(text);
    if (isObject(value)) {
      const error = value.error;
      if (isObject(error) && typeof error.message === "string" && error.message) return error.message;
      if (typeof error === "string" && error) return error;
      for (const key of ["message", "detail"]) {
        if (typeof value[key] === "string" && value[key]) return value[key] as string;
      }
    }
  } catch {
    // not JSON: use the text
  }
  const trimmed = text.trim().replace(/\s+/g, " ");
  if (trimmed) return trimmed.length > 300 ? `${trimmed.slice(0, 300)}…` : trimmed;
  return `HTTP ${status} from the provider`;
}

/** Reads an error answer and turns it into a ProviderError. */
export async function failFrom(res: UpstreamResponse): Promise<never> {
  const text = await readText(res.body).catch(() => "");
  throw new ProviderError(providerMessage(text, res.status), res.status);
}

/**
 * `GET url` within `timeoutMs`; available when `isAvailable(status)`. A network failure or a
 * timeout is unavailable.
 */
export async function probeHttp(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
  isAvailable: (status: number) => boolean,
): Promise<ProbeOutcome> {
  const what = `GET ${url.pathname}`;
  try {
    const res = await sendUpstream({ url, headers, signal: AbortSignal.timeout(timeoutMs + 500), timeoutMs });
    const text = await readText(res.body);
    if (isAvailable(res.status)) return { available: true, message: `${what}: HTTP ${res.status}` };
    return { available: false, message: `${what}: HTTP ${res.status}: ${providerMessage(text, res.status)}` };
  } catch (err) {
    return { available: false, message: `${what}: ${(err as Error).message}` };
  }
}

/** Secret values long enough to matter, for scrubbing. */
export function secretValues(target: Pick<ProviderTarget, "secret">): string[] {
  return Object.values(target.secret ?? {}).filter((v) => v.length >= 4);
}

/** `text` with every secret value replaced by `[REDACTED]`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join("[REDACTED]");
  return out;
}

/** Puts the provider key where `spec.auth.apiKeyConfig` says (see the module comment). */
export function applyApiKey(
  target: ProviderTarget,
  url: URL,
  headers: Record<string, string>,
  defaults: { header: string; prefix: string },
): void {
  const key = target.secret?.api_key;
  if (!key) return;
  const config = isObject(target.auth.apiKeyConfig) ? target.auth.apiKeyConfig : {};
  const configured = typeof config.name === "string" && config.name ? config.name : "";
  const isAuthorization = !configured || configured.toLowerCase() === "authorization";
  const name = isAuthorization ? defaults.header : configured;
  const given = typeof config.valuePrefix === "string" ? config.valuePrefix : undefined;
  let prefix = defaults.prefix;
  if (name.toLowerCase() === "authorization") prefix = given ?? "Bearer ";
  else if (!isAuthorization) prefix = given === undefined || given === "Bearer " ? "" : given;
  if (config.in === "Query") url.searchParams.set(name, `${prefix}${key}`);
  else headers[name.toLowerCase()] = `${prefix}${key}`;
}

/**
 * `endpoint` + `path`, keeping the endpoint's own path and query (`?api-version=` for Azure).
 * `apiRoot` is added first when the endpoint has no path at all (`http://host` → `/v1`).
 */
export function joinEndpoint(endpoint: string, path: string, apiRoot = ""): URL {
  const url = new URL(endpoint);
  let base = url.pathname.replace(/\/+$/, "");
  if (base === "" && apiRoot) base = apiRoot;
  url.pathname = `${base}${path}`;
  return url;
}
