/**
 * @module governance/tool-info
 * What governance and the egress read from a stored tool document (platform-and-cli A4): the
 * real base URL, risk tags, capabilities, how credentials are injected, and the upstream timeout.
 * Tolerant of partial documents: anything missing reads as "none".
 *
 * Capability paths are matched against the path the tool receives (the real URL's path): `*`
 * matches any run of characters (slashes included); a path without `*` matches itself and
 * anything below it (`/charges` covers `/charges` and `/charges/ch_1`, not `/chargesX`).
 */
import type { Doc, ResourceRecord } from "../store/store.js";

export interface Capability {
  name: string;
  method: string;
  path: string;
  riskTags: string[];
}

export type ToolAuth =
  | { type: "None" }
  | { type: "APIKey"; in: "Header" | "Query"; name: string; valuePrefix: string; secret: string }
  | {
      type: "OAuth2";
      tokenUrl: string;
      scopes: string[];
      secret: string;
      clientAuth: "basic" | "post";
      /** Set for delegated-user tools: the provider's authorization endpoint (consent, `egress/consent`). */
      authUrl: string;
      /** Extra query parameters for the authorization URL (e.g. `access_type: offline`). */
      authParams: Record<string, string>;
    };

export interface ToolInfo {
  name: string;
  /** The tool's real base URL, without a trailing `/`. */
  baseUrl: string;
  riskTags: string[];
  capabilities: Capability[];
  auth: ToolAuth;
  /** Upstream answer timeout: `spec.connection.timeoutSeconds`, default 30 s. */
  timeoutMs: number;
  /** `spec.allowInternalTarget`: an admin allowed a loopback / link-local base URL (`egress/targets`). */
  allowInternalTarget: boolean;
  /** The record version: cached credentials are keyed by it (every credential change rewrites the tool). */
  version: number;
}

export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;

const obj = (value: unknown): Doc =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Doc) : {};
const str = (value: unknown): string => (typeof value === "string" ? value : "");
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v !== "") : [];

const derived = new WeakMap<ResourceRecord, ToolInfo>();

/** What the egress needs of a tool record; computed once per record object (treat it as read-only). */
export function toolInfo(record: ResourceRecord): ToolInfo {
  let info = derived.get(record);
  if (!info) {
    info = deriveToolInfo(record);
    derived.set(record, info);
  }
  return info;
}

function deriveToolInfo(record: ResourceRecord): ToolInfo {
  const spec = obj(record.doc.spec);
  const connection = obj(spec.connection);
  const timeout = connection.timeoutSeconds;
  return {
    name: record.name,
    baseUrl: str(connection.baseUrl).replace(/\/+$/, ""),
    riskTags: [...new Set(strings(spec.riskTags))],
    capabilities: (Array.isArray(spec.capabilities) ? spec.capabilities : []).map(obj).map((cap) => ({
      name: str(cap.name),
      method: str(cap.method).toUpperCase(),
      path: str(cap.path),
      riskTags: strings(cap.riskTags),
    })),
    auth: authOf(record.name, obj(connection.authentication)),
    timeoutMs:
      typeof timeout === "number" && timeout > 0 && timeout <= 600 ? timeout * 1000 : DEFAULT_TOOL_TIMEOUT_MS,
    allowInternalTarget: spec.allowInternalTarget === true,
    version: record.version,
  };
}

function authOf(tool: string, auth: Doc): ToolAuth {
  const fallbackSecret = `${tool}-credentials`;
  if (auth.type === "APIKey") {
    const config = obj(auth.apiKeyConfig);
    return {
      type: "APIKey",
      in: str(config.in).toLowerCase() === "query" ? "Query" : "Header",
      name: str(config.name) || "Authorization",
      valuePrefix: typeof config.valuePrefix === "string" ? config.valuePrefix : "",
      secret: str(obj(config.secretRef).name) || fallbackSecret,
    };
  }
  if (auth.type === "OAuth2") {
    const config = obj(auth.oauth2Config);
    return {
      type: "OAuth2",
      tokenUrl: str(config.tokenUrl),
      scopes: strings(config.scopes),
      secret: str(obj(config.credentialsSecretRef).name) || fallbackSecret,
      clientAuth: str(config.clientAuthMethod) === "client_secret_post" ? "post" : "basic",
      authUrl: str(config.authUrl),
      authParams: Object.fromEntries(
        Object.entries(obj(config.authParams)).filter((e): e is [string, string] => typeof e[1] === "string"),
      ),
    };
  }
  return { type: "None" };
}

/** Whether a capability path pattern covers `path` (see the module comment). */
export function capabilityPathMatches(pattern: string, path: string): boolean {
  if (pattern === "" || pattern === "*" || pattern === "/*") return true;
  if (!pattern.includes("*")) {
    const base = pattern.replace(/\/+$/, "");
    return path === pattern || path === base || path.startsWith(`${base}/`);
  }
  const regex = new RegExp(`^${pattern.split("*").map(escapeRegex).join(".*")}$`);
  return regex.test(path);
}

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The first capability allowing `method` on `path`, if any. */
export function matchCapability(tool: ToolInfo, method: string, path: string): Capability | undefined {
  const upper = method.toUpperCase();
  return tool.capabilities.find(
    (cap) => (cap.method === upper || cap.method === "*") && capabilityPathMatches(cap.path, path),
  );
}

/**
 * The registered tool a URL belongs to: the longest base URL that is a prefix of it (at a path
 * boundary), else the longest one on the same origin.
 */
export function toolForUrl(tools: readonly ToolInfo[], url: URL): ToolInfo | undefined {
  const target = `${url.origin}${url.pathname}`;
  let best: ToolInfo | undefined;
  let sameOrigin: ToolInfo | undefined;
  for (const tool of tools) {
    let base: URL;
    try {
      base = new URL(tool.baseUrl);
    } catch {
      continue;
    }
    if (base.origin !== url.origin) continue;
    const prefix = `${base.origin}${base.pathname.replace(/\/+$/, "")}`;
    if (target === prefix || target.startsWith(`${prefix}/`)) {
      if (!best || tool.baseUrl.length > best.baseUrl.length) best = tool;
    } else if (!sameOrigin || tool.baseUrl.length > sameOrigin.baseUrl.length) {
      sameOrigin = tool;
    }
  }
  return best ?? sameOrigin;
}
