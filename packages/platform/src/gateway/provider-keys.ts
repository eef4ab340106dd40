/**
 * @module gateway/provider-keys
 * Provider keys on outgoing calls, and never in what comes back.
 *
 * Key placement follows `spec.auth.apiKeyConfig` (`in: Header|Query`, `name`, `valuePrefix`):
 * the default is `Authorization: Bearer <key>`; a header other than `Authorization` (Azure's
 * `api-key`) gets the bare key unless `valuePrefix` says otherwise, because the platform fills
 * in `"Bearer "` as the default prefix whenever none was given. Every secret value is scrubbed
 * (`[REDACTED]`) from text an upstream sends back.
 */
import { isObject } from "../validate.js";
import type { ProviderTarget } from "./types.js";

const NO_SECRETS: readonly string[] = Object.freeze([]);
/** By secret object (a provider's secret is read once and shared while cached). */
const secretLists = new WeakMap<Record<string, string>, readonly string[]>();

/** Secret values long enough to matter, for scrubbing. */
export function secretValues(target: Pick<ProviderTarget, "secret">): readonly string[] {
  const secret = target.secret;
  if (!secret) return NO_SECRETS;
  let values = secretLists.get(secret);
  if (!values) {
    values = Object.freeze(Object.values(secret).filter((v) => v.length >= 4));
    secretLists.set(secret, values);
  }
  return values;
}

/** Secret lists {@link scrubsRawJson} has judged. */
const rawJsonSafe = new WeakMap<readonly string[], boolean>();

/**
 * Whether scrubbing a provider's raw JSON text (without `\u` or `\/` escapes) finds every
 * secret that scrubbing its re-serialisation would: true when no secret holds a character JSON
 * escapes or that structures it, and none could be read as part of a number (whose spelling may
 * change). Such a secret can only occur inside a string, and strings read the same both ways.
 */
export function scrubsRawJson(secrets: readonly string[]): boolean {
  let safe = rawJsonSafe.get(secrets);
  if (safe === undefined) {
    safe = secrets.every((s) => /^[A-Za-z0-9_+=/.~-]+$/.test(s) && /[^0-9eE+.-]/.test(s));
    rawJsonSafe.set(secrets, safe);
  }
  return safe;
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
