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
 *
 * The endpoint is public, so a flood of probes must not become a flood of reads: concurrent
 * probes share one read, and a new one starts only once it settled or is older than the limit.
 * While the store hangs, that is at most one waiting read per 2 s, however many probes arrive.
 */

import type { Store } from "../../store/store.js";
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
  const outcome = await withTimeout(sharedRead(ctx.store), READY_TIMEOUT_MS);
  const state = outcome === "timeout" ? "timeout" : outcome instanceof Error ? "error" : "ready";
  const before = lastState.get(ctx.store);
  lastState.set(ctx.store, state);
  // The log gets the changes, not every probe (the endpoint is public).
  const news = before !== state;
  if (outcome === "timeout") {
    if (news) ctx.services.log.warn("not ready: the store did not answer", { timeout_ms: READY_TIMEOUT_MS });
    return unavailable(`the store did not answer within ${READY_TIMEOUT_MS / 1000} s`);
  }
  if (outcome instanceof Error) {
    if (news) ctx.services.log.warn("not ready: the store failed a read", { error: outcome.message });
    return unavailable("the store is unreachable");
  }
  if (news && before !== undefined) ctx.services.log.info("ready again: the store answers");
  return { status: 200, headers: { "Cache-Control": "no-store" }, body: { status: "ok", service: SERVICE } };
}

/** Each store's last readiness, so the log gets the changes rather than every probe. */
const lastState = new WeakMap<Store, string>();

interface ReadInFlight {
  started: number;
  done: Promise<Error | undefined>;
}

const reads = new WeakMap<Store, ReadInFlight>();

/** The store's readiness read: the one in flight when it is younger than the limit, else a new one. */
function sharedRead(store: Store): Promise<Error | undefined> {
  const current = reads.get(store);
  if (current && Date.now() - current.started < READY_TIMEOUT_MS) return current.done;
  const done = store.lastFeedPosition().then(
    () => undefined,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  const read = { started: Date.now(), done };
  reads.set(store, read);
  void done.then(() => {
    if (reads.get(store) === read) reads.delete(store);
  });
  return done;
}

/** The promise's value, or "timeout" once `ms` passed first. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
