/**
 * @module store/resource-changes
 * Tells listeners, in this process, that a resource was written or deleted (after the commit).
 * Both SQL stores use it for `Store.onResourceChanged`; the live feed uses it to send the
 * pending-approvals count and agents' phases as they change.
 */
import type { ResourceKind } from "./store.js";

export interface ResourceChange {
  workspace: string;
  kind: ResourceKind;
  name: string;
}

export class ResourceChanges {
  readonly #listeners = new Set<(change: ResourceChange) => void>();

  on(listener: (change: ResourceChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(workspace: string, kind: ResourceKind, name: string): void {
    for (const listener of this.#listeners) {
      try {
        listener({ workspace, kind, name });
      } catch {
        // A listener's failure is its own: the write has happened.
      }
    }
  }
}
