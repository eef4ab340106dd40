/**
 * @module
 * The outbound policy every HTTP call of the process goes through (the runtime's own calls and
 * user code's, see `outbound-fetch.ts` / `outbound-http.ts`): URL rewrites
 * (`TOOL_URL_REWRITES_JSON`), strict outbound mode, tool-name inference and the identity headers.
 */

import { isIP } from "node:net";
import type { RuntimeConfig } from "./env.js";
import { currentTraceHeaders } from "./trace-context.js";

/** Strict outbound mode refused a URL that is external and not bound to a managed tool. */
export class UnboundOutboundURL extends Error {
  readonly code = "UNBOUND_OUTBOUND_URL";
  readonly url: string;

  constructor(url: string) {
    super(`Outbound URL '${url}' is not bound to a managed tool`);
    this.name = "UnboundOutboundURL";
    this.url = url;
  }
}

export interface OutboundPolicy {
  /** `[placeholder, target]`, longest placeholder first. */
  readonly rewrites: ReadonlyArray<readonly [string, string]>;
  readonly strict: boolean;
  /** `[baseUrl, toolName]`, longest base URL first, trailing `/` trimmed. */
  readonly tools: ReadonlyArray<readonly [string, string]>;
  /** Origins that receive the request's identity headers: tools, gateway, governance, rewrite targets. */
  readonly trustedOrigins: ReadonlySet<string>;
  /** True when no call can be rewritten or refused (a fast path for unrelated traffic). */
  readonly passthrough: boolean;
}

export function createOutboundPolicy(
  config: Pick<RuntimeConfig, "rewrites" | "outboundMode" | "toolUrls" | "llmBaseUrl" | "governanceUrl">,
): OutboundPolicy {
  const byLength = <T extends readonly [string, string]>(a: T, b: T): number => b[0].length - a[0].length;
  const rewrites = Object.entries(config.rewrites).sort(byLength);
  const tools = Object.entries(config.toolUrls)
    .map(([name, url]) => [url.replace(/\/+$/, ""), name] as const)
    .filter(([url]) => url !== "")
    .sort(byLength);
  const trustedOrigins = new Set<string>();
  for (const url of [
    config.llmBaseUrl,
    config.governanceUrl,
    ...Object.values(config.toolUrls),
    ...Object.values(config.rewrites),
  ]) {
    const origin = originOf(url);
    if (origin) trustedOrigins.add(origin);
  }
  const strict = config.outboundMode === "strict";
  return { rewrites, strict, tools, trustedOrigins, passthrough: !strict && rewrites.length === 0 };
}

/** Applies the first (longest) matching rewrite; returns the URL unchanged when none matches. */
export function rewriteUrl(url: string, policy: OutboundPolicy): { url: string; rewritten: boolean } {
  for (const [placeholder, target] of policy.rewrites) {
    if (!url.startsWith(placeholder)) continue;
    const suffix = url.slice(placeholder.length);
    if (suffix === "") return { url: target, rewritten: true };
    const targetPath = pathOf(target);
    if (targetPath !== "" && targetPath !== "/" && target.endsWith(suffix))
      return { url: target, rewritten: true };
    return { url: target.replace(/\/+$/, "") + suffix, rewritten: true };
  }
  return { url, rewritten: false };
}

/** Rewrites `url` and enforces strict mode (throws {@link UnboundOutboundURL}). */
export function resolveOutboundUrl(url: string, policy: OutboundPolicy): string {
  if (policy.passthrough) return url;
  const result = rewriteUrl(url, policy);
  if (policy.strict && !result.rewritten && isExternalUrl(result.url)) throw new UnboundOutboundURL(url);
  return result.url;
}

/** An http(s) URL whose host is not local, in-cluster or a private address. */
export function isExternalUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return false;
  const host = parsed.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "" || host === "localhost") return false;
  if (host.endsWith(".svc") || host.endsWith(".svc.cluster.local") || host.endsWith(".cluster.local")) {
    return false;
  }
  return !isPrivateAddress(host);
}

function isPrivateAddress(host: string): boolean {
  const family = isIP(host);
  if (family === 4) {
    const [a = 0, b = 0] = host.split(".").map(Number);
    return (
      a === 10 ||
      a === 127 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      a === 0
    );
  }
  if (family === 6) {
    return (
      host === "::1" ||
      host === "::" ||
      /^f[cd]/.test(host) ||
      /^fe[89ab]/.test(host) ||
      host.startsWith("::ffff:127.")
    );
  }
  return false;
}

/** The tool a (rewritten) URL belongs to: equal to a `TOOL_URL_*` or below it (`/`, `?`). */
export function toolNameForUrl(url: string, policy: OutboundPolicy): string | undefined {
  for (const [base, name] of policy.tools) {
    if (!url.startsWith(base)) continue;
    const next = url.charAt(base.length);
    if (next === "" || next === "/" || next === "?") return name;
  }
  return undefined;
}

/** The request's identity, as sent on outbound calls. */
export interface OutboundIdentity {
  readonly requestId: string;
  readonly runId: string | undefined;
  readonly userId: string | undefined;
  readonly actionId: string | undefined;
}

/**
 * The identity headers for a call to `url`, or `undefined` when `url` is not a tool, the gateway,
 * governance or a rewrite target: the end-user id is not sent to arbitrary third parties.
 */
export function identityHeaders(
  url: string,
  identity: OutboundIdentity | undefined,
  policy: OutboundPolicy,
): Array<[string, string]> | undefined {
  if (!identity) return undefined;
  const origin = originOf(url);
  if (!origin || !policy.trustedOrigins.has(origin)) return undefined;
  const headers: Array<[string, string]> = [["X-Request-Id", identity.requestId]];
  if (identity.runId) headers.push(["X-Run-ID", identity.runId]);
  if (identity.actionId) headers.push(["X-Action-ID", identity.actionId]);
  if (identity.userId) headers.push(["X-End-User-Id", identity.userId]);
  const trace = currentTraceHeaders();
  if (trace) {
    headers.push(["traceparent", trace.traceparent]);
    if (trace.tracestate) headers.push(["tracestate", trace.tracestate]);
  }
  return headers;
}

/** `scheme://host:port` of an absolute URL (default ports omitted), or `undefined`. */
export function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === "null" ? undefined : origin;
  } catch {
    return undefined;
  }
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return "";
  }
}
