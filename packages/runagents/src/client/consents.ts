/**
 * @module
 * OAuth2 consent for delegated-user tools: `client.consents` lists the consents that paused runs wait
 * on (`GET /consents`); `client.oauthTokens` stores a token by hand (`POST /oauth/tokens`), which
 * grants the consents it satisfies and resumes their runs, and revokes one
 * (`DELETE /oauth/tokens/{tool}`). No answer ever carries a token.
 */

import { RunAgentsValidationError } from "../errors.js";
import type { CallOptions, Transport } from "./http.js";
import { urlPath } from "./http.js";
import { bool, firstText, listOf, num, obj, text } from "./parse.js";
import type { JsonObject } from "./types.js";

/** `pending` | `granted` | `expired` (a pending consent whose link has expired reads as `expired`). */
export type ConsentStatus = "pending" | "granted" | "expired";

/** A delegated-user tool call that found no OAuth token for its end user. */
export interface Consent {
  id: string;
  /** What the paused run waits on (its `blockedActionId`); the same as `id`. */
  resumeId: string;
  tool: string;
  /** The end user whose token is missing. */
  userId: string;
  /** The run it paused; `""` when the call had no run. */
  runId: string;
  agent: string;
  /** `pending` | `granted` | `expired` */
  status: string;
  /** Where the end user grants access; valid until `expiresAt`. */
  authorizationUrl: string;
  expiresAt: string;
  /** `""` until granted. */
  grantedAt: string;
  createdAt: string;
  updatedAt: string;
}

export interface ConsentListOptions {
  /** Only consents in this status; all (pending first) when omitted. */
  status?: ConsentStatus;
}

/** A token stored by hand; without `user` it is the tool's shared token (used for every end user). */
export interface OAuthTokenInput {
  tool: string;
  user?: string;
  accessToken?: string;
  refreshToken?: string;
  /** Seconds until the access token expires: a whole number, 0 or more. */
  expiresIn?: number;
}

/** What the platform answers for a stored token: a status, never the token. */
export interface OAuthTokenResult {
  /** `stored` */
  status: string;
  tool: string;
  /** `""` for the shared token. */
  user: string;
  shared: boolean;
  hasAccessToken: boolean;
  hasRefreshToken: boolean;
  /** How many runs paused on a consent this token granted are now resuming. */
  resumedRuns: number;
}

export interface OAuthTokenDeleteResult {
  /** `deleted` */
  status: string;
  tool: string;
  /** `""` for the shared token. */
  user: string;
}

export function toConsent(value: unknown): Consent {
  const d = obj(value);
  const id = text(d.id);
  return {
    id,
    resumeId: text(d.resume_id) || id,
    tool: firstText(d, "tool", "tool_id"),
    userId: firstText(d, "user_id", "user"),
    runId: text(d.run_id),
    agent: firstText(d, "agent", "agent_id"),
    status: text(d.status),
    authorizationUrl: text(d.authorization_url),
    expiresAt: text(d.expires_at),
    grantedAt: text(d.granted_at),
    createdAt: text(d.created_at),
    updatedAt: text(d.updated_at),
  };
}

export function toOAuthTokenResult(value: unknown): OAuthTokenResult {
  const d = obj(value);
  const user = text(d.user);
  return {
    status: text(d.status),
    tool: text(d.tool),
    user,
    shared: bool(d.shared, user === ""),
    hasAccessToken: bool(d.has_access_token),
    hasRefreshToken: bool(d.has_refresh_token),
    resumedRuns: num(d.resumed_runs),
  };
}

function toDeleteResult(value: unknown): OAuthTokenDeleteResult {
  const d = obj(value);
  return { status: text(d.status), tool: text(d.tool), user: text(d.user) };
}

/**
 * The `POST /oauth/tokens` body `{tool, user?, access_token?, refresh_token?, expires_in?}`; empty
 * values are left out. Throws {@link RunAgentsValidationError} (nothing is sent) without a tool, without
 * any token, or for an `expiresIn` that is not a whole number of seconds.
 */
export function buildOAuthTokenBody(input: OAuthTokenInput): JsonObject {
  const tool = (input.tool ?? "").trim();
  if (tool === "") throw new RunAgentsValidationError("tool is required");
  const accessToken = input.accessToken ?? "";
  const refreshToken = input.refreshToken ?? "";
  if (accessToken === "" && refreshToken === "") {
    throw new RunAgentsValidationError("accessToken or refreshToken is required");
  }
  const body: JsonObject = { tool };
  const user = (input.user ?? "").trim();
  if (user !== "") body.user = user;
  if (accessToken !== "") body.access_token = accessToken;
  if (refreshToken !== "") body.refresh_token = refreshToken;
  if (input.expiresIn !== undefined) {
    if (!Number.isInteger(input.expiresIn) || input.expiresIn < 0) {
      throw new RunAgentsValidationError("expiresIn must be a whole number of seconds (0 or more)");
    }
    body.expires_in = input.expiresIn;
  }
  return body;
}

export class ConsentsResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** GET /consents[?status=]: pending first (oldest first), then the others (newest first). */
  async list(filters: ConsentListOptions = {}, options: CallOptions = {}): Promise<Consent[]> {
    const status = (filters.status ?? "").trim();
    const query = status === "" ? {} : { status };
    return listOf(await this.#t.request("GET", "/consents", { ...options, query }), toConsent);
  }
}

export class OAuthTokensResource {
  readonly #t: Transport;

  constructor(transport: Transport) {
    this.#t = transport;
  }

  /** POST /oauth/tokens: store (or replace) a token for a delegated-user tool and grant its consents. */
  async set(input: OAuthTokenInput, options: CallOptions = {}): Promise<OAuthTokenResult> {
    const body = buildOAuthTokenBody(input);
    return toOAuthTokenResult(await this.#t.request("POST", "/oauth/tokens", { ...options, body }));
  }

  /** DELETE /oauth/tokens/{tool}[?user=]: revoke the user's token, or the shared one without a user. */
  async delete(
    tool: string,
    filters: { user?: string } = {},
    options: CallOptions = {},
  ): Promise<OAuthTokenDeleteResult> {
    if (tool.trim() === "") throw new RunAgentsValidationError("tool is required");
    const user = (filters.user ?? "").trim();
    const query = user === "" ? {} : { user };
    const path = urlPath`/oauth/tokens/${tool.trim()}`;
    return toDeleteResult(await this.#t.request("DELETE", path, { ...options, query }));
  }
}
