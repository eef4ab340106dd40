/**
 * @module api/routes/sign-in
 * `GET /sign-in` (public): the identity providers people may sign in to the console with, in this
 * workspace and `default` — names, issuers, client ids and public endpoints only (a public
 * client has no secret). `GET /workspaces`: the workspaces the store knows (a key made in a
 * workspace other than `default` sees only its own).
 */
import { signInOptions } from "../../ingress/sign-in.js";
import { ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { SIGN_IN_ROUTES } from "../schemas/sign-in.js";

export function registerSignInRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/sign-in", { schema: SIGN_IN_ROUTES.options, public: true, handler: options });
  api.add("GET", "/workspaces", {
    schema: SIGN_IN_ROUTES.workspaces,
    permission: "read",
    handler: workspaces,
  });
}

async function options(ctx: RequestContext) {
  return ok(await signInOptions(ctx.store, ctx.workspace));
}

async function workspaces(ctx: RequestContext) {
  const p = ctx.principal;
  const bound = p.kind === "api_key" && p.workspace !== "default" ? p.workspace : "";
  const names = new Set(bound ? [bound] : ["default", ...(await ctx.store.listWorkspaces())]);
  return ok([...names].sort().map((name) => ({ name })));
}
