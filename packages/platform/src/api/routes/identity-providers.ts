/**
 * @module api/routes/identity-providers
 * Identity providers (end-user JWT issuers for authenticated agents): list, get, upsert by name
 * (`POST` answers 201 when created, 200 when updated), delete. The wire is camelCase
 * (`identityProvider.jwksUri`, `userIDClaim`, `allowedDomains`, `groupsClaim`); snake_case input
 * is accepted too, and so is a bare spec document without the `spec` wrapper. Once a workspace (or
 * `default`) has a provider, its end users are verified on invoke (see `ingress/`);
 * `groupsClaim` (default `groups`) names the token claim that lists the user's groups.
 * `signIn` (`clientId`, and `authorizationEndpoint`/`tokenEndpoint` or discovery from the issuer)
 * lets people sign in to the console with the provider (`ingress/sign-in`).
 */
import { HttpError, notFound } from "../../errors.js";
import { parseSignIn } from "../../ingress/sign-in.js";
import type { ResourceRecord } from "../../store/store.js";
import { checkHttpUrl, checkName, isObject, type Obj } from "../../validate.js";
import { created, deleted, ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { IDENTITY_PROVIDER_ROUTES } from "../schemas/resources.js";

export function registerIdentityProviderRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/identity-providers", {
    schema: IDENTITY_PROVIDER_ROUTES.list,
    permission: "read",
    handler: listProviders,
  });
  api.add("POST", "/identity-providers", {
    schema: IDENTITY_PROVIDER_ROUTES.upsert,
    permission: "admin",
    handler: upsertProvider,
  });
  api.add("GET", "/identity-providers/:name", {
    schema: IDENTITY_PROVIDER_ROUTES.get,
    permission: "read",
    handler: getProvider,
  });
  api.add("DELETE", "/identity-providers/:name", {
    schema: IDENTITY_PROVIDER_ROUTES.delete,
    permission: "admin",
    handler: deleteProvider,
  });
}

async function listProviders(ctx: RequestContext) {
  const records = await ctx.store.listResources(ctx.workspace, "identity_provider");
  return ok(records.map((r) => identityProviderView(r, ctx.workspace)));
}

async function getProvider(ctx: RequestContext) {
  const name = ctx.params.name as string;
  const record = await ctx.store.getResource(ctx.workspace, "identity_provider", name);
  if (!record) throw notFound(`identity provider "${name}" not found`);
  return ok(identityProviderView(record, ctx.workspace));
}

async function upsertProvider(ctx: RequestContext) {
  const { name, spec } = await parseIdentityProviderBody(ctx.body);
  const { record, created: isNew } = await ctx.store.putResource(ctx.workspace, "identity_provider", name, {
    name,
    spec,
  });
  const view = identityProviderView(record, ctx.workspace);
  return isNew ? created(view) : ok(view);
}

async function deleteProvider(ctx: RequestContext) {
  const name = ctx.params.name as string;
  if (!(await ctx.store.deleteResource(ctx.workspace, "identity_provider", name))) {
    throw notFound(`identity provider "${name}" not found`);
  }
  return deleted();
}

/** First present key among camelCase and snake_case spellings. */
function pick(obj: Obj, ...keys: string[]): unknown {
  for (const key of keys) if (obj[key] !== undefined && obj[key] !== null) return obj[key];
  return undefined;
}

function requiredText(value: unknown, path: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new HttpError(400, `${path} is required`);
  return value.trim();
}

function stringList(value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new HttpError(400, `${path} must be a list of strings`);
  }
  return (value as string[]).map((v) => v.trim()).filter((v) => v !== "");
}

/** `{name, spec}` (camelCase or snake_case), or the spec's fields at the top level. */
export async function parseIdentityProviderBody(body: Obj): Promise<{ name: string; spec: Obj }> {
  const name = checkName(body.name, "name");
  let source: Obj = body;
  if (body.spec !== undefined) {
    if (!isObject(body.spec)) throw new HttpError(400, "spec must be an object");
    source = body.spec;
  }
  const idpRaw = pick(source, "identityProvider", "identity_provider");
  if (idpRaw !== undefined && !isObject(idpRaw)) {
    throw new HttpError(400, "spec.identityProvider must be an object");
  }
  const idp: Obj = idpRaw ?? {};
  const host = requiredText(source.host, "spec.host");
  const issuer = requiredText(idp.issuer, "spec.identityProvider.issuer");
  const jwksUri = checkHttpUrl(
    requiredText(pick(idp, "jwksUri", "jwks_uri", "jwksURI"), "spec.identityProvider.jwksUri"),
    "spec.identityProvider.jwksUri",
  );
  const userIDClaim = requiredText(
    pick(source, "userIDClaim", "user_id_claim", "userIdClaim"),
    "spec.userIDClaim",
  );
  const audiences = stringList(idp.audiences, "spec.identityProvider.audiences");
  const allowedDomains = stringList(pick(source, "allowedDomains", "allowed_domains"), "spec.allowedDomains");
  const groupsRaw = pick(source, "groupsClaim", "groups_claim");
  if (groupsRaw !== undefined && typeof groupsRaw !== "string") {
    throw new HttpError(400, "spec.groupsClaim must be a string");
  }
  const groupsClaim = groupsRaw?.trim() ?? "";
  const signIn = await parseSignIn(pick(source, "signIn", "sign_in"), issuer);
  return {
    name,
    spec: {
      host,
      identityProvider: { issuer, jwksUri, audiences },
      userIDClaim,
      allowedDomains,
      ...(groupsClaim ? { groupsClaim } : {}),
      ...(signIn ? { signIn } : {}),
    },
  };
}

export function identityProviderView(record: ResourceRecord, workspace: string): Obj {
  return {
    name: record.name,
    namespace: workspace,
    spec: isObject(record.doc.spec) ? record.doc.spec : {},
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}
