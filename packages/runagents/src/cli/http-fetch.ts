/**
 * @module
 * A small `fetch` for the CLI's one-shot platform calls, on `node:http`/`node:https`. The global
 * `fetch` costs a short-lived command about 100 ms (loading undici, then waiting for its background
 * work at exit); this one answers the Client's needs (status and text of a buffered body) only.
 */

import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/** What the Client's transport reads from a response. */
export interface BufferedResponse {
  status: number;
  statusText: string;
  ok: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** Header pairs without touching the global `Headers` (which would load undici). */
function plainHeaders(given: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (given === undefined) return out;
  const pairs: Iterable<readonly [string, string]> = Array.isArray(given)
    ? (given as [string, string][])
    : typeof (given as { entries?: unknown }).entries === "function" && !Array.isArray(given)
      ? (given as Headers).entries()
      : Object.entries(given as Record<string, string>);
  for (const [key, value] of pairs) out[key.toLowerCase()] = value;
  return out;
}

/** A buffered request: resolves once the whole body has arrived. */
export function httpFetch(url: string, init: RequestInit = {}): Promise<BufferedResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send =
      target.protocol === "https:" ? httpsRequest : target.protocol === "http:" ? httpRequest : undefined;
    if (!send) {
      reject(new TypeError(`unsupported URL scheme ${target.protocol}`));
      return;
    }
    const headers = plainHeaders(init.headers);
    const body = typeof init.body === "string" ? init.body : undefined;
    if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
    const signal = init.signal ?? undefined;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const req = send(
      target,
      { method: init.method ?? "GET", headers, agent: false },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => {
          signal?.removeEventListener("abort", onAbort);
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          resolve({
            status,
            statusText: res.statusMessage ?? "",
            ok: status >= 200 && status < 300,
            headers: {
              get: (name) => {
                const value = res.headers[name.toLowerCase()];
                return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
              },
            },
            text: () => Promise.resolve(text),
          });
        });
      },
    );
    const onAbort = (): void => {
      req.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (error) => {
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    req.end(body);
  });
}
