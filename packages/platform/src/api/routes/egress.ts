/**
 * @module api/routes/egress
 * The tool proxy at the platform root: `/egress/<agent-token>/<tool>[/<path>][?<query>]` with any
 * method. The token in the URL is the agent's credential, so no API key is asked for; the body is
 * left unread for the egress to buffer or stream (see `egress/egress.ts`).
 */
import { egressFor } from "../../egress/egress.js";
import type { RequestContext, RouteDef } from "../context.js";
import type { Router } from "../router.js";

export const EGRESS_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

export function registerEgressRoutes(root: Router<RouteDef>): void {
  const route: RouteDef = { handler: proxy, public: true, raw: true };
  for (const method of EGRESS_METHODS) root.add(method, "/egress/:token/:tool/*", route);
}

function proxy(ctx: RequestContext) {
  return egressFor(ctx.services).handle({
    token: ctx.params.token as string,
    tool: ctx.params.tool as string,
    req: ctx.req,
    requestId: ctx.requestId,
  });
}
