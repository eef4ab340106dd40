/**
 * @module gateway/health
 * Model provider health. After every `POST /model-providers` the gateway forgets its cached
 * view of the workspace's providers (`provider-cache.ts`) and probes the endpoint in
 * the background (the POST answers at once with `Pending`, however slow the host) with a
 * {@link PROBE_TIMEOUT_MS} timeout, then sets `status` to `{phase: "Available" | "Unavailable",
 * message, last_probe_time, probe_latency_ms}`. Probes: openai `GET <base>/models` (2xx;
 * an Azure deployment URL: any answer but 401/403/5xx), anthropic `GET <base>/v1/models` (any
 * answer < 500), ollama `GET /api/tags` (2xx), playground always Available; another type is
 * Unavailable ("not supported by the gateway yet"). The status is only written while the record
 * is still the probed version, so a newer upsert is never overwritten by an older probe. Reads
 * wait for the probe of a provider still `Pending` and re-probe a stale status
 * (`probe-tracker.ts`).
 */
import type { Logger } from "../log.js";
import { probeSettled, trackProbe, withFreshStatus } from "../probe-tracker.js";
import type { ResourceRecord, Store } from "../store/store.js";
import { isObject } from "../validate.js";
import { forgetProviders } from "./provider-cache.js";
import { scrub, secretValues } from "./provider-keys.js";
import { adapterFor } from "./providers/index.js";
import type { ProbeOutcome, ProviderTarget } from "./types.js";

export const PROBE_TIMEOUT_MS = 2000;

/** Starts the probe of a just-stored provider; never throws. */
export function scheduleProviderProbe(
  deps: { store: Store; log: Logger },
  ws: string,
  record: ResourceRecord,
): void {
  forgetProviders(deps.store, ws);
  startProbe(deps, ws, record);
}

function startProbe(deps: { store: Store; log: Logger }, ws: string, record: ResourceRecord): void {
  trackProbe(deps, record, () => probeAndStore(deps.store, ws, record));
}

/** Resolves when every probe of `name` started so far has stored (or skipped) its result. */
export async function providerProbeSettled(store: Store, ws: string, name: string): Promise<void> {
  await probeSettled(store, ws, "model_provider", name);
}

/** The providers as a reader should see them (see `withFreshStatus` in `probe-tracker.ts`). */
export function providersWithFreshStatus(
  deps: { store: Store; log: Logger },
  ws: string,
  records: readonly ResourceRecord[],
): Promise<ResourceRecord[]> {
  return withFreshStatus(deps, records, (record) => startProbe(deps, ws, record));
}

async function probeAndStore(store: Store, ws: string, record: ResourceRecord): Promise<void> {
  const spec = isObject(record.doc.spec) ? record.doc.spec : {};
  const target: ProviderTarget = {
    name: record.name,
    type: typeof spec.provider === "string" ? spec.provider : "",
    endpoint: typeof spec.endpoint === "string" ? spec.endpoint : "",
    auth: isObject(spec.auth) ? spec.auth : {},
    secret: await store.getSecret(ws, `${record.name}-provider-key`),
  };
  const started = performance.now();
  const outcome = await probeProvider(target);
  const status = {
    phase: outcome.available ? "Available" : "Unavailable",
    message: scrub(outcome.message, secretValues(target)),
    last_probe_time: new Date().toISOString(),
    probe_latency_ms: Math.round(performance.now() - started),
  };
  const current = await store.getResource(ws, "model_provider", record.name);
  if (!current || current.version !== record.version) return;
  await store.putResource(
    ws,
    "model_provider",
    record.name,
    { ...current.doc, status },
    {
      expectedVersion: current.version,
    },
  );
}

export async function probeProvider(target: ProviderTarget): Promise<ProbeOutcome> {
  const adapter = adapterFor(target.type);
  if (!adapter) {
    return {
      available: false,
      message: `provider type "${target.type}" is not supported by the gateway yet`,
    };
  }
  try {
    return await adapter.probe(target, PROBE_TIMEOUT_MS);
  } catch (err) {
    return { available: false, message: err instanceof Error ? err.message : String(err) };
  }
}
