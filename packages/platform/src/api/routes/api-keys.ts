/**
 * @module api/routes/api-keys
 * Workspace API keys and the workspace auth settings. A token is shown once, in the create or
 * rotate answer; only its SHA-256 hash is stored. Key views use the documented camelCase names.
 * The settings also hold `oauthCallbackUrl`, the redirect URI of OAuth consent links (shown when
 * set; the default is `<platform URL>/oauth/callback`, see `egress/consent`).
 * `actForUsers: true` (set at creation) lets a key name the end user (`user_id`) on invoke in a
 * workspace whose users are verified by an identity provider: a trusted backend service.
 *
 * Keys carry a `role` (`api/roles`) and approver `groups`, both set at creation. Without a
 * `role` a key is a `viewer` (the platform's own first key, `local-admin`, is `admin`). Only
 * admins list, create, rotate and revoke keys.
 */
import { randomUUID } from "node:crypto";
import { conflict, HttpError, notFound } from "../../errors.js";
import type { ApiKeyRecord } from "../../store/store.js";
import { nowIso } from "../../time.js";
import { checkHttpUrl, type Obj, optionalString, requireString } from "../../validate.js";
import { API_KEY_HEADER, API_KEY_PREFIX, hashToken, newToken } from "../auth.js";
import { created, deleted, ok, type RequestContext, type RouteDef } from "../context.js";
import { DEFAULT_ROLE, isRole, ROLES, type Role } from "../roles.js";
import type { Router } from "../router.js";
import { API_KEY_ROUTES, MAX_EXPIRES_IN_DAYS } from "../schemas/platform.js";

export const SESSION_IDLE_TIMEOUT = { default: 60, min: 5, max: 1440 } as const;
const MAX_NAME_LENGTH = 128;
/** A label people read (and the approver identity of decisions made with the key). */
const KEY_NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._@:()-]*$/u;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
const MAX_GROUPS = 32;
const DAY_MS = 24 * 60 * 60 * 1000;

export function registerApiKeyRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/auth/api-keys", { schema: API_KEY_ROUTES.list, handler: listKeys, permission: "admin" });
  api.add("POST", "/auth/api-keys", {
    schema: API_KEY_ROUTES.create,
    handler: createKey,
    permission: "admin",
  });
  api.add("DELETE", "/auth/api-keys/:id", {
    schema: API_KEY_ROUTES.revoke,
    handler: revokeKey,
    permission: "admin",
  });
  api.add("POST", "/auth/api-keys/:id/rotate", {
    schema: API_KEY_ROUTES.rotate,
    handler: rotateKey,
    permission: "admin",
  });
  api.add("GET", "/settings/auth", {
    schema: API_KEY_ROUTES.getSettings,
    handler: getAuthSettings,
    permission: "read",
  });
  api.add("PUT", "/settings/auth", {
    schema: API_KEY_ROUTES.putSettings,
    handler: putAuthSettings,
    permission: "admin",
  });
}

async function listKeys(ctx: RequestContext) {
  return ok((await ctx.store.listApiKeys(ctx.workspace)).map(keyView));
}

async function createKey(ctx: RequestContext) {
  const name = requireString(ctx.body, "name").trim();
  if (name.length > MAX_NAME_LENGTH || !KEY_NAME.test(name)) {
    throw new HttpError(
      400,
      `invalid name "${name.slice(0, MAX_NAME_LENGTH)}": use at most ${MAX_NAME_LENGTH} letters, digits, spaces and . _ - @ : ( ), starting with a letter or digit`,
    );
  }
  const days = expiresInDays(ctx.body);
  const actForUsers = ctx.body.actForUsers ?? false;
  if (typeof actForUsers !== "boolean") throw new HttpError(400, "actForUsers must be a boolean");
  const role = keyRole(ctx);
  const groups = keyGroups(ctx.body);
  const existing = await ctx.store.listApiKeys(ctx.workspace);
  if (existing.some((k) => k.name === name)) throw conflict(`api key "${name}" already exists`);
  const token = newToken();
  const now = nowIso();
  const key: ApiKeyRecord = {
    id: randomUUID(),
    workspace: ctx.workspace,
    name,
    prefix: API_KEY_PREFIX,
    last4: token.slice(-4),
    hash: hashToken(token),
    createdAt: now,
    lastUsedAt: "",
    expiresAt: days === undefined ? "" : expiry(days),
    actForUsers,
    role,
    groups,
  };
  await ctx.store.createApiKey(key);
  ctx.services.log.info("api key created", {
    workspace: ctx.workspace,
    key_id: key.id,
    name,
    role,
    actForUsers,
  });
  return created({ key: keyView(key), token, header: API_KEY_HEADER });
}

async function revokeKey(ctx: RequestContext) {
  const id = ctx.params.id as string;
  if (!(await ctx.store.deleteApiKey(ctx.workspace, id))) throw notFound(`api key ${id} not found`);
  ctx.services.log.info("api key revoked", { workspace: ctx.workspace, key_id: id });
  return deleted();
}

async function rotateKey(ctx: RequestContext) {
  const id = ctx.params.id as string;
  const days = expiresInDays(ctx.body);
  const key = (await ctx.store.listApiKeys(ctx.workspace)).find((k) => k.id === id);
  if (!key) throw notFound(`api key ${id} not found`);
  const token = newToken();
  const patch = {
    hash: hashToken(token),
    last4: token.slice(-4),
    ...(days === undefined ? {} : { expiresAt: expiry(days) }),
  };
  await ctx.store.updateApiKey(id, patch);
  ctx.services.log.info("api key rotated", { workspace: ctx.workspace, key_id: id });
  return ok({ key: keyView({ ...key, ...patch }), token, header: API_KEY_HEADER });
}

async function getAuthSettings(ctx: RequestContext) {
  return ok(await authSettings(ctx));
}

/** Changes `sessionIdleTimeoutMinutes` and/or `oauthCallbackUrl` ("" clears it); nothing else. */
async function putAuthSettings(ctx: RequestContext) {
  const value = ctx.body.sessionIdleTimeoutMinutes;
  const callback = optionalString(ctx.body, "oauthCallbackUrl")?.trim();
  const { min, max } = SESSION_IDLE_TIMEOUT;
  const next: Obj = { ...(await ctx.store.getResource(ctx.workspace, "setting", "auth"))?.doc };
  if (value === undefined || value === null) {
    if (callback === undefined) throw new HttpError(400, "sessionIdleTimeoutMinutes is required");
  } else if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new HttpError(400, `sessionIdleTimeoutMinutes must be an integer from ${min} to ${max}`);
  } else next.sessionIdleTimeoutMinutes = value;
  if (callback === "") delete next.oauthCallbackUrl;
  else if (callback !== undefined) next.oauthCallbackUrl = checkHttpUrl(callback, "oauthCallbackUrl");
  await ctx.store.putResource(ctx.workspace, "setting", "auth", next);
  return ok(await authSettings(ctx));
}

async function authSettings(ctx: RequestContext): Promise<Obj> {
  const stored = await ctx.store.getResource(ctx.workspace, "setting", "auth");
  const timeout = stored?.doc.sessionIdleTimeoutMinutes;
  const callback = stored?.doc.oauthCallbackUrl;
  return {
    sessionIdleTimeoutMinutes: typeof timeout === "number" ? timeout : SESSION_IDLE_TIMEOUT.default,
    minSessionIdleTimeoutMinutes: SESSION_IDLE_TIMEOUT.min,
    maxSessionIdleTimeoutMinutes: SESSION_IDLE_TIMEOUT.max,
    programmaticHeader: API_KEY_HEADER,
    apiKeyPrefix: API_KEY_PREFIX,
    apiKeyCount: (await ctx.store.listApiKeys(ctx.workspace)).length,
    ...(typeof callback === "string" && callback ? { oauthCallbackUrl: callback } : {}),
  };
}

function keyRole(ctx: RequestContext): Role {
  const value = ctx.body.role;
  if (value === undefined || value === null || value === "") return DEFAULT_ROLE;
  if (!isRole(value)) throw new HttpError(400, `role must be one of ${ROLES.join(", ")}`);
  return value;
}

function keyGroups(body: Obj): string[] {
  const value = body.groups;
  if (value === undefined || value === null) return [];
  const invalid = () =>
    new HttpError(
      400,
      `groups must be a list of at most ${MAX_GROUPS} group names (letters, digits and . _ : @ / -, starting with a letter or digit)`,
    );
  if (!Array.isArray(value) || value.length > MAX_GROUPS) throw invalid();
  const groups: string[] = [];
  for (const item of value) {
    if (typeof item !== "string" || !GROUP_NAME.test(item.trim())) throw invalid();
    if (!groups.includes(item.trim())) groups.push(item.trim());
  }
  return groups;
}

function expiresInDays(body: Obj): number | undefined {
  const value = body.expiresInDays;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_EXPIRES_IN_DAYS) {
    throw new HttpError(400, `expiresInDays must be an integer from 1 to ${MAX_EXPIRES_IN_DAYS}`);
  }
  return value;
}

const expiry = (days: number): string => new Date(Date.now() + days * DAY_MS).toISOString();

/** The documented WorkspaceApiKey (plus `actForUsers` when true): never the hash, never the token. */
export function keyView(key: ApiKeyRecord): Obj {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    last4: key.last4,
    role: key.role,
    groups: key.groups,
    createdAt: key.createdAt,
    ...(key.lastUsedAt ? { lastUsedAt: key.lastUsedAt } : {}),
    ...(key.expiresAt ? { expiresAt: key.expiresAt } : {}),
    // Like the optional fields above, shown when set: ordinary keys keep the documented shape.
    ...(key.actForUsers ? { actForUsers: true } : {}),
  };
}
