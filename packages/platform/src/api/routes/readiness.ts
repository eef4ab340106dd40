/**
 * @module api/routes/readiness
 * `GET /readyz`: whether this platform process should be sent traffic (a Kubernetes readiness
 * probe, a load balancer's health check). Public, like `/healthz`, which only says the process
 * answers.
 *
 * Ready means the store answers a read — an uncached one (`lastFeedPosition`), so a PostgreSQL
 * that went away is noticed even while the read cache is warm — within {@link READY_TIMEOUT_MS},
 * and the process is not shutting down. Otherwise 503 `{"status": "unavailable", "service",
 * "reason"}`, where the reason is one of a few fixed sentences: never the driver's error, which
 * could name the database's host, user or address. The error itself goes to the log.
 */
import type { Reply, RequestContext, RouteDef } from "../context.js";
import type { Router } from "../router.js";

/** How long the store's read may take before the process counts as not ready. */
export const READY_TIMEOUT_MS = 2000;

const SERVICE = "runagents-platform";

export function registerReadinessRoute(root: Router<RouteDef>): void {
  root.add("GET", "/readyz", { handler: readiness, public: true });
}

const unavailable = (reason: string): Reply => ({
  status: 503,
  headers: { "Cache-Control": "no-store" },
  body: { status: "unavailable", service: SERVICE, reason },
});

async function readiness(ctx: RequestContext): Promise<Reply> {
  if (ctx.services.closing?.aborted) return unavailable("the platform is shutting down");
  const outcome = await withTimeout(ctx.store.lastFeedPosition(), READY_TIMEOUT_MS);
  if (outcome === "timeout") {
    ctx.services.log.warn("not ready: the store did not answer", { timeout_ms: READY_TIMEOUT_MS });
    return unavailable(`the store did not answer within ${READY_TIMEOUT_MS / 1000} s`);
  }
  if (outcome instanceof Error) {
    ctx.services.log.warn("not ready: the store failed a read", { error: outcome.message });
    return unavailable("the store is unreachable");
  }
  return { status: 200, headers: { "Cache-Control": "no-store" }, body: { status: "ok", service: SERVICE } };
}

/** The promise's value, its error, or "timeout" once `ms` passed first. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | Error | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  const settled = work.then(
    (value) => value,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}
