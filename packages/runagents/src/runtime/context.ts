/**
 * @module
 * Per-request state in `AsyncLocalStorage`: the ids forwarded on outbound calls, the outbound
 * policy of the runtime serving the request, and the trace session of a user handler. Node serves
 * requests concurrently on one thread, so none of this may live in module globals.
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { createOutboundPolicy, type OutboundIdentity, type OutboundPolicy } from "./outbound.js";
import type { TraceSession } from "./trace.js";

export interface RequestState extends OutboundIdentity {
  readonly policy: OutboundPolicy;
  /** Set while a user handler runs: its outbound tool calls are recorded here. */
  readonly trace: TraceSession | undefined;
}

const storage = new AsyncLocalStorage<RequestState>();

/** Runs `fn` with `state` as the current request. */
export function runInRequest<T>(state: RequestState, fn: () => T): T {
  return storage.run(state, fn);
}

/** The request being served by the current async context, if any. */
export function currentRequest(): RequestState | undefined {
  return storage.getStore();
}

const PASSTHROUGH: OutboundPolicy = createOutboundPolicy({
  rewrites: {},
  outboundMode: "direct",
  toolUrls: {},
  llmBaseUrl: "",
  governanceUrl: "",
});

let processPolicy: OutboundPolicy = PASSTHROUGH;

/** The policy in force: the current request's runtime, else the last runtime started. */
export function activePolicy(): OutboundPolicy {
  return storage.getStore()?.policy ?? processPolicy;
}

/** Sets the policy used outside requests (module top-level code, timers). */
export function setProcessPolicy(policy: OutboundPolicy | undefined): void {
  processPolicy = policy ?? PASSTHROUGH;
}

/** The policy used outside requests. */
export function processWidePolicy(): OutboundPolicy {
  return processPolicy;
}
