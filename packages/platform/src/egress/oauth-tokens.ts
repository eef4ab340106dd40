/**
 * @module egress/oauth-tokens
 * Delegated-user OAuth2 tokens (platform-and-cli A8): where they are kept and how they are got.
 *
 * - Stored per (workspace, tool, end user) as the encrypted secret `oauth-token:<tool>:<user>`;
 *   user "" is the tool's shared token. Never in a resource, a response, an event or a log line.
 * - The token endpoint (`tokenUrl`): the authorization-code exchange and the refresh grant, with
 *   the client authentication the client-credentials code uses (HTTP Basic, or the form with
 *   `clientAuthMethod: client_secret_post`; a client without a secret sends only `client_id`).
 *   Failures say what happened without quoting the endpoint's body (only its `error` code).
 */
import type { ToolAuth } from "../governance/tool-info.js";
import type { Store } from "../store/store.js";
import { isObject } from "../validate.js";

export type OAuth2Auth = Extract<ToolAuth, { type: "OAuth2" }>;

/** What is stored (all strings: the secret store keeps string maps). */
export interface StoredToken {
  access_token: string;
  refresh_token: string;
  /** Epoch ms after which the access token is refreshed; "" when its lifetime is unknown. */
  refresh_at: string;
  /** Epoch ms when the token was stored. */
  stored_at: string;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** Seconds; undefined when the endpoint did not say. */
  expiresIn: number | undefined;
}

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
}

const TOKEN_TIMEOUT_MS = 10_000;

export const tokenSecretName = (tool: string, user: string): string => `oauth-token:${tool}:${user}`;

export async function readToken(
  store: Store,
  ws: string,
  tool: string,
  user: string,
): Promise<StoredToken | undefined> {
  const values = await store.getSecret(ws, tokenSecretName(tool, user));
  if (!values || (!values.access_token && !values.refresh_token)) return undefined;
  return {
    access_token: values.access_token ?? "",
    refresh_token: values.refresh_token ?? "",
    refresh_at: values.refresh_at ?? "",
    stored_at: values.stored_at ?? "",
  };
}

/** Stores a token; `expiresIn` (seconds) sets when it is refreshed, a little before it expires. */
export async function writeToken(
  store: Store,
  ws: string,
  tool: string,
  user: string,
  token: { accessToken: string; refreshToken: string; expiresIn: number | undefined },
  now = Date.now(),
): Promise<StoredToken> {
  const stored: StoredToken = {
    access_token: token.accessToken,
    refresh_token: token.refreshToken,
    refresh_at: token.expiresIn === undefined ? "" : String(refreshAt(now, token.expiresIn)),
    stored_at: String(now),
  };
  await store.putSecret(ws, tokenSecretName(tool, user), { ...stored });
  return stored;
}

export async function deleteToken(store: Store, ws: string, tool: string, user: string): Promise<boolean> {
  const name = tokenSecretName(tool, user);
  const existed = (await store.getSecret(ws, name)) !== undefined;
  if (existed) await store.deleteSecret(ws, name);
  return existed;
}

/** When a token living `expiresIn` seconds is renewed: in its last minute, or last tenth if shorter. */
export function refreshAt(now: number, expiresIn: number): number {
  const lifetimeMs = Math.max(0, expiresIn) * 1000;
  return now + lifetimeMs - Math.min(60_000, lifetimeMs / 10);
}

/** The token endpoint refused (`status` 4xx/5xx) or could not be reached (`status` 0). */
export class TokenEndpointError extends Error {
  override name = "TokenEndpointError";
  constructor(
    readonly status: number,
    /** The OAuth `error` code the endpoint sent (e.g. `invalid_grant`), else "". */
    readonly oauthError: string,
    message: string,
  ) {
    super(message);
  }

  /** The grant itself was refused (400/401): a refresh token that no longer works. */
  get rejected(): boolean {
    return this.status === 400 || this.status === 401;
  }
}

/** The tool's OAuth client from its credentials secret (client_id, client_secret). */
export async function clientOf(store: Store, ws: string, auth: OAuth2Auth): Promise<OAuthClient> {
  const secret = (await store.getSecret(ws, auth.secret)) ?? {};
  return { clientId: secret.client_id ?? "", clientSecret: secret.client_secret ?? "" };
}

/** POSTs a grant to `tokenUrl` and returns the tokens; throws {@link TokenEndpointError}. */
export async function requestTokens(
  auth: OAuth2Auth,
  client: OAuthClient,
  grant: Record<string, string>,
): Promise<TokenSet> {
  const form = new URLSearchParams(grant);
  const headers: Record<string, string> = {
    "Content-Type": "application/x-www-form-urlencoded",
    Accept: "application/json",
  };
  if (!client.clientSecret || auth.clientAuth === "post") {
    form.set("client_id", client.clientId);
    if (client.clientSecret) form.set("client_secret", client.clientSecret);
  } else {
    const basic = `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`;
    headers.Authorization = `Basic ${Buffer.from(basic).toString("base64")}`;
  }
  let res: Response;
  try {
    res = await fetch(auth.tokenUrl, {
      method: "POST",
      headers,
      body: form.toString(),
      redirect: "manual",
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    const why = (error as Error).name === "TimeoutError" ? "timed out" : (code ?? "network error");
    throw new TokenEndpointError(0, "", `the token endpoint could not be reached (${why})`);
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed)) body = parsed;
  } catch {
    // not JSON: judged by the status below
  }
  if (res.status < 200 || res.status >= 300) {
    const code = typeof body.error === "string" && /^[\w.-]{1,64}$/.test(body.error) ? body.error : "";
    throw new TokenEndpointError(
      res.status,
      code,
      `the token endpoint answered HTTP ${res.status}${code ? ` (${code})` : ""}`,
    );
  }
  const accessToken = body.access_token;
  if (typeof accessToken !== "string" || accessToken === "") {
    throw new TokenEndpointError(res.status, "", "the token endpoint sent no access_token");
  }
  const expiresIn = Number(body.expires_in);
  return {
    accessToken,
    refreshToken: typeof body.refresh_token === "string" ? body.refresh_token : "",
    expiresIn: body.expires_in !== undefined && Number.isFinite(expiresIn) ? expiresIn : undefined,
  };
}
