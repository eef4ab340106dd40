/**
 * @module api/routes/oauth
 * OAuth2 consent for delegated-user tools (platform-and-cli A8):
 * - `GET /oauth/callback?code=&state=` at the platform root, public (the provider redirects the
 *   user's browser there): completes the consent and answers a small HTML page;
 * - `GET /consents[?status=]`: consents, pending first;
 * - `POST /oauth/tokens {tool, user?, access_token? | refresh_token?, expires_in?}`: store a token
 *   by hand (user omitted = the tool's shared token); `DELETE /oauth/tokens/{tool}?user=` revokes.
 * No answer carries a token.
 */

import { isDelegated } from "../../egress/consent.js";
import { completeConsent, tokenStored } from "../../egress/consent-callback.js";
import { deleteToken, readToken, writeToken } from "../../egress/oauth-tokens.js";
import { HttpError, notFound } from "../../errors.js";
import { listConsents } from "../../governance/consents.js";
import { toolInfo } from "../../governance/tool-info.js";
import { checkName, optionalNumber, optionalString } from "../../validate.js";
import { ok, type Reply, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { CONSENT_ROUTES } from "../schemas/runs.js";

const MAX_TOKEN_LENGTH = 16 * 1024;
const MAX_USER_LENGTH = 256;

export function registerOAuthRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/consents", { schema: CONSENT_ROUTES.list, permission: "read", handler: list });
  api.add("POST", "/oauth/tokens", {
    schema: CONSENT_ROUTES.storeToken,
    permission: "develop",
    handler: storeToken,
  });
  api.add("DELETE", "/oauth/tokens/:tool", {
    schema: CONSENT_ROUTES.revokeToken,
    permission: "develop",
    handler: revokeToken,
  });
}

export function registerOAuthCallbackRoute(root: Router<RouteDef>): void {
  root.add("GET", "/oauth/callback", { handler: callback, public: true });
}

async function list(ctx: RequestContext) {
  return ok(await listConsents(ctx.store, ctx.workspace, (ctx.query.get("status") ?? "").trim()));
}

async function callback(ctx: RequestContext): Promise<Reply> {
  const outcome = await completeConsent(ctx.services, ctx.query);
  const detail = outcome.already
    ? "This consent had already been recorded."
    : `Access to ${outcome.tool} was granted${outcome.resumed > 0 ? "; the waiting agent run continues" : ""}.`;
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>Consent recorded</title></head>
<body><h1>Consent recorded, you can close this window</h1><p>${escapeHtml(detail)}</p></body></html>
`;
  return {
    status: 200,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Referrer-Policy": "no-referrer",
    },
    stream: async (res) => {
      res.setHeader("Content-Length", Buffer.byteLength(html));
      res.end(html);
    },
  };
}

async function storeToken(ctx: RequestContext) {
  const body = ctx.body;
  const tool = await delegatedTool(ctx, checkName(body.tool, "tool"));
  const user = userOf(optionalString(body, "user"), "user");
  const accessToken = tokenField(body, "access_token");
  const refreshToken = tokenField(body, "refresh_token");
  if (!accessToken && !refreshToken) throw new HttpError(400, "access_token or refresh_token is required");
  const expiresIn = optionalNumber(body, "expires_in");
  if (expiresIn !== undefined && (!Number.isInteger(expiresIn) || expiresIn < 0)) {
    throw new HttpError(400, "expires_in must be a whole number of seconds (0 or more)");
  }
  const existed = (await readToken(ctx.store, ctx.workspace, tool, user)) !== undefined;
  await writeToken(ctx.store, ctx.workspace, tool, user, { accessToken, refreshToken, expiresIn });
  ctx.services.log.info("oauth token stored", { workspace: ctx.workspace, tool, shared: user === "" });
  const resumed = await tokenStored(ctx.services, ctx.workspace, tool, user);
  return {
    status: existed ? 200 : 201,
    body: {
      status: "stored",
      tool,
      user,
      shared: user === "",
      has_access_token: accessToken !== "",
      has_refresh_token: refreshToken !== "",
      resumed_runs: resumed,
    },
  };
}

async function revokeToken(ctx: RequestContext) {
  const tool = checkName(ctx.params.tool, "tool");
  const user = userOf(ctx.query.get("user") ?? undefined, "query parameter user");
  if (!(await deleteToken(ctx.store, ctx.workspace, tool, user))) {
    throw notFound(
      user
        ? `no token is stored for tool ${tool} and user ${user}`
        : `no shared token is stored for tool ${tool}`,
    );
  }
  ctx.services.log.info("oauth token revoked", { workspace: ctx.workspace, tool, shared: user === "" });
  return ok({ status: "deleted", tool, user });
}

async function delegatedTool(ctx: RequestContext, name: string): Promise<string> {
  const record = await ctx.store.readResource(ctx.workspace, "tool", name);
  if (!record) throw notFound(`tool "${name}" not found`);
  if (!isDelegated(toolInfo(record))) {
    throw new HttpError(
      400,
      `tool ${name} is not a delegated-user OAuth2 tool (spec.connection.authentication.oauth2Config.authUrl is not set)`,
    );
  }
  return name;
}

function userOf(value: string | undefined, path: string): string {
  const user = (value ?? "").trim();
  if (user.length > MAX_USER_LENGTH || hasControl(user)) {
    throw new HttpError(400, `${path} must be at most ${MAX_USER_LENGTH} printable characters`);
  }
  return user;
}

function tokenField(body: Record<string, unknown>, key: string): string {
  const value = optionalString(body, key) ?? "";
  if (value.length > MAX_TOKEN_LENGTH) throw new HttpError(400, `${key} is too long`);
  return value;
}

const hasControl = (text: string): boolean =>
  [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
