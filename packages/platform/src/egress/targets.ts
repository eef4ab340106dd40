/**
 * @module egress/targets
 * Where a tool may point. A tool's credentials are injected into every call an agent bound to it
 * makes, so a tool aimed at the platform's own API (with an admin key as its credential) or at a
 * cloud metadata endpoint would hand an agent what it must never have.
 *
 * - Refused at tool create/update (400) unless `spec.allowInternalTarget: true`: a base URL on
 *   the platform itself (a loopback host — `localhost`, 127.0.0.0/8, `::1`, `0.0.0.0`, `::`, or
 *   the platform's own host — with the platform's port) whose path is not `/` or the built-in
 *   `/echo`; a link-local or metadata address (169.254.0.0/16, fe80::/10, `fd00:ec2::254`,
 *   `metadata.google.internal`).
 * - Enforced on every call (the base URL plus the agent's path can climb): a tool on the platform
 *   itself reaches only `/echo` (the starter kit's echo tool), and never `/api/`, `/egress/`,
 *   `/gateway/`, `/internal/` even with the override.
 *
 * Hostnames are compared as the WHATWG URL parser spells them (`127.1` and `0x7f.1` already read
 * `127.0.0.1`, `[::ffff:127.0.0.1]` reads `[::ffff:7f00:1]`). A DNS name that resolves to one of
 * these addresses is not caught here.
 */
import { HttpError } from "../errors.js";
import type { ToolInfo } from "../governance/tool-info.js";

const PLATFORM_ONLY = ["/api", "/egress", "/gateway", "/internal"];
const ECHO_PATH = "/echo";

const defaultPort = (url: URL): string => url.port || (url.protocol === "https:" ? "443" : "80");

/** The IPv4 address of an IPv4-mapped IPv6 host (`::ffff:7f00:1` → `127.0.0.1`), else "". */
function mappedIpv4(host: string): string {
  const match = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (!match) return "";
  const hi = Number.parseInt(match[1] as string, 16);
  const lo = Number.parseInt(match[2] as string, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** `url.hostname` without IPv6 brackets, lower-case, IPv4-mapped addresses as IPv4. */
function plainHost(url: URL): string {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return mappedIpv4(host) || host.replace(/\.$/, "");
}

function isLoopbackHost(host: string): boolean {
  return (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host.startsWith("127.") ||
    host === "0.0.0.0" ||
    host === "::1" ||
    host === "::"
  );
}

function isMetadataHost(host: string): boolean {
  return (
    host.startsWith("169.254.") ||
    /^fe[89ab][0-9a-f]:/.test(host) ||
    host === "fd00:ec2::254" ||
    host === "metadata.google.internal" ||
    host === "metadata"
  );
}

/** Whether `url` is served by the platform listening at `platformUrl`. */
export function isPlatformSelf(url: URL, platformUrl: string): boolean {
  let platform: URL;
  try {
    platform = new URL(platformUrl);
  } catch {
    return false;
  }
  if (defaultPort(url) !== defaultPort(platform)) return false;
  const host = plainHost(url);
  return isLoopbackHost(host) || host === plainHost(platform);
}

/** Why a tool may not have `baseUrl` (see the module comment), or undefined when it may. */
export function refusedBaseUrl(baseUrl: string, platformUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined; // the URL check reports it
  }
  const host = plainHost(url);
  if (isMetadataHost(host)) return `points at a link-local or cloud metadata address (${url.host})`;
  const path = url.pathname.replace(/\/+$/, "");
  if (isPlatformSelf(url, platformUrl) && path !== "" && path !== ECHO_PATH)
    return `points at the platform's own API (${url.host}${url.pathname}); only its built-in ${ECHO_PATH} may be a tool`;
  return undefined;
}

/** 400 unless the tool spec's base URL is allowed, or the spec sets `allowInternalTarget: true`. */
export function checkToolTarget(spec: Record<string, unknown>, platformUrl: string): void {
  const override = spec.allowInternalTarget;
  if (override !== undefined && typeof override !== "boolean")
    throw new HttpError(400, "spec.allowInternalTarget must be a boolean");
  if (override === true) return;
  const connection = spec.connection as Record<string, unknown> | undefined;
  const baseUrl = typeof connection?.baseUrl === "string" ? connection.baseUrl : "";
  const why = refusedBaseUrl(baseUrl, platformUrl);
  if (why)
    throw new HttpError(
      400,
      `spec.connection.baseUrl ${why}: refused unless spec.allowInternalTarget is true`,
    );
}

const selfTools = new WeakMap<ToolInfo, boolean>();

/** Per call: a tool on the platform itself reaches only `/echo` (see the module comment). */
export function checkForwardTarget(tool: ToolInfo, url: URL, platformUrl: string): void {
  let self = selfTools.get(tool);
  if (self === undefined) {
    self = isPlatformSelf(url, platformUrl);
    selfTools.set(tool, self);
  }
  if (!self) return;
  const path = url.pathname;
  if (path === ECHO_PATH) return;
  const lower = path.toLowerCase();
  const reserved = PLATFORM_ONLY.some((p) => lower === p || lower.startsWith(`${p}/`));
  if (tool.allowInternalTarget && !reserved) return;
  throw new HttpError(
    403,
    `tool ${tool.name} points at the platform itself: only ${ECHO_PATH} may be reached`,
    {
      code: "TARGET_DENIED",
      details: { tool: tool.name },
    },
  );
}
