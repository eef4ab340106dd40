/**
 * @module api/routes/approval-connectors
 * Approval connectors (where approval requests are delivered): CRUD by `ac_...` id, a health
 * test, workspace delivery defaults and the delivery activity log. Header values are
 * credentials: they are stored encrypted and every response shows the header names with the
 * value `***`. Sending `***` back (a GET → PATCH round trip, or `approval_connectors.test(id)`,
 * which copies the live connector) keeps the stored value. Names are unique per workspace,
 * because the SDK resolves connectors by name.
 */
import { conflict, HttpError, notFound } from "../../errors.js";
import { testConnector } from "../../governance/connector-test.js";
import {
  CONNECTOR_TYPES,
  type ConnectorDefaults,
  type ConnectorDoc,
  DELIVERY_MODES,
  getConnectorDefaults,
  headersSecretName,
  listConnectorActivity,
  listConnectorRecords,
  loadConnectorHeaders,
  MASKED_VALUE,
  MAX_TIMEOUT_SECONDS,
  MIN_TIMEOUT_SECONDS,
  newConnectorId,
  putConnectorDefaults,
  SLACK_SECURITY_MODES,
  saveConnectorHeaders,
} from "../../governance/connectors.js";
import type { ResourceRecord } from "../../store/store.js";
import { checkHttpUrl, isObject, type Obj, oneOf, optionalBoolean, queryInt } from "../../validate.js";
import { created, deleted, ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { CONNECTOR_ROUTES } from "../schemas/resources.js";

export { recordConnectorActivity } from "../../governance/connectors.js";

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function registerApprovalConnectorRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/approval-connectors", {
    schema: CONNECTOR_ROUTES.list,
    permission: "read",
    handler: listConnectors,
  });
  api.add("POST", "/approval-connectors", {
    schema: CONNECTOR_ROUTES.create,
    permission: "develop",
    handler: createConnector,
  });
  api.add("POST", "/approval-connectors/test", {
    schema: CONNECTOR_ROUTES.test,
    permission: "develop",
    handler: testRoute,
  });
  api.add("GET", "/approval-connectors/defaults", {
    schema: CONNECTOR_ROUTES.getDefaults,
    permission: "read",
    handler: getDefaults,
  });
  api.add("PUT", "/approval-connectors/defaults", {
    schema: CONNECTOR_ROUTES.putDefaults,
    permission: "develop",
    handler: putDefaults,
  });
  api.add("GET", "/approval-connectors/activity", {
    schema: CONNECTOR_ROUTES.activity,
    permission: "read",
    handler: activity,
  });
  api.add("GET", "/approval-connectors/:id", {
    schema: CONNECTOR_ROUTES.get,
    permission: "read",
    handler: getConnector,
  });
  api.add("PATCH", "/approval-connectors/:id", {
    schema: CONNECTOR_ROUTES.patch,
    permission: "develop",
    handler: patchConnector,
  });
  api.add("DELETE", "/approval-connectors/:id", {
    schema: CONNECTOR_ROUTES.delete,
    permission: "develop",
    handler: deleteConnector,
  });
}

async function listConnectors(ctx: RequestContext) {
  const records = await listConnectorRecords(ctx.store, ctx.workspace);
  return ok(records.map((r) => connectorView(r, ctx.workspace)));
}

async function getConnector(ctx: RequestContext) {
  return ok(connectorView(await loadConnector(ctx), ctx.workspace));
}

async function createConnector(ctx: RequestContext) {
  const body = ctx.body;
  const name = connectorName(body.name);
  const type = oneOf(body.type ?? "webhook", CONNECTOR_TYPES, "type");
  const endpoint = connectorEndpoint(body.endpoint, type);
  const headers = body.headers === undefined || body.headers === null ? {} : parseHeaders(body.headers, {});
  const defaults = await getConnectorDefaults(ctx.store, ctx.workspace);
  const doc: ConnectorDoc = {
    id: newConnectorId(),
    name,
    type,
    endpoint,
    header_names: Object.keys(headers),
    enabled: optionalBoolean(body, "enabled") ?? true,
    timeout_seconds:
      parseTimeout(body.timeout_seconds, "timeout_seconds") ?? defaults.default_timeout_seconds,
    slack_security_mode: parseSecurityMode(body.slack_security_mode) ?? (type === "slack" ? "compat" : ""),
  };
  checkConsistent(doc, headers);
  await checkUniqueName(ctx, name, doc.id);
  await saveConnectorHeaders(ctx.store, ctx.workspace, doc.id, headers);
  const { record } = await ctx.store.putResource(ctx.workspace, "approval_connector", doc.id, doc);
  return created(connectorView(record, ctx.workspace));
}

async function patchConnector(ctx: RequestContext) {
  const record = await loadConnector(ctx);
  const body = ctx.body;
  const doc: ConnectorDoc = { ...record.doc };
  if (body.name !== undefined && body.name !== null) doc.name = connectorName(body.name);
  if (body.type !== undefined && body.type !== null) doc.type = oneOf(body.type, CONNECTOR_TYPES, "type");
  if (body.endpoint !== undefined && body.endpoint !== null)
    doc.endpoint = connectorEndpoint(body.endpoint, doc.type);
  else if (body.type !== undefined) doc.endpoint = connectorEndpoint(doc.endpoint, doc.type);
  const enabled = optionalBoolean(body, "enabled");
  if (enabled !== undefined) doc.enabled = enabled;
  doc.timeout_seconds = parseTimeout(body.timeout_seconds, "timeout_seconds") ?? doc.timeout_seconds;
  doc.slack_security_mode = parseSecurityMode(body.slack_security_mode) ?? doc.slack_security_mode;
  if (doc.type === "slack" && !doc.slack_security_mode) doc.slack_security_mode = "compat";
  const stored = await loadConnectorHeaders(ctx.store, ctx.workspace, doc.id);
  const headers =
    body.headers === undefined || body.headers === null ? stored : parseHeaders(body.headers, stored);
  doc.header_names = Object.keys(headers);
  checkConsistent(doc, headers);
  if (doc.name !== record.doc.name) await checkUniqueName(ctx, doc.name, doc.id);
  await saveConnectorHeaders(ctx.store, ctx.workspace, doc.id, headers);
  const { record: saved } = await ctx.store.putResource(ctx.workspace, "approval_connector", doc.id, doc);
  return ok(connectorView(saved, ctx.workspace));
}

async function deleteConnector(ctx: RequestContext) {
  const id = ctx.params.id as string;
  if (!(await ctx.store.deleteResource(ctx.workspace, "approval_connector", id))) {
    throw notFound(`approval connector "${id}" not found`);
  }
  await ctx.store.deleteSecret(ctx.workspace, headersSecretName(id));
  return deleted();
}

async function testRoute(ctx: RequestContext) {
  const body = ctx.body;
  const type = typeof body.type === "string" && body.type.trim() ? body.type.trim() : "webhook";
  const endpoint = typeof body.endpoint === "string" ? body.endpoint.trim() : "";
  if (body.endpoint !== undefined && body.endpoint !== null && typeof body.endpoint !== "string") {
    throw new HttpError(400, "endpoint must be a string");
  }
  if (
    body.timeout_seconds !== undefined &&
    body.timeout_seconds !== null &&
    typeof body.timeout_seconds !== "number"
  ) {
    throw new HttpError(400, "timeout_seconds must be a number");
  }
  if (
    body.slack_security_mode !== undefined &&
    body.slack_security_mode !== null &&
    typeof body.slack_security_mode !== "string"
  ) {
    throw new HttpError(400, "slack_security_mode must be a string");
  }
  // Masked values come from a GET of a live connector: test with the stored credentials.
  const live = (await listConnectorRecords(ctx.store, ctx.workspace)).find(
    (r) =>
      (typeof body.id === "string" && r.doc.id === body.id) ||
      (r.doc.type === type && r.doc.endpoint === endpoint),
  );
  const stored = live ? await loadConnectorHeaders(ctx.store, ctx.workspace, live.doc.id) : {};
  const headers =
    body.headers === undefined || body.headers === null ? {} : parseHeaders(body.headers, stored);
  const defaults = await getConnectorDefaults(ctx.store, ctx.workspace);
  return ok(
    await testConnector({
      type,
      endpoint,
      headers,
      timeout_seconds:
        typeof body.timeout_seconds === "number" ? body.timeout_seconds : defaults.default_timeout_seconds,
      slack_security_mode:
        (body.slack_security_mode as string | undefined) ?? (type === "slack" ? "compat" : ""),
    }),
  );
}

async function getDefaults(ctx: RequestContext) {
  return ok(defaultsView(await getConnectorDefaults(ctx.store, ctx.workspace)));
}

async function putDefaults(ctx: RequestContext) {
  const body = ctx.body;
  const patch: Partial<ConnectorDefaults> = {};
  if (body.default_delivery_mode !== undefined && body.default_delivery_mode !== null) {
    patch.default_delivery_mode = oneOf(body.default_delivery_mode, DELIVERY_MODES, "default_delivery_mode");
  }
  const fallback = optionalBoolean(body, "default_fallback_to_ui");
  if (fallback !== undefined) patch.default_fallback_to_ui = fallback;
  const timeout = parseTimeout(body.default_timeout_seconds, "default_timeout_seconds");
  if (timeout !== undefined) patch.default_timeout_seconds = timeout;
  return ok(defaultsView(await putConnectorDefaults(ctx.store, ctx.workspace, patch)));
}

async function activity(ctx: RequestContext) {
  const limit = queryInt(ctx.query, "limit", 50, 1) as number;
  return ok(await listConnectorActivity(ctx.store, ctx.workspace, Math.min(limit, 1000)));
}

async function loadConnector(ctx: RequestContext): Promise<ResourceRecord<ConnectorDoc>> {
  const id = ctx.params.id as string;
  const record = await ctx.store.getResource<ConnectorDoc>(ctx.workspace, "approval_connector", id);
  if (!record) throw notFound(`approval connector "${id}" not found`);
  return record;
}

async function checkUniqueName(ctx: RequestContext, name: string, id: string): Promise<void> {
  const clash = (await listConnectorRecords(ctx.store, ctx.workspace)).find(
    (r) => r.doc.name === name && r.doc.id !== id,
  );
  if (clash) throw conflict(`approval connector named "${name}" already exists (id ${clash.doc.id})`);
}

function connectorName(value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") throw new HttpError(400, "name is required");
  const name = value.trim();
  if (name.length > 253) throw new HttpError(400, "name must be at most 253 characters");
  return name;
}

function connectorEndpoint(value: unknown, type: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new HttpError(400, "endpoint is required");
  return type === "webhook" || type === "teams" ? checkHttpUrl(value, "endpoint") : value.trim();
}

function parseTimeout(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < MIN_TIMEOUT_SECONDS ||
    value > MAX_TIMEOUT_SECONDS
  ) {
    throw new HttpError(
      400,
      `${path} must be an integer between ${MIN_TIMEOUT_SECONDS} and ${MAX_TIMEOUT_SECONDS}`,
    );
  }
  return value;
}

function parseSecurityMode(value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  return oneOf(value, SLACK_SECURITY_MODES, "slack_security_mode");
}

/** Header name → value; a masked value (`***`) keeps what `stored` has under that name. */
function parseHeaders(value: unknown, stored: Record<string, string>): Record<string, string> {
  if (!isObject(value)) throw new HttpError(400, "headers must be an object of header names to values");
  const byLower = new Map(Object.entries(stored).map(([k, v]) => [k.toLowerCase(), v]));
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(value)) {
    if (!HEADER_NAME.test(name)) throw new HttpError(400, `headers: invalid header name "${name}"`);
    if (typeof raw !== "string") throw new HttpError(400, `headers.${name} must be a string`);
    if (/[\r\n\0]/.test(raw)) throw new HttpError(400, `headers.${name} must not contain line breaks`);
    const kept = raw === MASKED_VALUE ? byLower.get(name.toLowerCase()) : undefined;
    out[name] = kept ?? raw;
  }
  return out;
}

function checkConsistent(doc: ConnectorDoc, headers: Record<string, string>): void {
  if (doc.type === "slack" && doc.slack_security_mode === "strict") {
    const has = Object.entries(headers).some(
      ([k, v]) => k.toLowerCase() === "x-slack-signing-secret" && v.trim() !== "",
    );
    if (!has) {
      throw new HttpError(
        400,
        "headers.X-Slack-Signing-Secret is required when slack_security_mode is strict",
      );
    }
  }
}

export function connectorView(record: ResourceRecord<ConnectorDoc>, workspace: string): Obj {
  const doc = record.doc;
  return {
    id: doc.id,
    name: doc.name,
    namespace: workspace,
    type: doc.type,
    endpoint: doc.endpoint,
    headers: Object.fromEntries((doc.header_names ?? []).map((n) => [n, MASKED_VALUE])),
    enabled: doc.enabled,
    timeout_seconds: doc.timeout_seconds,
    slack_security_mode: doc.slack_security_mode,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}

function defaultsView(defaults: ConnectorDefaults): Obj {
  return { ...defaults, min_timeout_seconds: MIN_TIMEOUT_SECONDS, max_timeout_seconds: MAX_TIMEOUT_SECONDS };
}
