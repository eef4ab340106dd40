/**
 * @module api/routes/deploy-drafts
 * Deploy drafts: a user's in-progress deploy wizard state, versioned for optimistic concurrency.
 * A draft belongs to the caller that created it (the API key's name, or `local` for keyless
 * loopback use); other users get 403. PATCH replaces each field it carries (no deep merge) and
 * honours `expected_version` (409 `version conflict: ...`). `complete` / `abandon` only leave
 * `IN_PROGRESS`. A `user_id` in a body is ignored: the owner is always the caller.
 */
import { randomUUID } from "node:crypto";
import { conflict, HttpError, notFound } from "../../errors.js";
import { type Doc, type ResourceRecord, VersionConflictError } from "../../store/store.js";
import {
  checkName,
  isObject,
  type Obj,
  oneOf,
  optionalBoolean,
  optionalString,
  optionalStringArray,
} from "../../validate.js";
import { created, deleted, ok, type RequestContext, type RouteDef } from "../context.js";
import { principalSubject } from "../roles.js";
import type { Router } from "../router.js";
import { DRAFT_ROUTES, DRAFT_STATUSES } from "../schemas/deploy.js";

const TEXT_FIELDS = ["step", "artifact_id", "source_type", "runtime_family", "adapter"] as const;
const LIST_FIELDS = ["policies", "required_tool_names", "recommended_tool_names"] as const;
const MAP_FIELDS = ["tool_mappings", "tool_states"] as const;
const AGENT_CONFIG_TEXT = ["agent_name", "system_prompt", "custom_image", "identity_provider"] as const;

export function registerDeployDraftRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/deploy-drafts", { schema: DRAFT_ROUTES.list, permission: "read", handler: listDrafts });
  api.add("POST", "/deploy-drafts", {
    schema: DRAFT_ROUTES.create,
    permission: "develop",
    handler: createDraft,
  });
  api.add("GET", "/deploy-drafts/:id", { schema: DRAFT_ROUTES.get, permission: "read", handler: getDraft });
  api.add("PATCH", "/deploy-drafts/:id", {
    schema: DRAFT_ROUTES.patch,
    permission: "develop",
    handler: patchDraft,
  });
  api.add("DELETE", "/deploy-drafts/:id", {
    schema: DRAFT_ROUTES.delete,
    permission: "develop",
    handler: deleteDraft,
  });
  api.add("POST", "/deploy-drafts/:id/complete", {
    schema: DRAFT_ROUTES.finish,
    permission: "develop",
    handler: (ctx) => finish(ctx, "COMPLETED"),
  });
  api.add("POST", "/deploy-drafts/:id/abandon", {
    schema: DRAFT_ROUTES.finish,
    permission: "develop",
    handler: (ctx) => finish(ctx, "ABANDONED"),
  });
}

/** Who owns what this request creates: the caller's verified subject (`key:<id>`). */
export const principalUser = (ctx: RequestContext): string => principalSubject(ctx.principal);

async function listDrafts(ctx: RequestContext) {
  const statusParam = (ctx.query.get("status") ?? "").trim();
  let statuses: string[] | undefined = ["IN_PROGRESS"];
  if (statusParam.toLowerCase() === "all") statuses = undefined;
  else if (statusParam !== "") {
    statuses = statusParam.split(",").map((s) => s.trim().toUpperCase());
    for (const s of statuses) {
      if (!(DRAFT_STATUSES as readonly string[]).includes(s)) {
        throw new HttpError(400, `query parameter status must be one of ${DRAFT_STATUSES.join(", ")}, all`);
      }
    }
  }
  const mineParam = (ctx.query.get("mine") ?? "1").trim().toLowerCase();
  if (!["1", "0", "true", "false", ""].includes(mineParam)) {
    throw new HttpError(400, "query parameter mine must be 1 or 0");
  }
  const mine = mineParam !== "0" && mineParam !== "false";
  const user = principalUser(ctx);
  const records = await ctx.store.listResources(ctx.workspace, "deploy_draft");
  return ok(
    records
      .filter((r) => !statuses || statuses.includes(String(r.doc.status)))
      .filter((r) => !mine || r.doc.user_id === user)
      .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0))
      .map((r) => draftView(r, ctx.workspace)),
  );
}

async function createDraft(ctx: RequestContext) {
  const fields = parseDraftFields(ctx.body);
  const id = ctx.body.id === undefined || ctx.body.id === null ? randomUUID() : checkName(ctx.body.id, "id");
  const doc: Doc = { status: "IN_PROGRESS", ...fields, id, user_id: principalUser(ctx) };
  try {
    const { record } = await ctx.store.putResource(ctx.workspace, "deploy_draft", id, doc, {
      expectedVersion: 0,
    });
    return created(draftView(record, ctx.workspace));
  } catch (err) {
    if (err instanceof VersionConflictError) throw conflict(`deploy draft "${id}" already exists`);
    throw err;
  }
}

async function getDraft(ctx: RequestContext) {
  return ok(draftView(await loadOwnDraft(ctx), ctx.workspace));
}

async function patchDraft(ctx: RequestContext) {
  const record = await loadOwnDraft(ctx);
  const expected = expectedVersion(ctx.body);
  const fields = parseDraftFields(ctx.body);
  return ok(draftView(await save(ctx, record, { ...record.doc, ...fields }, expected), ctx.workspace));
}

async function deleteDraft(ctx: RequestContext) {
  const record = await loadOwnDraft(ctx);
  await ctx.store.deleteResource(ctx.workspace, "deploy_draft", record.name);
  return deleted();
}

async function finish(ctx: RequestContext, status: "COMPLETED" | "ABANDONED") {
  const record = await loadOwnDraft(ctx);
  const expected = expectedVersion(ctx.body);
  if (record.doc.status !== "IN_PROGRESS") {
    const verb = status === "COMPLETED" ? "completed" : "abandoned";
    throw conflict(
      `deploy draft "${record.name}" is ${String(record.doc.status)}; only IN_PROGRESS drafts can be ${verb}`,
    );
  }
  return ok(draftView(await save(ctx, record, { ...record.doc, status }, expected), ctx.workspace));
}

async function save(
  ctx: RequestContext,
  record: ResourceRecord,
  doc: Doc,
  expected: number | undefined,
): Promise<ResourceRecord> {
  try {
    const { record: saved } = await ctx.store.putResource(ctx.workspace, "deploy_draft", record.name, doc, {
      // Without expected_version the read-modify-write still must not lose a concurrent update.
      expectedVersion: expected ?? record.version,
    });
    return saved;
  } catch (err) {
    if (err instanceof VersionConflictError) throw conflict(err.message);
    throw err;
  }
}

async function loadOwnDraft(ctx: RequestContext): Promise<ResourceRecord> {
  const id = ctx.params.id as string;
  const record = await ctx.store.getResource(ctx.workspace, "deploy_draft", id);
  if (!record) throw notFound(`deploy draft "${id}" not found`);
  if (record.doc.user_id !== principalUser(ctx)) {
    throw new HttpError(403, `deploy draft "${id}" belongs to another user`);
  }
  return record;
}

function expectedVersion(body: Obj): number | undefined {
  const value = body.expected_version;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new HttpError(400, "expected_version must be an integer >= 1");
  }
  return value;
}

/** The draft fields a body carries, validated; absent fields are absent from the result. */
export function parseDraftFields(body: Obj, prefix = ""): Obj {
  const out: Obj = {};
  for (const key of TEXT_FIELDS) {
    const value = optionalString(body, key, `${prefix}${key}`);
    if (value !== undefined) out[key] = value;
  }
  for (const key of LIST_FIELDS) {
    const value = optionalStringArray(body, key, `${prefix}${key}`);
    if (value !== undefined) out[key] = value;
  }
  for (const key of MAP_FIELDS) {
    if (body[key] === undefined || body[key] === null) continue;
    if (!isObject(body[key])) throw new HttpError(400, `${prefix}${key} must be an object`);
    out[key] = body[key];
  }
  if (body.status !== undefined && body.status !== null) {
    out.status = oneOf(body.status, DRAFT_STATUSES, `${prefix}status`);
  }
  if (body.model_mappings !== undefined && body.model_mappings !== null) {
    out.model_mappings = parseModelMappings(body.model_mappings, `${prefix}model_mappings`);
  }
  if (body.agent_config !== undefined && body.agent_config !== null) {
    out.agent_config = parseAgentConfig(body.agent_config, `${prefix}agent_config`);
  }
  return out;
}

function parseModelMappings(value: unknown, path: string): Obj {
  if (!isObject(value)) throw new HttpError(400, `${path} must be an object`);
  const out: Obj = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!isObject(raw)) throw new HttpError(400, `${path}.${key} must be an object`);
    for (const field of ["provider", "model"]) {
      if (typeof raw[field] !== "string" || (raw[field] as string).trim() === "") {
        throw new HttpError(400, `${path}.${key}.${field} is required`);
      }
    }
    const mapping: Obj = { provider: (raw.provider as string).trim(), model: (raw.model as string).trim() };
    if (raw.monthly_budget_usd !== undefined && raw.monthly_budget_usd !== null) {
      if (typeof raw.monthly_budget_usd !== "number" || !(raw.monthly_budget_usd >= 0)) {
        throw new HttpError(400, `${path}.${key}.monthly_budget_usd must be a number >= 0`);
      }
      mapping.monthly_budget_usd = raw.monthly_budget_usd;
    }
    out[key] = mapping;
  }
  return out;
}

function parseAgentConfig(value: unknown, path: string): Obj {
  if (!isObject(value)) throw new HttpError(400, `${path} must be an object`);
  const out: Obj = {};
  for (const key of AGENT_CONFIG_TEXT) {
    const text = optionalString(value, key, `${path}.${key}`);
    if (text !== undefined) out[key] = text;
  }
  const custom = optionalBoolean(value, "use_custom_image", `${path}.use_custom_image`);
  if (custom !== undefined) out.use_custom_image = custom;
  if (value.access_mode !== undefined && value.access_mode !== null && value.access_mode !== "") {
    out.access_mode = oneOf(value.access_mode, ["open", "authenticated"] as const, `${path}.access_mode`);
  }
  return out;
}

export function draftView(record: ResourceRecord, workspace: string): Obj {
  const d = record.doc;
  const text = (key: string) => (typeof d[key] === "string" ? d[key] : "");
  const list = (key: string) => (Array.isArray(d[key]) ? d[key] : []);
  const map = (key: string) => (isObject(d[key]) ? d[key] : {});
  return {
    id: record.name,
    namespace: workspace,
    user_id: text("user_id"),
    status: text("status") || "IN_PROGRESS",
    step: text("step"),
    artifact_id: text("artifact_id"),
    source_type: text("source_type"),
    runtime_family: text("runtime_family"),
    adapter: text("adapter"),
    policies: list("policies"),
    required_tool_names: list("required_tool_names"),
    recommended_tool_names: list("recommended_tool_names"),
    tool_mappings: map("tool_mappings"),
    tool_states: map("tool_states"),
    model_mappings: map("model_mappings"),
    agent_config: map("agent_config"),
    version: record.version,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}
