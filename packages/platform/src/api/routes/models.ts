/**
 * @module api/routes/models
 * Model providers (upsert by name, get, list, delete) and `GET /model-spend`.
 *
 * Body: `{name, spec{provider, endpoint, models[], auth?, rateLimit?, pricing?}, api_key?,
 * credentials?}`; a flat body (`{name, provider, endpoint, models, ...}`) is accepted too.
 * `endpoint` is required except for the built-in `playground` provider. Keys go only to the
 * encrypted secret `<name>-provider-key` (`api_key`, or AWS keys for Bedrock), which the spec
 * references by name; no key is ever stored in a document or returned. An upsert resets the
 * status to `Pending`, then the gateway probes the endpoint in the background and records the
 * result (`gateway/health.ts`). `status` is always an object: the Python SDK crashes on a string.
 */

import { storedLlmConfigs } from "../../deploy/agent-config.js";
import { HttpError, notFound } from "../../errors.js";
import { providersWithFreshStatus, scheduleProviderProbe } from "../../gateway/health.js";
import type { ModelPrice } from "../../gateway/pricing.js";
import { forgetProviders } from "../../gateway/provider-cache.js";
import {
  listUsage,
  monthPeriod,
  type ProviderRef,
  resolveModelProvider,
  summarizeSpend,
} from "../../gateway/spend.js";
import { UNPROBED_STATUS } from "../../probe-tracker.js";
import type { ResourceRecord } from "../../store/store.js";
import { checkHttpUrl, checkName, isObject, type Obj, oneOf, optionalObject } from "../../validate.js";
import { created, deleted, ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { MODEL_ROUTES, PROVIDER_TYPES } from "../schemas/resources.js";

const AUTH_TYPES = ["APIKey", "AWSSignature", "OAuth2", "None"] as const;
const CREDENTIAL_KEYS = ["api_key", "aws_access_key_id", "aws_secret_access_key", "aws_session_token"];
export const PENDING_STATUS = UNPROBED_STATUS;

export function registerModelRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/model-providers", {
    schema: MODEL_ROUTES.list,
    permission: "read",
    handler: listProviders,
  });
  api.add("POST", "/model-providers", {
    schema: MODEL_ROUTES.upsert,
    permission: "develop",
    handler: upsertProvider,
  });
  api.add("GET", "/model-providers/:name", {
    schema: MODEL_ROUTES.get,
    permission: "read",
    handler: getProvider,
  });
  api.add("DELETE", "/model-providers/:name", {
    schema: MODEL_ROUTES.delete,
    permission: "develop",
    handler: deleteProvider,
  });
  api.add("GET", "/model-spend", { schema: MODEL_ROUTES.spend, permission: "read", handler: modelSpend });
}

async function listProviders(ctx: RequestContext) {
  const records = await ctx.store.listResources(ctx.workspace, "model_provider");
  const fresh = await providersWithFreshStatus(ctx.services, ctx.workspace, records);
  return ok(fresh.map((r) => providerView(r, ctx.workspace)));
}

async function getProvider(ctx: RequestContext) {
  const name = ctx.params.name as string;
  const record = await ctx.store.getResource(ctx.workspace, "model_provider", name);
  if (!record) throw notFound(`model provider "${name}" not found`);
  const [fresh] = await providersWithFreshStatus(ctx.services, ctx.workspace, [record]);
  return ok(providerView(fresh ?? record, ctx.workspace));
}

async function upsertProvider(ctx: RequestContext) {
  const { name, spec, credentials } = parseProviderBody(ctx.body);
  const secretName = `${name}-provider-key`;
  const hadSecret = (await ctx.store.getSecret(ctx.workspace, secretName)) !== undefined;
  const auth = spec.auth as Obj;
  if (auth.type === undefined) {
    const previous = await ctx.store.getResource(ctx.workspace, "model_provider", name);
    const previousAuth =
      isObject(previous?.doc.spec) && isObject(previous.doc.spec.auth) ? previous.doc.spec.auth : {};
    if (credentials?.api_key) auth.type = "APIKey";
    else if (credentials) auth.type = "AWSSignature";
    else auth.type = hadSecret && typeof previousAuth.type === "string" ? previousAuth.type : "None";
  }
  if (auth.type === "None" && credentials) {
    throw new HttpError(400, "credentials cannot be used with auth type None");
  }
  if (auth.type === "None") {
    if (hadSecret) await ctx.store.deleteSecret(ctx.workspace, secretName);
  } else if (credentials || hadSecret) {
    if (credentials) await ctx.store.putSecret(ctx.workspace, secretName, credentials);
    const ref = { name: secretName };
    const section =
      auth.type === "AWSSignature" ? "awsConfig" : auth.type === "OAuth2" ? "oauth2Config" : "apiKeyConfig";
    const current = isObject(auth[section]) ? auth[section] : {};
    auth[section] =
      section === "apiKeyConfig"
        ? { in: "Header", name: "Authorization", valuePrefix: "Bearer ", ...current, secretRef: ref }
        : { ...current, credentialsSecretRef: ref };
  }
  const { record, created: isNew } = await ctx.store.putResource(ctx.workspace, "model_provider", name, {
    name,
    spec,
    status: PENDING_STATUS,
  });
  scheduleProviderProbe(ctx.services, ctx.workspace, record);
  const view = providerView(record, ctx.workspace);
  return isNew ? created(view) : ok(view);
}

async function deleteProvider(ctx: RequestContext) {
  const name = ctx.params.name as string;
  if (!(await ctx.store.deleteResource(ctx.workspace, "model_provider", name))) {
    throw notFound(`model provider "${name}" not found`);
  }
  await ctx.store.deleteSecret(ctx.workspace, `${name}-provider-key`);
  forgetProviders(ctx.store, ctx.workspace);
  return deleted();
}

async function modelSpend(ctx: RequestContext) {
  const period = monthPeriod(new Date());
  const [agents, providers, usage] = await Promise.all([
    ctx.store.listResources(ctx.workspace, "agent"),
    ctx.store.listResources(ctx.workspace, "model_provider"),
    listUsage(ctx.store, ctx.workspace, period),
  ]);
  const refs = providers.map(providerRef);
  const withConfigs = agents.map((a) => ({
    name: a.name,
    configs: storedLlmConfigs(a.doc).map((c) => ({ ...c, model_provider: resolveModelProvider(refs, c) })),
  }));
  return ok(summarizeSpend(ctx.workspace, withConfigs, usage, period));
}

/** Accepts `{name, spec, ...}` and the flat form; returns a normalised spec and the credentials. */
export function parseProviderBody(body: Obj): {
  name: string;
  spec: Obj;
  credentials?: Record<string, string>;
} {
  const name = checkName(body.name, "model provider name");
  const nested = body.spec !== undefined;
  const raw = nested ? optionalObject(body, "spec") : body;
  if (!raw) throw new HttpError(400, "spec is required");
  const at = (key: string) => (nested ? `spec.${key}` : key);
  const provider = oneOf(raw.provider, PROVIDER_TYPES, at("provider"));
  const endpoint =
    provider === "playground" && (raw.endpoint === undefined || raw.endpoint === null || raw.endpoint === "")
      ? ""
      : checkHttpUrl(raw.endpoint, at("endpoint"));
  const models = raw.models;
  if (!Array.isArray(models) || models.length === 0) {
    throw new HttpError(400, `${at("models")} must be a non-empty list of model names`);
  }
  const modelNames = models.map((m, i) => {
    if (typeof m !== "string" || m.trim() === "")
      throw new HttpError(400, `${at("models")}[${i}] must be a non-empty string`);
    return m.trim();
  });
  const spec: Obj = { provider, endpoint, models: [...new Set(modelNames)] };
  const auth = optionalObject(raw, "auth", at("auth")) ?? {};
  spec.auth = withoutSecretRefs(auth, at("auth"));
  if (auth.type !== undefined) (spec.auth as Obj).type = oneOf(auth.type, AUTH_TYPES, at("auth.type"));
  const rateLimit = optionalObject(raw, "rateLimit", at("rateLimit"));
  if (rateLimit) {
    const rpm = rateLimit.requestsPerMinute;
    if (rpm !== undefined && (typeof rpm !== "number" || !Number.isInteger(rpm) || rpm < 0)) {
      throw new HttpError(400, `${at("rateLimit.requestsPerMinute")} must be an integer >= 0`);
    }
    spec.rateLimit = rateLimit;
  }
  const pricing = optionalObject(raw, "pricing", at("pricing"));
  if (pricing) spec.pricing = parsePricing(pricing, at("pricing"));
  const credentials = parseCredentials(body);
  return credentials ? { name, spec, credentials } : { name, spec };
}

/** A caller never chooses which secret a provider uses: references are the platform's to set. */
function withoutSecretRefs(auth: Obj, path: string): Obj {
  const out: Obj = { ...auth };
  for (const [section, ref] of [
    ["apiKeyConfig", "secretRef"],
    ["awsConfig", "credentialsSecretRef"],
    ["oauth2Config", "credentialsSecretRef"],
  ] as const) {
    const value = out[section];
    if (value === undefined) continue;
    if (!isObject(value)) throw new HttpError(400, `${path}.${section} must be an object`);
    const { [ref]: _dropped, ...rest } = value;
    out[section] = rest;
  }
  return out;
}

function parsePricing(pricing: Obj, path: string): Record<string, ModelPrice> {
  const out: Record<string, ModelPrice> = {};
  for (const [model, price] of Object.entries(pricing)) {
    if (!isObject(price)) throw new HttpError(400, `${path}.${model} must be an object`);
    const value = (key: "input_per_1k" | "output_per_1k") => {
      const v = price[key];
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
        throw new HttpError(400, `${path}.${model}.${key} must be a number >= 0`);
      }
      return v;
    };
    out[model] = { input_per_1k: value("input_per_1k"), output_per_1k: value("output_per_1k") };
  }
  return out;
}

function parseCredentials(body: Obj): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const given = optionalObject(body, "credentials") ?? {};
  for (const [key, value] of Object.entries(given)) {
    if (!CREDENTIAL_KEYS.includes(key)) {
      throw new HttpError(400, `credentials.${key} is not supported (use ${CREDENTIAL_KEYS.join(", ")})`);
    }
    if (typeof value !== "string") throw new HttpError(400, `credentials.${key} must be a string`);
    if (value) out[key] = value;
  }
  if (body.api_key !== undefined && body.api_key !== null) {
    if (typeof body.api_key !== "string") throw new HttpError(400, "api_key must be a string");
    if (body.api_key) out.api_key = body.api_key;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Routing's view of a provider record. */
export function providerRef(record: ResourceRecord): ProviderRef {
  const spec = isObject(record.doc.spec) ? record.doc.spec : {};
  return {
    name: record.name,
    provider: typeof spec.provider === "string" ? spec.provider : "",
    models: Array.isArray(spec.models) ? spec.models.filter((m): m is string => typeof m === "string") : [],
  };
}

/** Nested shape plus the flat keys the Go CLI reads; `status` always an object. */
export function providerView(record: ResourceRecord, workspace: string): Obj {
  const spec = isObject(record.doc.spec) ? record.doc.spec : {};
  const status = isObject(record.doc.status) ? record.doc.status : PENDING_STATUS;
  return {
    name: record.name,
    namespace: workspace,
    labels: isObject(record.doc.labels) ? record.doc.labels : {},
    spec,
    status,
    provider: spec.provider ?? "",
    models: Array.isArray(spec.models) ? spec.models : [],
    endpoint: spec.endpoint ?? "",
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}
