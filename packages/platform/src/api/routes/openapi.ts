/**
 * @module api/routes/openapi
 * `GET /openapi.json`: the OpenAPI 3.1 document for the routes this server registers. Public, so
 * tools can discover the API before they hold a key.
 */
import { ok, type RequestContext, type RouteDef } from "../context.js";
import { buildOpenApiDocument } from "../openapi-doc.js";
import type { Router } from "../router.js";
import { OPENAPI_ROUTES } from "../schemas/platform.js";

export function registerOpenApiRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/openapi.json", { schema: OPENAPI_ROUTES.document, handler: openApi, public: true });
}

function openApi(ctx: RequestContext) {
  return ok(buildOpenApiDocument(ctx.services.api));
}
