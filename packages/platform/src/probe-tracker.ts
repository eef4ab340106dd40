/**
 * @module probe-tracker
 * The background health probes of tools (`egress/tool-health.ts`) and model providers
 * (`gateway/health.ts`), per store: a write starts a probe and answers at once; a read waits
 * for the probe of a resource still `Pending` (bounded by the probe's own timeout), so a working
 * resource never shows `Pending` once its probe is under way; a read of a status older than
 * {@link STALE_AFTER_MS} starts a new probe in the background.
 */
import type { Logger } from "./log.js";
import type { ResourceKind, ResourceRecord, Store } from "./store/store.js";
import { isObject } from "./validate.js";

/** The status of a tool or model provider until its first probe has run. */
export const UNPROBED_STATUS = Object.freeze({
  phase: "Pending",
  message: "registered; the health check has not run yet",
});

/** A probed status older than this is probed again when read. */
export const STALE_AFTER_MS = 5 * 60_000;

const inFlight = new WeakMap<Store, Map<string, Promise<void>>>();

const keyOf = (ws: string, kind: ResourceKind, name: string): string => `${ws}/${kind}/${name}`;

/**
 * Runs `probe` for the resource in the background; never throws (a probe that cannot record its
 * result, e.g. because the store closed, is logged at debug level).
 */
export function trackProbe(
  deps: { store: Store; log: Logger },
  record: ResourceRecord,
  probe: () => Promise<void>,
): void {
  const key = keyOf(record.workspace, record.kind, record.name);
  let probes = inFlight.get(deps.store);
  if (!probes) {
    probes = new Map();
    inFlight.set(deps.store, probes);
  }
  const running = probe().catch((err: unknown) => {
    deps.log.debug("health probe not recorded", {
      kind: record.kind,
      name: record.name,
      error: err instanceof Error ? err.message : String(err),
    });
  });
  const all = probes;
  const settled = Promise.all([all.get(key), running]).then(() => {
    if (all.get(key) === settled) all.delete(key);
  });
  all.set(key, settled);
}

/** Resolves when every probe of the resource started so far has stored (or skipped) its result. */
export async function probeSettled(
  store: Store,
  ws: string,
  kind: ResourceKind,
  name: string,
): Promise<void> {
  await inFlight.get(store)?.get(keyOf(ws, kind, name));
}

/** `Pending`: never probed. */
export function isPending(record: ResourceRecord): boolean {
  const status = isObject(record.doc.status) ? record.doc.status : {};
  return status.phase === undefined || status.phase === "Pending";
}

/** Probed longer than {@link STALE_AFTER_MS} ago (or never). */
export function isStale(record: ResourceRecord, now = Date.now()): boolean {
  const status = isObject(record.doc.status) ? record.doc.status : {};
  const at = typeof status.last_probe_time === "string" ? Date.parse(status.last_probe_time) : Number.NaN;
  return !(now - at < STALE_AFTER_MS);
}

/**
 * The records as a reader should see them: a stale one is probed again (in the background), a
 * `Pending` one is probed now when no probe is under way, and the read waits for it and reads the
 * record again. `probeable` says which records may be probed at all.
 */
export async function withFreshStatus(
  deps: { store: Store; log: Logger },
  records: readonly ResourceRecord[],
  schedule: (record: ResourceRecord) => void,
  probeable: (record: ResourceRecord) => boolean = () => true,
): Promise<ResourceRecord[]> {
  const probes = inFlight.get(deps.store);
  return Promise.all(
    records.map(async (record) => {
      if (!probeable(record)) return record;
      const { workspace, kind, name } = record;
      if (isStale(record) && !probes?.has(keyOf(workspace, kind, name))) schedule(record);
      if (!isPending(record)) return record;
      await probeSettled(deps.store, workspace, kind, name);
      return (await deps.store.getResource(workspace, kind, name)) ?? record;
    }),
  );
}
