/**
 * @module
 * Tool and outbound-host detection.
 *
 * A tool is found three ways, all outside comments:
 * - `callTool("name")` / `agent.callTool('name', …)` / Python `call_tool("name")` → `name` as written;
 * - a `TOOL_URL_<NAME>` token (`process.env.TOOL_URL_X`, `process.env["TOOL_URL_X"]`,
 *   `os.environ["TOOL_URL_X"]`, `os.getenv("TOOL_URL_X")`, …) → `<NAME>` lower-cased with `_` → `-`
 *   (the reverse of the platform's env naming);
 * - an http(s) URL inside a string literal → a name derived from the host by {@link toolNameFromHost},
 *   `base_url` = the URL's origin. Hosts of model providers (api.openai.com, api.anthropic.com, …)
 *   and loopback hosts are not tools, but they do appear in `outbound_destinations`.
 *
 * Tools are deduplicated by name; the first hit (files in path order, then line) supplies `file`
 * and `line`, and the first URL hit supplies `base_url` ("" when only a name is known). The list is
 * sorted by name. `outbound_destinations` are the URL hosts (`host[:port]`, lower-case), sorted, unique.
 */

import { MAX_FINDINGS, type SourceFile } from "./analyze-scan.js";

export interface ToolFinding {
  name: string;
  base_url: string;
  file: string;
  line: number;
}

const CALL_TOOL = /\b(?:callTool|call_tool)[ \t]*\([ \t]*["'`]([A-Za-z0-9][\w.-]{0,127})["'`]/g;
const TOOL_URL_ENV = /\bTOOL_URL_([A-Z0-9][A-Z0-9_]{0,127})\b/g;
const URL_HOST = /\b(https?):\/\/(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9.-]{1,253})(?::(\d{1,5}))?/gi;
const HOST_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Model-provider API hosts: outbound destinations, but model calls go through the gateway, not tools. */
const MODEL_PROVIDER_HOSTS = new Set([
  "api.openai.com",
  "api.anthropic.com",
  "generativelanguage.googleapis.com",
  "api.mistral.ai",
  "api.groq.com",
  "api.cohere.ai",
  "api.cohere.com",
  "api.together.xyz",
  "openrouter.ai",
]);
/** Second-level labels treated as part of a two-letter country suffix (`example.co.uk`). */
const SECOND_LEVEL_SUFFIXES = new Set(["ac", "co", "com", "edu", "gov", "net", "org"]);

export interface ToolScan {
  tools: ToolFinding[];
  outbound_destinations: string[];
}

export function findToolsAndHosts(sources: readonly SourceFile[]): ToolScan {
  const tools = new Map<string, ToolFinding>();
  const hosts = new Set<string>();
  const add = (name: string, baseUrl: string, file: string, line: number): void => {
    const existing = tools.get(name);
    if (existing === undefined) {
      if (tools.size < MAX_FINDINGS) tools.set(name, { name, base_url: baseUrl, file, line });
    } else if (existing.base_url === "" && baseUrl !== "") {
      existing.base_url = baseUrl;
    }
  };
  for (const file of sources) {
    if (file.language === "other") continue;
    for (const line of file.lines) {
      if (line.code.length < 8) continue;
      for (const match of line.code.matchAll(CALL_TOOL)) add(match[1] ?? "", "", file.path, line.number);
      for (const match of line.code.matchAll(TOOL_URL_ENV)) {
        add((match[1] ?? "").toLowerCase().replace(/_/g, "-"), "", file.path, line.number);
      }
      for (const literal of line.literals) {
        for (const url of urlsIn(literal)) {
          if (hosts.size < MAX_FINDINGS) hosts.add(url.host);
          if (isToolHost(url.hostname))
            add(toolNameFromHost(url.hostname), url.origin, file.path, line.number);
        }
      }
    }
  }
  const sorted = [...tools.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { tools: sorted, outbound_destinations: [...hosts].sort() };
}

/**
 * A tool name for a host: the registrable label first, then the subdomain labels from nearest to
 * farthest, `www` dropped, joined with `-` (`api.stripe.com` → `stripe-api`, `hooks.slack.com` →
 * `slack-hooks`, `www.example.co.uk` → `example`, `eu.api.acme.io` → `acme-api-eu`). IP addresses
 * become `host-<digits-with-dashes>` and single-label hosts stay as they are. The result is
 * lower-case `[a-z0-9-]`, at most 63 characters.
 */
export function toolNameFromHost(host: string): string {
  const hostname = host
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "");
  if (IPV4.test(hostname) || hostname.includes(":")) return sanitize(`host-${hostname}`);
  const labels = hostname.split(".").filter((label) => label !== "");
  if (labels.length <= 1) return sanitize(labels[0] ?? "");
  const last = labels[labels.length - 1] ?? "";
  const secondLast = labels[labels.length - 2] ?? "";
  const suffixLength =
    labels.length >= 3 && last.length === 2 && SECOND_LEVEL_SUFFIXES.has(secondLast) ? 2 : 1;
  const baseIndex = labels.length - 1 - suffixLength;
  const subdomains = labels
    .slice(0, baseIndex)
    .reverse()
    .filter((label) => label !== "www");
  return sanitize([labels[baseIndex] ?? "", ...subdomains].join("-"));
}

interface FoundUrl {
  readonly host: string;
  readonly hostname: string;
  readonly origin: string;
}

function urlsIn(literal: string): FoundUrl[] {
  if (!literal.includes("://")) return [];
  const found: FoundUrl[] = [];
  for (const match of literal.matchAll(URL_HOST)) {
    const scheme = (match[1] ?? "").toLowerCase();
    const rawHost = (match[2] ?? "").toLowerCase();
    if (!isValidHost(rawHost)) continue;
    try {
      const url = new URL(`${scheme}://${rawHost}${match[3] ? `:${match[3]}` : ""}/`);
      found.push({ host: url.host, hostname: url.hostname, origin: url.origin });
    } catch {
      // not a usable URL (bad port, bad IPv6): skip it
    }
  }
  return found;
}

function isValidHost(host: string): boolean {
  if (host.startsWith("[")) return host.endsWith("]");
  const labels = host.split(".");
  return labels.every((label) => label.length <= 63 && HOST_LABEL.test(label));
}

function isToolHost(hostname: string): boolean {
  if (MODEL_PROVIDER_HOSTS.has(hostname)) return false;
  if (hostname === "localhost" || hostname.endsWith(".localhost")) return false;
  if (hostname === "0.0.0.0" || hostname === "[::1]" || hostname.startsWith("127.")) return false;
  return true;
}

function sanitize(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return cleaned === "" ? "tool" : cleaned;
}
