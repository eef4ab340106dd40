/**
 * @module api/routes/root
 * Routes at the platform root: health (`/healthz`) and readiness (`/readyz`), the web console
 * (`/` for browsers, `/assets/*`), the starter kit's echo tool, and the OAuth consent callback.
 */

import { consoleAsset, consolePage, wantsHtml } from "../console-assets.js";
import { ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { registerEgressRoutes } from "./egress.js";
import { registerFleetRoutes } from "./fleet.js";
import { registerGatewayRoutes } from "./gateway.js";
import { registerInternalRoutes } from "./internal.js";
import { registerMetricsRoute } from "./metrics.js";
import { registerOAuthCallbackRoute } from "./oauth.js";
import { registerReadinessRoute } from "./readiness.js";

export function registerRootRoutes(root: Router<RouteDef>): void {
  root.add("GET", "/healthz", { handler: health, public: true });
  registerReadinessRoute(root);
  // Browsers get the console; API clients (no text/html in Accept) keep the JSON health answer.
  root.add("GET", "/", { handler: (ctx) => (wantsHtml(ctx) ? consolePage(ctx) : health()), public: true });
  root.add("GET", "/assets/:file", { handler: consoleAsset, public: true });
  root.add("POST", "/echo", { handler: echo, public: true });
  registerEgressRoutes(root);
  registerGatewayRoutes(root);
  registerInternalRoutes(root);
  registerFleetRoutes(root);
  registerMetricsRoute(root);
  registerOAuthCallbackRoute(root);
}

const health = () => ok({ status: "ok", service: "runagents-platform" });

/** The starter kit's echo tool: `POST /echo {"message": ...}`. */
function echo(ctx: RequestContext) {
  const message = typeof ctx.body.message === "string" ? ctx.body.message : JSON.stringify(ctx.body);
  return ok({ reply: message, message, echo: true });
}
