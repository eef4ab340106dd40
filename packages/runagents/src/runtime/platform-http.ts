/**
 * @module
 * The runtime's own HTTP calls to the platform (governance: checkpoints and tool-result reports),
 * on `node:http(s)` with a keep-alive pool rather than `fetch`: no web streams, `Request`,
 * `Headers` or `AbortSignal` per call. They get what `fetch` through the outbound policy gave them:
 * URL rewrites, strict mode and the request's identity headers (`X-Request-Id`, `X-Run-ID`, ...,
 * `traceparent`). `GOVERNANCE_URL` is a plain `http(s)://` URL, in a sandbox too (see
 * `platform-relay.ts`).
 */

import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { currentRequest, processWidePolicy } from "./context.js";
import { identityHeaders, resolveOutboundUrl } from "./outbound.js";
import { unpatchedRequest } from "./outbound-http.js";

export interface PlatformAnswer {
  readonly status: number;
  readonly text: string;
}

/** `(method, url, JSON body, timeout)` → the answer's status and text; rejects on network errors. */
export type PlatformRequest = (
  method: "GET" | "POST",
  url: string,
  body: string | undefined,
  timeoutMs: number,
) => Promise<PlatformAnswer>;

const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true }),
};

/** Calls the platform as the current request (its identity headers), through the outbound policy. */
export const platformRequest: PlatformRequest = (method, target, body, timeoutMs) => {
  const state = currentRequest();
  const policy = state?.policy ?? processWidePolicy();
  let url: URL;
  try {
    url = new URL(resolveOutboundUrl(target, policy));
  } catch (error) {
    return Promise.reject(error);
  }
  const protocol = url.protocol;
  if (protocol !== "http:" && protocol !== "https:") {
    return Promise.reject(new TypeError(`unsupported platform URL scheme '${protocol}'`));
  }
  const headers: Record<string, string | number> = {};
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["Content-Length"] = Buffer.byteLength(body);
  }
  for (const [name, value] of identityHeaders(url.href, state, policy) ?? []) {
    if (value !== "") headers[name] = value;
  }
  return send(protocol, url, method, headers, body, timeoutMs, true);
};

function send(
  protocol: "http:" | "https:",
  url: URL,
  method: string,
  headers: Record<string, string | number>,
  body: string | undefined,
  timeoutMs: number,
  mayRetry: boolean,
): Promise<PlatformAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = unpatchedRequest(protocol)(url, { method, headers, agent: agents[protocol] });
    const timer = setTimeout(() => req.destroy(timeoutError()), timeoutMs);
    const fail = (error: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      // A pooled connection the platform closed just as it was reused: the request never reached it.
      if (mayRetry && !answered && req.reusedSocket && error.code === "ECONNRESET") {
        resolve(send(protocol, url, method, headers, body, timeoutMs, false));
      } else reject(error);
    };
    req.on("error", fail);
    req.on("response", (res: IncomingMessage) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      let ended = false;
      res.on("error", fail);
      res.on("close", () => {
        if (!ended) fail(Object.assign(new Error("aborted"), { code: "ECONNRESET" }));
      });
      res.on("end", () => {
        ended = true;
        clearTimeout(timer);
        const text =
          chunks.length === 1
            ? (chunks[0] as Buffer).toString("utf8")
            : Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, text });
      });
    });
    req.end(body);
  });
}

/** What `AbortSignal.timeout` rejected `fetch` with (`describeNetworkError` says `timed out`). */
function timeoutError(): Error {
  const error = new Error("The operation was aborted due to timeout");
  error.name = "TimeoutError";
  return error;
}
