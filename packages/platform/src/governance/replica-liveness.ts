/**
 * @module governance/replica-liveness
 * Which platform processes on a shared database are alive, for the runs they drive: each process
 * holds a lease named after its boot id (`store/lease`), renewed every few seconds while it runs
 * and released when it drains. A boot whose lease another process can take is gone — it died —
 * and the runs it drove are reconciled (`reconcile.ts`) by the process that took the lease, which
 * holds it for a while so no other process does the same at once.
 *
 * On SQLite (one process) none of this runs: start-up reconciliation already knows every other
 * boot is gone.
 */
import type { Logger } from "../log.js";
import { LEASES, tryLease } from "../store/lease.js";
import type { Store } from "../store/store.js";
import { reconcileRuns } from "./reconcile.js";

/** A live process renews its lease this often; one that stops renewing is gone after `LEASE_MS`. */
const RENEW_MS = 5_000;
const LEASE_MS = 20_000;
/** How long the process that found a boot gone keeps that to itself. */
const REAPER_MS = 60_000;
/** How often each process looks for runs of boots that are gone. */
const REAP_EVERY_MS = 10_000;

const leaseName = (bootId: string): string => `replica/${bootId}`;

export interface LivenessDeps {
  store: Store;
  log: Logger;
  bootId: string;
}

export class ReplicaLiveness {
  #timer: NodeJS.Timeout | undefined;
  #reaper: NodeJS.Timeout | undefined;
  #reaping: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly deps: LivenessDeps) {}

  /** Takes this process's lease (before it drives any run). */
  async start(): Promise<void> {
    const { store, bootId } = this.deps;
    await tryLease(store, leaseName(bootId), bootId, LEASE_MS);
    this.#timer = setInterval(() => void this.#renew(), RENEW_MS);
    this.#timer.unref();
    this.#reaper = setInterval(() => void this.reap(), REAP_EVERY_MS);
    this.#reaper.unref();
  }

  /** Whether the boot `owner` is gone (and this process now reconciles its runs). */
  readonly gone = async (owner: string): Promise<boolean> => {
    if (owner === this.deps.bootId) return false;
    return (
      (await tryLease(this.deps.store, leaseName(owner), `reaper/${this.deps.bootId}`, REAPER_MS)) !==
      undefined
    );
  };

  /** Reconciles the runs of boots that are gone (also on a timer); resolves when done. */
  reap(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#reaping) return this.#reaping;
    const { store, bootId, log } = this.deps;
    const known = new Map<string, Promise<boolean>>();
    const gone = (owner: string) => {
      let found = known.get(owner);
      if (!found) {
        found = this.gone(owner);
        known.set(owner, found);
      }
      return found;
    };
    this.#reaping = reconcileRuns(store, bootId, log, { soleProcess: false, gone })
      .then(() => undefined)
      .catch((error: unknown) =>
        log.error("could not reconcile runs of gone replicas", { error: String(error) }),
      )
      .finally(() => {
        this.#reaping = undefined;
      });
    return this.#reaping;
  }

  /** Stops renewing and gives the lease up (a draining process: its runs are its own to finish). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#reaper) clearInterval(this.#reaper);
    await this.#reaping;
    await this.deps.store.deleteResource(LEASES, "setting", leaseName(this.deps.bootId)).catch(() => false);
  }

  async #renew(): Promise<void> {
    const { store, bootId, log } = this.deps;
    try {
      if (await store.renewClaim(LEASES, "setting", leaseName(bootId), bootId, LEASE_MS)) return;
      // Not renewed in time: another process may have taken this boot for gone.
      log.error("this process's liveness lease lapsed; taking it again", { boot_id: bootId });
      await tryLease(store, leaseName(bootId), bootId, LEASE_MS);
    } catch (error) {
      log.warn("could not renew the liveness lease", { error: String(error) });
    }
  }
}
