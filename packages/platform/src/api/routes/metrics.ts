/**
 * @module api/routes/metrics
 * `GET /metrics`: the platform's Prometheus metrics (`observability/metrics.ts`) in the text
 * exposition format. They cover every workspace, so a caller needs an API key of the `default`
 * workspace with `read`, unless the operator opened the endpoint (RUNAGENTS_METRICS_PUBLIC=1)
 * for a scraper on a trusted network.
 */

import type { ServerResponse } from "node:http";
import { authenticate } from "../auth.js";
import type { RequestContext, RouteDef } from "../context.js";
import { authorize } from "../roles.js";
import type { Router } from "../router.js";

export function registerMetricsRoute(root: Router<RouteDef>): void {
  root.add("GET", "/metrics", { handler: metrics });
}

async function metrics(ctx: RequestContext) {
  if (!ctx.services.config.metricsPublic)
    authorize(await authenticate(ctx.store, ctx.req, "default"), "read");
  const { text, contentType } = await ctx.services.metrics.scrape();
  return {
    status: 200,
    headers: { "Content-Type": contentType },
    stream: async (res: ServerResponse) => {
      res.setHeader("Content-Length", Buffer.byteLength(text));
      res.end(text);
    },
  };
}
