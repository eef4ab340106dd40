/**
 * @module egress/credentials
 * Puts a tool's credentials on an outgoing call; the agent never sees them. Sources: the
 * encrypted secret the tool references (`<tool>-credentials`): `api_key` for API-key tools,
 * `client_id` + `client_secret` for OAuth2 client credentials.
 *
 * - API key: header `name: <valuePrefix><key>` or query parameter `name=<valuePrefix><key>`
 *   (replacing anything the agent sent under that name).
 * - OAuth2: a client-credentials token from `tokenUrl` (client authentication HTTP Basic, or in
 *   the form with `clientAuthMethod: client_secret_post`), cached per tool and client until
 *   shortly before `expires_in` (default 1h), fetched once for concurrent callers, and dropped
 *   when the tool answers 401 so the next call gets a fresh one.
 *
 * Decrypted secrets are cached per tool version (every credential change rewrites the tool).
 * Failures never quote a secret or a token endpoint's body.
 */
import type { OutgoingHttpHeaders } from "node:http";
import { HttpError } from "../errors.js";
import type { ToolInfo } from "../governance/tool-info.js";
import type { Store } from "../store/store.js";
import { type OAuth2Auth, refreshAt, requestTokens, type TokenSet } from "./oauth-tokens.js";

const DEFAULT_EXPIRES_IN_S = 3600;
const CACHE_LIMIT = 1000;

interface CachedToken {
  header: string;
  /** Epoch ms after which a new token is fetched. */
  refreshAt: number;
}

export const unavailable = (tool: string, why: string): HttpError =>
  new HttpError(502, `credentials for tool ${tool} are unavailable: ${why}`, {
    code: "CREDENTIALS_UNAVAILABLE",
    details: { tool },
  });

export class CredentialInjector {
  readonly #secrets = new Map<string, Record<string, string>>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<CachedToken>>();
  /** Token endpoint requests made, for tests and the benchmark. */
  tokenRequests = 0;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds the tool's credentials to `headers` / `url`; 502 CREDENTIALS_UNAVAILABLE when it cannot. */
  async apply(ws: string, tool: ToolInfo, headers: OutgoingHttpHeaders, url: URL): Promise<void> {
    const auth = tool.auth;
    if (auth.type === "None") return;
    const secret = await this.#secret(ws, tool, auth.secret);
    if (auth.type === "APIKey") {
      const key = secret.api_key;
      if (!key) throw unavailable(tool.name, "no api_key is stored for it");
      const value = `${auth.valuePrefix}${key}`;
      if (auth.in === "Query") url.searchParams.set(auth.name, value);
      else headers[auth.name.toLowerCase()] = value;
      return;
    }
    headers.authorization = (await this.#token(ws, tool, secret)).header;
  }

  /** Forget the tool's cached token (its upstream answered 401). */
  invalidate(ws: string, tool: ToolInfo): void {
    for (const key of this.#tokens.keys())
      if (key.startsWith(`${ws}\0${tool.name}\0`)) this.#tokens.delete(key);
  }

  async #secret(ws: string, tool: ToolInfo, name: string): Promise<Record<string, string>> {
    const key = `${ws}\0${tool.name}\0${tool.version}\0${name}`;
    const cached = this.#secrets.get(key);
    if (cached) return cached;
    const values = (await this.store.getSecret(ws, name)) ?? {};
    if (this.#secrets.size >= CACHE_LIMIT) this.#secrets.clear();
    this.#secrets.set(key, values);
    return values;
  }

  #token(ws: string, tool: ToolInfo, secret: Record<string, string>): Promise<CachedToken> {
    const auth = tool.auth;
    if (auth.type !== "OAuth2") throw new Error("not an OAuth2 tool");
    const clientId = secret.client_id ?? "";
    const clientSecret = secret.client_secret ?? "";
    if (!auth.tokenUrl)
      throw unavailable(tool.name, "spec.connection.authentication.oauth2Config.tokenUrl is not set");
    if (!clientId || !clientSecret)
      throw unavailable(tool.name, "no client_id and client_secret are stored for it");
    const key = `${ws}\0${tool.name}\0${auth.tokenUrl}\0${clientId}\0${auth.scopes.join(" ")}`;
    const cached = this.#tokens.get(key);
    if (cached && cached.refreshAt > this.now()) return Promise.resolve(cached);
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const fetching = this.#fetchToken(tool.name, auth, clientId, clientSecret)
      .then((token) => {
        if (this.#tokens.size >= CACHE_LIMIT) this.#tokens.clear();
        this.#tokens.set(key, token);
        return token;
      })
      .finally(() => this.#pending.delete(key));
    this.#pending.set(key, fetching);
    return fetching;
  }

  async #fetchToken(
    tool: string,
    auth: OAuth2Auth,
    clientId: string,
    clientSecret: string,
  ): Promise<CachedToken> {
    const grant: Record<string, string> = { grant_type: "client_credentials" };
    if (auth.scopes.length > 0) grant.scope = auth.scopes.join(" ");
    this.tokenRequests++;
    let tokens: TokenSet;
    try {
      tokens = await requestTokens(auth, { clientId, clientSecret }, grant);
    } catch (error) {
      throw unavailable(tool, (error as Error).message);
    }
    const expiresIn = tokens.expiresIn && tokens.expiresIn > 0 ? tokens.expiresIn : DEFAULT_EXPIRES_IN_S;
    return { header: `Bearer ${tokens.accessToken}`, refreshAt: refreshAt(this.now(), expiresIn) };
  }
}
