/**
 * @module egress/consent
 * Credentials of a delegated-user tool (OAuth2 with an `authUrl`; platform-and-cli A8) on an
 * allowed call. The end user is the user of the call's run (the platform established it at
 * invoke; a header the agent writes never counts). A call outside a run is refused
 * (`END_USER_REQUIRED`), shared token or not. In a run, token order: the user's own
 * → the tool's shared one (user "") → none: consent is needed — a pending consent (which pauses
 * the run, `governance/consents`) and `403 {"code": "CONSENT_REQUIRED", "resume_id",
 * "authorization_url", ...}` for the agent.
 *
 * An access token is used until shortly before it expires, or until the tool answers 401; it is
 * then refreshed with the refresh token — once for concurrent callers, in this process and across
 * every platform process on the store (a lease; the others use the token it stores). A refresh the token
 * endpoint refuses (400/401, e.g. `invalid_grant`) deletes the token, so consent is asked again.
 * A call with no end user and no shared token is refused (`END_USER_REQUIRED`): nobody could
 * consent for it, and a consent made anonymously must not become everybody's token.
 */
import { randomUUID } from "node:crypto";
import type { OutgoingHttpHeaders } from "node:http";
import { HttpError } from "../errors.js";
import { requestConsent } from "../governance/consents.js";
import type { ToolInfo } from "../governance/tool-info.js";
import type { Logger } from "../log.js";
import { tryLease } from "../store/lease.js";
import type { Store } from "../store/store.js";
import { unavailable } from "./credentials.js";
import { signState } from "./oauth-state.js";
import {
  clientOf,
  deleteToken,
  type OAuth2Auth,
  readToken,
  requestTokens,
  type StoredToken,
  TokenEndpointError,
  tokenSecretName,
  writeToken,
} from "./oauth-tokens.js";
import { type CallIdentity, type CallRecord, recordRequest } from "./record.js";

export interface DelegatedDeps {
  store: Store;
  log: Logger;
  /** The platform's root URL: the default callback is `<baseUrl>/oauth/callback`. */
  baseUrl(): string;
}

/** The token put on the call (to mark it stale on a 401), or the 403 body asking for consent. */
export type Delegation =
  | { used: { user: string; accessToken: string }; blocked?: undefined }
  | { blocked: Record<string, unknown>; used?: undefined };

export const isDelegated = (tool: ToolInfo): boolean =>
  tool.auth.type === "OAuth2" && tool.auth.authUrl !== "";

/** The workspace's `oauthCallbackUrl` setting (`/settings/auth`), else `<baseUrl>/oauth/callback`. */
export async function oauthCallbackUrl(store: Store, ws: string, baseUrl: string): Promise<string> {
  const configured = (await store.readResource(ws, "setting", "auth"))?.doc.oauthCallbackUrl;
  return typeof configured === "string" && configured !== "" ? configured : `${baseUrl}/oauth/callback`;
}

/** How long a refresh holds its lease, how long others wait for it, and how often they look. */
const REFRESH_LEASE_MS = 30_000;
const REFRESH_WAIT_MS = 15_000;
const REFRESH_POLL_MS = 100;

export class DelegatedAuth {
  readonly #refreshing = new Map<string, Promise<string | undefined>>();
  /** Holds this process's refresh leases. */
  readonly #owner = `oauth-${randomUUID()}`;
  /** Refresh-grant requests made, for tests. */
  refreshes = 0;

  constructor(
    private readonly deps: DelegatedDeps,
    private readonly now: () => number = Date.now,
  ) {}

  /** Sets `Authorization: Bearer <token>` on `headers`, or answers what the agent gets instead. */
  async apply(
    identity: CallIdentity,
    call: CallRecord,
    tool: ToolInfo,
    headers: OutgoingHttpHeaders,
  ): Promise<Delegation> {
    const { store } = this.deps;
    const ws = identity.workspace;
    if (!identity.run) {
      throw new HttpError(
        403,
        `tool ${tool.name} acts for an end user, and a call outside a run has none: call it within a run the platform started`,
        { code: "END_USER_REQUIRED", details: { tool: tool.name } },
      );
    }
    for (const user of identity.userId ? [identity.userId, ""] : [""]) {
      const token = await readToken(store, ws, tool.name, user);
      const access = token && (await this.#usable(ws, tool, user, token));
      if (access) {
        headers.authorization = `Bearer ${access}`;
        return { used: { user, accessToken: access } };
      }
    }
    if (!identity.userId) {
      throw new HttpError(
        403,
        `tool ${tool.name} acts for an end user, but this call's run has none and no shared token is stored for it`,
        { code: "END_USER_REQUIRED", details: { tool: tool.name } },
      );
    }
    return { blocked: await this.#askConsent(identity, call, tool) };
  }

  /** The tool answered 401 to `used`: refresh it before its next use. Never throws. */
  async invalidate(ws: string, tool: ToolInfo, used: { user: string; accessToken: string }): Promise<void> {
    const { store } = this.deps;
    try {
      const token = await readToken(store, ws, tool.name, used.user);
      if (token?.access_token !== used.accessToken) return; // replaced meanwhile
      await store.putSecret(ws, tokenSecretName(tool.name, used.user), { ...token, refresh_at: "0" });
    } catch (error) {
      this.deps.log.error("could not mark a delegated token stale", {
        tool: tool.name,
        error: String(error),
      });
    }
  }

  /** The access token to send, refreshed when due; undefined when the token is no good. */
  #usable(ws: string, tool: ToolInfo, user: string, token: StoredToken): Promise<string | undefined> {
    const due = token.refresh_at !== "" && Number(token.refresh_at) <= this.now();
    if (token.access_token && !due) return Promise.resolve(token.access_token);
    const key = `${ws}\0${tool.name}\0${user}`;
    let refreshing = this.#refreshing.get(key);
    if (!refreshing) {
      refreshing = this.#refresh(ws, tool, user, token).finally(() => this.#refreshing.delete(key));
      this.#refreshing.set(key, refreshing);
    }
    return refreshing;
  }

  /**
   * Refreshes under a lease shared by every platform process on the store (`store/lease`): one
   * of them refreshes, the others wait for the token it stores and use that. Without this a
   * provider that rotates refresh tokens would refuse the second refresh, and consent would be
   * asked again for a token that is fine.
   */
  async #refresh(ws: string, tool: ToolInfo, user: string, token: StoredToken): Promise<string | undefined> {
    const { store } = this.deps;
    const deadline = Date.now() + REFRESH_WAIT_MS;
    const lease = `oauth-refresh/${ws}/${tool.name}/${user}`;
    for (;;) {
      const current = await readToken(store, ws, tool.name, user);
      if (!current) return undefined; // dropped meanwhile: consent is asked again
      if (this.#replaced(current, token)) return current.access_token;
      const release = await tryLease(store, lease, this.#owner, REFRESH_LEASE_MS);
      if (release) {
        try {
          // Refreshed by another process between the read above and the lease?
          const latest = (await readToken(store, ws, tool.name, user)) ?? current;
          if (this.#replaced(latest, token)) return latest.access_token;
          return await this.#refreshGrant(ws, tool, user, latest);
        } finally {
          await release().catch(() => undefined);
        }
      }
      if (Date.now() > deadline) {
        throw unavailable(tool.name, "another platform process is refreshing the token; try again");
      }
      await new Promise((resolve) => setTimeout(resolve, REFRESH_POLL_MS));
    }
  }

  /** `current` is another token than `used` and needs no refresh: someone refreshed it. */
  #replaced(current: StoredToken, used: StoredToken): boolean {
    const due = current.refresh_at !== "" && Number(current.refresh_at) <= this.now();
    return current.access_token !== "" && current.access_token !== used.access_token && !due;
  }

  async #refreshGrant(
    ws: string,
    tool: ToolInfo,
    user: string,
    token: StoredToken,
  ): Promise<string | undefined> {
    const { store, log } = this.deps;
    const auth = tool.auth as OAuth2Auth;
    const drop = async (why: string) => {
      const current = await readToken(store, ws, tool.name, user);
      // The refresh token was rotated by a refresh that got there first: use its token.
      if (current && this.#replaced(current, token)) return current.access_token;
      if (current?.refresh_token === token.refresh_token) await deleteToken(store, ws, tool.name, user);
      log.info("delegated oauth token dropped", { workspace: ws, tool: tool.name, reason: why });
      return undefined;
    };
    if (!token.refresh_token) return drop("expired, and there is no refresh token");
    if (!auth.tokenUrl) {
      throw unavailable(tool.name, "spec.connection.authentication.oauth2Config.tokenUrl is not set");
    }
    this.refreshes++;
    try {
      const set = await requestTokens(auth, await clientOf(store, ws, auth), {
        grant_type: "refresh_token",
        refresh_token: token.refresh_token,
      });
      await writeToken(
        store,
        ws,
        tool.name,
        user,
        { ...set, refreshToken: set.refreshToken || token.refresh_token },
        this.now(),
      );
      return set.accessToken;
    } catch (error) {
      if (!(error instanceof TokenEndpointError)) throw error;
      if (error.rejected) return drop(`the refresh was refused (${error.oauthError || error.status})`);
      throw unavailable(tool.name, `refreshing the token failed: ${error.message}`);
    }
  }

  /** Records the blocked call, creates (or reuses) the pending consent, and builds the 403 body. */
  async #askConsent(
    identity: CallIdentity,
    call: CallRecord,
    tool: ToolInfo,
  ): Promise<Record<string, unknown>> {
    const { store } = this.deps;
    const ws = identity.workspace;
    const auth = tool.auth as OAuth2Auth;
    const { clientId } = await clientOf(store, ws, auth);
    if (!clientId) throw unavailable(tool.name, "no client_id is stored for it");
    let base: URL;
    try {
      base = new URL(auth.authUrl);
    } catch {
      throw new HttpError(502, `tool ${tool.name} has an invalid oauth2Config.authUrl`, {
        code: "TOOL_MISCONFIGURED",
      });
    }
    const redirectUri = await oauthCallbackUrl(store, ws, this.deps.baseUrl());
    await recordRequest(store, identity, call, "", {
      decision: "consent_required",
      end_user_id: identity.userId,
    });
    const consent = await requestConsent(
      store,
      ws,
      {
        tool: tool.name,
        user: identity.userId,
        agent: identity.agent,
        runId: identity.run?.id ?? "",
        redirectUri,
        link: async (rid, run, expiresAtMs) => {
          const state = await signState(store, {
            ws,
            tool: tool.name,
            user: identity.userId,
            run,
            rid,
            exp: Math.floor(expiresAtMs / 1000),
          });
          const url = new URL(base);
          for (const [name, value] of Object.entries(auth.authParams)) url.searchParams.set(name, value);
          url.searchParams.set("response_type", "code");
          url.searchParams.set("client_id", clientId);
          url.searchParams.set("redirect_uri", redirectUri);
          if (auth.scopes.length > 0) url.searchParams.set("scope", auth.scopes.join(" "));
          url.searchParams.set("state", state);
          return url.href;
        },
      },
      this.now(),
    );
    return {
      error: `Consent required for ${tool.name}`,
      code: "CONSENT_REQUIRED",
      message: `Connect ${tool.name} to continue: open the authorization URL and grant access.`,
      tool: tool.name,
      resume_id: consent.resume_id,
      run_id: consent.run_id,
      authorization_url: consent.authorization_url,
    };
  }
}
