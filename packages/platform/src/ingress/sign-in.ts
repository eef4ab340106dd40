/**
 * @module ingress/sign-in
 * Browser sign-in settings of an identity provider (`spec.signIn`), for the console's OpenID
 * Connect authorization code flow with PKCE as a public client (no client secret exists to leak):
 * `clientId`, and the `authorizationEndpoint` and `tokenEndpoint` — given, or discovered once, when
 * the provider is saved, from `<issuer>/.well-known/openid-configuration`. Endpoints must be https
 * (http only on a loopback host, for local providers): the authorization code travels through them.
 *
 * {@link signInOptions} is what the public `GET /sign-in` answers: names and public endpoints only.
 * {@link tokenEndpointOrigins} feeds the console page's `connect-src` (the browser exchanges the
 * code at the token endpoint itself, so exactly those origins are allowed, nothing else).
 */
import { HttpError } from "../errors.js";
import type { Store } from "../store/store.js";
import { isObject, type Obj } from "../validate.js";

export interface SignInSettings {
  clientId: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  scopes: string[];
}

export interface SignInOption {
  name: string;
  workspace: string;
  issuer: string;
  client_id: string;
  authorization_endpoint: string;
  token_endpoint: string;
  scopes: string[];
}

const DEFAULT_SCOPES = ["openid", "profile", "email"];
const DISCOVERY_TIMEOUT_MS = 5_000;
const MAX_DISCOVERY_BYTES = 64 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

const text = (value: unknown): string => (typeof value === "string" ? value.trim() : "");
const pick = (obj: Obj, ...keys: string[]): unknown => keys.map((k) => obj[k]).find((v) => v != null);

/** An https URL (or http on a loopback host) without credentials or fragment; else 400. */
export function checkEndpoint(value: unknown, path: string): string {
  const raw = text(value);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HttpError(400, `${path} must be an absolute https URL`);
  }
  const loopback = LOOPBACK.has(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new HttpError(400, `${path} must be an https URL (http is accepted only on a loopback host)`);
  }
  if (url.username || url.password || url.hash) {
    throw new HttpError(400, `${path} must not carry credentials or a fragment`);
  }
  return url.toString();
}

/**
 * `spec.signIn` (camelCase or snake_case) as stored: undefined when absent. Missing endpoints are
 * discovered from the issuer; a discovery that fails is a 400 that says why.
 */
export async function parseSignIn(raw: unknown, issuer: string): Promise<SignInSettings | undefined> {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new HttpError(400, "spec.signIn must be an object");
  const clientId = text(pick(raw, "clientId", "client_id"));
  if (!clientId) throw new HttpError(400, "spec.signIn.clientId is required");
  if (clientId.length > 256 || !/^[\x21-\x7e]+$/.test(clientId)) {
    throw new HttpError(400, "spec.signIn.clientId must be printable ASCII without spaces (at most 256)");
  }
  const scopesRaw = pick(raw, "scopes");
  if (
    scopesRaw !== undefined &&
    (!Array.isArray(scopesRaw) || scopesRaw.some((s) => typeof s !== "string"))
  ) {
    throw new HttpError(400, "spec.signIn.scopes must be a list of strings");
  }
  const scopes = ((scopesRaw as string[] | undefined) ?? DEFAULT_SCOPES).map((s) => s.trim()).filter(Boolean);
  if (scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    throw new HttpError(400, "spec.signIn.scopes must be scope tokens (no spaces or quotes)");
  }
  if (!scopes.includes("openid")) scopes.unshift("openid");
  let authorization = text(pick(raw, "authorizationEndpoint", "authorization_endpoint"));
  let token = text(pick(raw, "tokenEndpoint", "token_endpoint"));
  if (!authorization || !token) {
    const found = await discover(issuer);
    authorization ||= found.authorization;
    token ||= found.token;
  }
  return {
    clientId,
    authorizationEndpoint: checkEndpoint(authorization, "spec.signIn.authorizationEndpoint"),
    tokenEndpoint: checkEndpoint(token, "spec.signIn.tokenEndpoint"),
    scopes,
  };
}

async function discover(issuer: string): Promise<{ authorization: string; token: string }> {
  const base = checkEndpoint(issuer, "spec.identityProvider.issuer (to discover sign-in endpoints)");
  const uri = `${base.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  const fail = (why: string) =>
    new HttpError(
      400,
      `spec.signIn: cannot discover the sign-in endpoints from ${uri}: ${why}; give spec.signIn.authorizationEndpoint and spec.signIn.tokenEndpoint`,
    );
  let doc: unknown;
  try {
    const res = await fetch(uri, {
      headers: { Accept: "application/json" },
      redirect: "error",
      signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS),
    });
    if (!res.ok) throw fail(`it answered ${res.status}`);
    doc = JSON.parse(await readCapped(res, () => fail("the document is too large")));
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw fail(err instanceof SyntaxError ? "the answer is not JSON" : "it cannot be reached");
  }
  if (!isObject(doc)) throw fail("the answer is not a JSON object");
  if (text(doc.issuer) !== issuer) throw fail(`its issuer ${JSON.stringify(doc.issuer)} is not ${issuer}`);
  const authorization = text(doc.authorization_endpoint);
  const token = text(doc.token_endpoint);
  if (!authorization || !token) throw fail("it names no authorization_endpoint and token_endpoint");
  return { authorization, token };
}

/** The body as text, refusing (without reading on) one larger than {@link MAX_DISCOVERY_BYTES}. */
async function readCapped(res: Response, tooLarge: () => Error): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_DISCOVERY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The stored settings of a provider document, or undefined. */
export function signInOf(spec: Obj): SignInSettings | undefined {
  const s = isObject(spec.signIn) ? spec.signIn : undefined;
  if (!s) return undefined;
  const clientId = text(s.clientId);
  const authorizationEndpoint = text(s.authorizationEndpoint);
  const tokenEndpoint = text(s.tokenEndpoint);
  if (!clientId || !authorizationEndpoint || !tokenEndpoint) return undefined;
  const scopes = Array.isArray(s.scopes) ? s.scopes.filter((x): x is string => typeof x === "string") : [];
  return { clientId, authorizationEndpoint, tokenEndpoint, scopes: scopes.length ? scopes : DEFAULT_SCOPES };
}

/** The sign-in options of a workspace: its providers', then `default`'s (as token checks use them). */
export async function signInOptions(store: Store, workspace: string): Promise<SignInOption[]> {
  const spaces = workspace === "default" ? ["default"] : [workspace, "default"];
  const out: SignInOption[] = [];
  for (const ws of spaces) {
    for (const record of await store.listResources(ws, "identity_provider")) {
      const spec = isObject(record.doc.spec) ? record.doc.spec : {};
      const settings = signInOf(spec);
      const idp = isObject(spec.identityProvider) ? spec.identityProvider : {};
      if (!settings || !text(idp.issuer)) continue;
      out.push({
        name: record.name,
        workspace: ws,
        issuer: text(idp.issuer),
        client_id: settings.clientId,
        authorization_endpoint: settings.authorizationEndpoint,
        token_endpoint: settings.tokenEndpoint,
        scopes: settings.scopes,
      });
    }
  }
  return out;
}

/** The origins of every token endpoint configured in any of `workspaces`, sorted, unique. */
export async function tokenEndpointOrigins(store: Store, workspaces: readonly string[]): Promise<string[]> {
  const origins = new Set<string>();
  for (const ws of workspaces) {
    for (const record of await store.listResources(ws, "identity_provider")) {
      const spec = isObject(record.doc.spec) ? record.doc.spec : {};
      const settings = signInOf(spec);
      if (!settings) continue;
      try {
        origins.add(new URL(settings.tokenEndpoint).origin);
      } catch {
        // Stored before validation existed: not allowed anywhere.
      }
    }
  }
  return [...origins].sort();
}
