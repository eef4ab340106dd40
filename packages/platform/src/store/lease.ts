/**
 * @module store/lease
 * A named lease among every process on one store: `tryLease` holds it for one owner at a time
 * (a claim, `Store.claimResources` with `name`), for work that must not run twice at once across
 * replicas — e.g. refreshing one OAuth token, whose refresh token the provider may rotate.
 */
import { type Store, VersionConflictError } from "./store.js";

/** The reserved workspace of lease rows (kind `setting`, one per leased thing). */
export const LEASES = "_leases";

/**
 * Takes the lease `name` for `owner` for `leaseMs`; returns its release, or undefined while
 * another owner holds it.
 */
export async function tryLease(
  store: Store,
  name: string,
  owner: string,
  leaseMs: number,
): Promise<(() => Promise<void>) | undefined> {
  if (!(await store.readResource(LEASES, "setting", name))) {
    try {
      await store.putResource(LEASES, "setting", name, {}, { expectedVersion: 0 });
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error; // created by another process
    }
  }
  const [held] = await store.claimResources(LEASES, "setting", owner, { name, limit: 1, leaseMs });
  if (!held) return undefined;
  return () => store.releaseClaim(LEASES, "setting", name, owner);
}
