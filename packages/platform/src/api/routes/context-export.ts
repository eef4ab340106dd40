/**
 * @module api/routes/context-export
 * `GET /context/export`: one snapshot of the workspace for assistants and the CLI, built by
 * running the list routes in-process, so every section has exactly the shape (and the same
 * secret redaction) as its own endpoint. A section that fails is reported in `errors[key]` and
 * left out of `resources`; `meta` carries `<key>_count` for every section that succeeded.
 */
import { HttpError } from "../../errors.js";
import { nowIso } from "../../time.js";
import { dispatch, ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { EXPORT_ROUTES } from "../schemas/platform.js";
import { principalUser } from "./deploy-drafts.js";

/** resources key → list route. */
export const EXPORT_SECTIONS: readonly (readonly [string, string])[] = [
  ["agents", "/agents"],
  ["tools", "/tools"],
  ["model_providers", "/model-providers"],
  ["policies", "/policies"],
  ["identity_providers", "/identity-providers"],
  ["approval_connectors", "/approval-connectors"],
  ["approvals", "/approvals/requests"],
  ["deploy_drafts", "/deploy-drafts"],
];

export function registerContextExportRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/context/export", {
    schema: EXPORT_ROUTES.context,
    permission: "read",
    handler: exportContext,
  });
}

async function exportContext(ctx: RequestContext) {
  const resources: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const meta: Record<string, number> = {};
  const sub = { ...ctx, query: new URLSearchParams(), body: {}, hasBody: false };
  for (const [key, path] of EXPORT_SECTIONS) {
    try {
      if (ctx.services.api.match("GET", path).kind !== "found") {
        throw new HttpError(501, `GET ${path} is not available on this platform`);
      }
      const reply = await dispatch(sub, "GET", path);
      if (reply.status >= 400) {
        const body = reply.body as { error?: unknown } | undefined;
        throw new HttpError(reply.status, String(body?.error ?? `HTTP ${reply.status}`));
      }
      resources[key] = reply.body;
      if (Array.isArray(reply.body)) meta[`${key}_count`] = reply.body.length;
    } catch (err) {
      if (!(err instanceof HttpError)) {
        ctx.services.log.error("context export section failed", {
          request_id: ctx.requestId,
          section: key,
          error: err instanceof Error ? err.message : String(err),
        });
      }
      errors[key] = err instanceof HttpError ? err.message : "internal error";
    }
  }
  return ok({
    generated_at: nowIso(),
    namespace: ctx.workspace,
    user_id: principalUser(ctx),
    resources,
    errors,
    meta,
  });
}
