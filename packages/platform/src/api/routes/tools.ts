/**
 * @module api/routes/tools
 * Tools: upsert by name (flat body from the SDK, or `{name, spec, credentials}`), get, list,
 * delete, probe and test. Credentials go to the encrypted secret `<tool>-credentials` and are
 * never part of a stored document or a response: a tool says only `credentials_set`. An upsert
 * without `credentials` keeps the stored ones; `credentials: null` removes them.
 */

import { tokenSecretName } from "../../egress/oauth-tokens.js";
import { checkToolTarget } from "../../egress/targets.js";
import {
  initialToolStatus,
  scheduleToolProbe,
  toolBaseUrl,
  toolsWithFreshStatus,
} from "../../egress/tool-health.js";
import { HttpError, notFound } from "../../errors.js";
import type { ResourceRecord } from "../../store/store.js";
import { nowIso } from "../../time.js";
import {
  checkHttpUrl,
  checkName,
  isObject,
  type Obj,
  oneOf,
  optionalNumber,
  optionalObject,
  optionalString,
  requireObject,
} from "../../validate.js";
import { created, deleted, ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { TOOL_ROUTES } from "../schemas/resources.js";
import { probeUrl } from "./probe.js";

const AUTH_TYPES = ["None", "APIKey", "OAuth2"] as const;
const CREDENTIAL_KEYS = ["api_key", "client_id", "client_secret"] as const;

export function registerToolRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/tools", { schema: TOOL_ROUTES.list, permission: "read", handler: listTools });
  api.add("POST", "/tools", { schema: TOOL_ROUTES.upsert, permission: "develop", handler: upsertTool });
  api.add("POST", "/tools/probe", { schema: TOOL_ROUTES.probe, permission: "develop", handler: probe });
  api.add("GET", "/tools/:name", { schema: TOOL_ROUTES.get, permission: "read", handler: getTool });
  api.add("DELETE", "/tools/:name", {
    schema: TOOL_ROUTES.delete,
    permission: "develop",
    handler: deleteTool,
  });
  api.add("POST", "/tools/:name/test", {
    schema: TOOL_ROUTES.test,
    permission: "develop",
    handler: testTool,
  });
}

async function listTools(ctx: RequestContext) {
  const records = await ctx.store.listResources(ctx.workspace, "tool");
  const fresh = await toolsWithFreshStatus(ctx.services, records);
  return ok(fresh.map((r) => toolView(r, ctx.workspace)));
}

async function getTool(ctx: RequestContext) {
  const record = await loadTool(ctx, ctx.params.name as string);
  const [fresh] = await toolsWithFreshStatus(ctx.services, [record]);
  return ok(toolView(fresh ?? record, ctx.workspace));
}

async function upsertTool(ctx: RequestContext) {
  const { name, spec, credentials } = parseToolBody(ctx.body);
  checkToolTarget(spec, ctx.services.baseUrl());
  const existing = await ctx.store.getResource(ctx.workspace, "tool", name);
  if (ctx.body.credentials === null) {
    await ctx.store.deleteSecret(ctx.workspace, `${name}-credentials`);
  } else if (credentials) {
    const secretName = `${name}-credentials`;
    await ctx.store.putSecret(ctx.workspace, secretName, credentials);
    const auth = (spec.connection as Obj).authentication as Obj;
    if (auth.type === "APIKey") {
      auth.apiKeyConfig = { ...(auth.apiKeyConfig as Obj), secretRef: { name: secretName } };
    } else if (auth.type === "OAuth2") {
      auth.oauth2Config = { ...(auth.oauth2Config as Obj), credentialsSecretRef: { name: secretName } };
    }
  } else if (existing) {
    keepSecretRefs(spec, existing.doc.spec);
  }
  const baseUrl = toolBaseUrl({ spec });
  const unchanged = existing && isObject(existing.doc.status) && toolBaseUrl(existing.doc) === baseUrl;
  const status = unchanged ? existing.doc.status : initialToolStatus(ctx.services, baseUrl);
  const { record, created: isNew } = await ctx.store.putResource(ctx.workspace, "tool", name, {
    name,
    spec,
    status,
  });
  scheduleToolProbe(ctx.services, record);
  const view = toolView(record, ctx.workspace);
  return isNew ? created(view) : ok(view);
}

async function deleteTool(ctx: RequestContext) {
  const name = ctx.params.name as string;
  if (!(await ctx.store.deleteResource(ctx.workspace, "tool", name)))
    throw notFound(`tool "${name}" not found`);
  await ctx.store.deleteSecret(ctx.workspace, `${name}-credentials`);
  // End users' delegated OAuth tokens for the tool go with it.
  await ctx.store.deleteSecretsWithPrefix(ctx.workspace, tokenSecretName(name, ""));
  return deleted();
}

async function probe(ctx: RequestContext) {
  const url = checkHttpUrl(ctx.body.url, "url");
  return ok(await probeUrl(url));
}

async function testTool(ctx: RequestContext) {
  const record = await loadTool(ctx, ctx.params.name as string);
  const result = await probeUrl(toolBaseUrl(record.doc));
  const status = {
    phase: result.reachable ? "Available" : "Unavailable",
    message: result.reachable ? `reachable (HTTP ${result.status_code})` : (result.error ?? "unreachable"),
    last_probe_time: nowIso(),
    probe_latency_ms: result.latency_ms,
  };
  await ctx.store.putResource(ctx.workspace, "tool", record.name, { ...record.doc, status });
  return ok(result);
}

async function loadTool(ctx: RequestContext, name: string): Promise<ResourceRecord> {
  const record = await ctx.store.getResource(ctx.workspace, "tool", name);
  if (!record) throw notFound(`tool "${name}" not found`);
  return record;
}

/** Accepts the SDK's flat body and the documented nested one; returns a normalised spec. */
export function parseToolBody(body: Obj): { name: string; spec: Obj; credentials?: Record<string, string> } {
  const name = checkName(body.name, "tool name");
  const credentials = parseCredentials(optionalObject(body, "credentials"));
  if (body.spec !== undefined) {
    const spec = structuredClone(requireObject(body, "spec"));
    const connection = requireObject(spec, "connection", "spec.connection");
    checkHttpUrl(connection.baseUrl, "spec.connection.baseUrl");
    const auth = optionalObject(connection, "authentication", "spec.connection.authentication") ?? {};
    auth.type = oneOf(auth.type ?? "None", AUTH_TYPES, "spec.connection.authentication.type");
    stripSecretRefs(auth);
    connection.authentication = auth;
    connection.port ??= defaultPort(connection.baseUrl as string);
    connection.scheme ??= schemeOf(connection.baseUrl as string);
    connection.topology ??= "External";
    if (spec.capabilities !== undefined) spec.capabilities = parseCapabilities(spec.capabilities);
    optionalString(spec, "description", "spec.description");
    return credentials ? { name, spec, credentials } : { name, spec };
  }
  const baseUrl = checkHttpUrl(body.base_url ?? body.baseUrl, "base_url");
  const authType = oneOf(body.auth_type ?? body.authType ?? "None", AUTH_TYPES, "auth_type");
  const port = optionalNumber(body, "port") ?? defaultPort(baseUrl);
  const scheme =
    typeof body.scheme === "string" && body.scheme ? body.scheme.toUpperCase() : schemeOf(baseUrl);
  if (scheme !== "HTTP" && scheme !== "HTTPS") throw new HttpError(400, "scheme must be HTTP or HTTPS");
  const authentication: Obj = { type: authType };
  if (authType === "APIKey")
    authentication.apiKeyConfig = { in: "Header", name: "Authorization", valuePrefix: "Bearer " };
  const spec: Obj = {
    description: optionalString(body, "description") ?? "",
    connection: { topology: "External", baseUrl, port, scheme, authentication },
    governance: { accessControl: { mode: "Restricted" } },
    capabilities: body.capabilities === undefined ? [] : parseCapabilities(body.capabilities),
  };
  const override = body.allowInternalTarget ?? body.allow_internal_target;
  if (override !== undefined) spec.allowInternalTarget = override;
  return credentials ? { name, spec, credentials } : { name, spec };
}

function parseCredentials(value: Obj | undefined): Record<string, string> | undefined {
  if (!value) return undefined;
  const out: Record<string, string> = {};
  for (const [key, secret] of Object.entries(value)) {
    if (!(CREDENTIAL_KEYS as readonly string[]).includes(key)) {
      throw new HttpError(400, `credentials.${key} is not supported (use ${CREDENTIAL_KEYS.join(", ")})`);
    }
    if (typeof secret !== "string") throw new HttpError(400, `credentials.${key} must be a string`);
    if (secret) out[key] = secret;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function parseCapabilities(value: unknown): Obj[] {
  if (!Array.isArray(value)) throw new HttpError(400, "capabilities must be a list");
  return value.map((cap, i) => {
    if (!isObject(cap)) throw new HttpError(400, `capabilities[${i}] must be an object`);
    const method = typeof cap.method === "string" ? cap.method.toUpperCase() : "";
    if (!/^[A-Z]+$/.test(method))
      throw new HttpError(400, `capabilities[${i}].method must be an HTTP method`);
    if (typeof cap.path !== "string" || !cap.path.startsWith("/")) {
      throw new HttpError(400, `capabilities[${i}].path must start with '/'`);
    }
    return { ...cap, name: typeof cap.name === "string" ? cap.name : `${method} ${cap.path}`, method };
  });
}

/** Secret references are the platform's to set: a caller must not point a tool at another secret. */
function stripSecretRefs(auth: Obj): void {
  if (isObject(auth.apiKeyConfig)) delete auth.apiKeyConfig.secretRef;
  if (isObject(auth.oauth2Config)) delete auth.oauth2Config.credentialsSecretRef;
}

function keepSecretRefs(spec: Obj, previous: unknown): void {
  const prevAuth =
    isObject(previous) && isObject(previous.connection) ? previous.connection.authentication : undefined;
  const auth = (spec.connection as Obj).authentication as Obj;
  if (!isObject(prevAuth) || prevAuth.type !== auth.type) return;
  for (const key of ["apiKeyConfig", "oauth2Config"]) {
    const prev = prevAuth[key];
    if (isObject(prev)) auth[key] = { ...prev, ...(isObject(auth[key]) ? auth[key] : {}) };
  }
}

const schemeOf = (url: string): string => (url.startsWith("https:") ? "HTTPS" : "HTTP");
const defaultPort = (url: string): number => {
  const parsed = new URL(url);
  return parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
};

/** Whether the tool's authentication points at stored credentials (never what they are). */
const hasSecretRef = (auth: Obj): boolean =>
  (isObject(auth.apiKeyConfig) && isObject(auth.apiKeyConfig.secretRef)) ||
  (isObject(auth.oauth2Config) && isObject(auth.oauth2Config.credentialsSecretRef));

/** Nested shape plus the flat keys the Go CLI and the Python SDK read. */
export function toolView(record: ResourceRecord, workspace: string): Obj {
  const spec = isObject(record.doc.spec) ? record.doc.spec : {};
  const connection = isObject(spec.connection) ? spec.connection : {};
  const auth = isObject(connection.authentication) ? connection.authentication : {};
  const governance = isObject(spec.governance) ? spec.governance : {};
  const access = isObject(governance.accessControl) ? governance.accessControl : {};
  const status = isObject(record.doc.status) ? record.doc.status : { phase: "Pending", message: "" };
  return {
    name: record.name,
    namespace: workspace,
    spec,
    status,
    description: spec.description ?? "",
    base_url: connection.baseUrl ?? "",
    topology: connection.topology ?? "External",
    access_mode: access.mode ?? "Restricted",
    auth: auth.type ?? "None",
    auth_type: auth.type ?? "None",
    credentials_set: hasSecretRef(auth),
    capabilities: Array.isArray(spec.capabilities) ? spec.capabilities : [],
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}
