/**
 * @module gateway/provider-cache
 * The workspace's model providers and their decrypted keys, kept in memory for at most
 * {@link PROVIDER_CACHE_TTL_MS} so a model call does not list and decrypt them every time.
 * This process forgets a workspace's entry as soon as a provider is registered or deleted
 * through the API ({@link forgetProviders}); a change made by another replica, or written to
 * the store directly, is seen within the TTL.
 */
import type { ResourceRecord, Store } from "../store/store.js";

export const PROVIDER_CACHE_TTL_MS = 1000;

interface Entry {
  expires: number;
  records: Promise<ResourceRecord[]>;
  secrets: Map<string, Promise<Record<string, string> | undefined>>;
}

const caches = new WeakMap<Store, Map<string, Entry>>();

function entryFor(store: Store, ws: string): Entry {
  let byWorkspace = caches.get(store);
  if (!byWorkspace) {
    byWorkspace = new Map();
    caches.set(store, byWorkspace);
  }
  const now = Date.now();
  let entry = byWorkspace.get(ws);
  if (!entry || entry.expires <= now) {
    const records = store.listResources(ws, "model_provider");
    entry = { expires: now + PROVIDER_CACHE_TTL_MS, records, secrets: new Map() };
    const fresh = entry;
    const all = byWorkspace;
    // A failed read is not remembered.
    records.catch(() => {
      if (all.get(ws) === fresh) all.delete(ws);
    });
    byWorkspace.set(ws, entry);
  }
  return entry;
}

/** The workspace's ModelProvider records. */
export function cachedProviders(store: Store, ws: string): Promise<ResourceRecord[]> {
  return entryFor(store, ws).records;
}

/** The decrypted `<name>-provider-key` secret of a provider, if any. */
export function cachedProviderSecret(
  store: Store,
  ws: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  const entry = entryFor(store, ws);
  let secret = entry.secrets.get(name);
  if (!secret) {
    secret = store.getSecret(ws, `${name}-provider-key`);
    entry.secrets.set(name, secret);
    secret.catch(() => entry.secrets.delete(name));
  }
  return secret;
}

/** Drops what this process remembers of a workspace's providers (after an upsert or delete). */
export function forgetProviders(store: Store, ws: string): void {
  caches.get(store)?.delete(ws);
}
