/**
 * @module api/routes/policies
 * Policies: list, get, upsert, delete, and plain-English translation to rules. Specs are
 * validated and normalised by `governance/policy` before they are stored.
 *
 * Choices where the contract is silent: `POST /policies` and `PUT /policies/{name}` both upsert
 * (201 when created, 200 when updated), so the SDK's GET → POST/PUT sequence cannot lose a race;
 * a PUT body's `name`, when present, must equal the path. Deleting a policy that agents still
 * bind answers 409 naming them, since removing it would silently change what they may call.
 * `used_by` lists the agents whose `policies` include the policy's name.
 */
import { conflict, HttpError, notFound } from "../../errors.js";
import { validatePolicySpec } from "../../governance/policy.js";
import { translatePolicyText } from "../../governance/policy-translate.js";
import type { ResourceRecord } from "../../store/store.js";
import { checkName, isObject, type Obj, requireString } from "../../validate.js";
import { created, deleted, ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { POLICY_ROUTES } from "../schemas/resources.js";

export function registerPolicyRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/policies", { schema: POLICY_ROUTES.list, permission: "read", handler: listPolicies });
  api.add("POST", "/policies", {
    schema: POLICY_ROUTES.create,
    permission: "develop",
    handler: (ctx) => upsertPolicy(ctx, checkName(ctx.body.name, "policy name")),
  });
  api.add("POST", "/policies/translate", {
    schema: POLICY_ROUTES.translate,
    permission: "develop",
    handler: translate,
  });
  api.add("GET", "/policies/:name", { schema: POLICY_ROUTES.get, permission: "read", handler: getPolicy });
  api.add("PUT", "/policies/:name", { schema: POLICY_ROUTES.put, permission: "develop", handler: putPolicy });
  api.add("DELETE", "/policies/:name", {
    schema: POLICY_ROUTES.delete,
    permission: "develop",
    handler: deletePolicy,
  });
}

async function listPolicies(ctx: RequestContext) {
  const [records, bindings] = await Promise.all([
    ctx.store.listResources(ctx.workspace, "policy"),
    policyBindings(ctx),
  ]);
  return ok(records.map((r) => policyView(r, ctx.workspace, bindings.get(r.name) ?? [])));
}

async function getPolicy(ctx: RequestContext) {
  const name = ctx.params.name as string;
  const record = await ctx.store.getResource(ctx.workspace, "policy", name);
  if (!record) throw notFound(`policy "${name}" not found`);
  return ok(policyView(record, ctx.workspace, (await policyBindings(ctx)).get(name) ?? []));
}

async function putPolicy(ctx: RequestContext) {
  const name = checkName(ctx.params.name, "policy name");
  if (ctx.body.name !== undefined && ctx.body.name !== null && ctx.body.name !== name) {
    throw new HttpError(
      400,
      `name "${String(ctx.body.name)}" does not match the policy in the path ("${name}")`,
    );
  }
  return upsertPolicy(ctx, name);
}

async function upsertPolicy(ctx: RequestContext, name: string) {
  if (ctx.body.spec === undefined || ctx.body.spec === null) throw new HttpError(400, "spec is required");
  const result = validatePolicySpec(ctx.body.spec);
  if (!result.ok) throw new HttpError(400, result.error);
  const { record, created: isNew } = await ctx.store.putResource(ctx.workspace, "policy", name, {
    name,
    spec: { ...result.spec },
  });
  const view = policyView(record, ctx.workspace, (await policyBindings(ctx)).get(name) ?? []);
  return isNew ? created(view) : ok(view);
}

async function deletePolicy(ctx: RequestContext) {
  const name = ctx.params.name as string;
  const record = await ctx.store.getResource(ctx.workspace, "policy", name);
  if (!record) throw notFound(`policy "${name}" not found`);
  const agents = (await policyBindings(ctx)).get(name) ?? [];
  if (agents.length > 0) {
    throw conflict(
      `policy "${name}" is bound to agent(s) ${agents.map((a) => `"${a.name}"`).join(", ")}: remove it from their policies first`,
    );
  }
  await ctx.store.deleteResource(ctx.workspace, "policy", name);
  return deleted();
}

async function translate(ctx: RequestContext) {
  const text = requireString(ctx.body, "text");
  const result = translatePolicyText(text);
  if ("error" in result) throw new HttpError(400, result.error);
  return ok({ rules: result.rules });
}

/** policy name → the agents that bind it (an agent's `policies`, or `spec.policies`). */
async function policyBindings(
  ctx: RequestContext,
): Promise<Map<string, { name: string; namespace: string }[]>> {
  const map = new Map<string, { name: string; namespace: string }[]>();
  for (const agent of await ctx.store.listResources(ctx.workspace, "agent")) {
    for (const policy of boundPolicies(agent.doc)) {
      const users = map.get(policy) ?? [];
      if (!users.some((u) => u.name === agent.name))
        users.push({ name: agent.name, namespace: ctx.workspace });
      map.set(policy, users);
    }
  }
  return map;
}

function boundPolicies(doc: Obj): string[] {
  const lists = [doc.policies, isObject(doc.spec) ? doc.spec.policies : undefined];
  const names: string[] = [];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const name = typeof item === "string" ? item : isObject(item) ? item.name : undefined;
      if (typeof name === "string" && name.trim() !== "") names.push(name.trim());
    }
  }
  return names;
}

export function policyView(
  record: ResourceRecord,
  workspace: string,
  usedBy: { name: string; namespace: string }[],
): Obj {
  const spec = isObject(record.doc.spec) ? record.doc.spec : {};
  return {
    name: record.name,
    namespace: workspace,
    spec: { policies: spec.policies ?? [], approvals: spec.approvals ?? [] },
    status: { ready: true, message: "" },
    used_by: usedBy,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}
