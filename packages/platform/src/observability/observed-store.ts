/**
 * @module observability/observed-store
 * Lets metrics and run webhooks watch the store without the store (or its callers) knowing:
 * the store's own `appendEvent`, `createRun`, `createRunWithEvents`, `updateRun` and `updateRunWithEvents` are wrapped in place, so every
 * writer — the egress, the gateway, invoke, approvals, the /runs routes — is seen, and every
 * other method keeps its direct call.
 */
import type { RunEventRecord, RunRecord, Store } from "../store/store.js";

export interface StoreObserver {
  /** An event was appended; `seconds` is how long the append took. */
  event(ws: string, event: RunEventRecord, seconds: number): void;
  /** A run was created with, or moved to, `run.status`. */
  status(run: RunRecord, previous: string | undefined): void;
}

export function observeStore(store: Store, observer: StoreObserver): Store {
  const appendEvent = store.appendEvent.bind(store);
  const createRun = store.createRun.bind(store);
  const createRunWithEvents = store.createRunWithEvents.bind(store);
  const updateRun = store.updateRun.bind(store);
  const updateRunWithEvents = store.updateRunWithEvents.bind(store);
  store.appendEvent = async (ws, runId, event) => {
    const started = performance.now();
    const record = await appendEvent(ws, runId, event);
    observer.event(ws, record, (performance.now() - started) / 1000);
    return record;
  };
  store.createRun = async (run) => {
    const record = await createRun(run);
    observer.status(record, undefined);
    return record;
  };
  store.createRunWithEvents = async (run, events) => {
    const started = performance.now();
    const done = await createRunWithEvents(run, events);
    observer.status(done.run, undefined);
    const seconds = (performance.now() - started) / 1000;
    for (const event of done.events) observer.event(done.run.workspace, event, seconds);
    return done;
  };
  store.updateRun = async (ws, id, patch, ifStatus) => {
    // The previous status is known only when the update was conditional on a single one.
    const updated = await updateRun(ws, id, patch, ifStatus);
    if (updated && patch.status !== undefined) {
      const previous = ifStatus?.length === 1 ? ifStatus[0] : undefined;
      if (previous !== patch.status) observer.status(updated, previous);
    }
    return updated;
  };
  store.updateRunWithEvents = async (ws, id, patch, ifStatus, events) => {
    const started = performance.now();
    const done = await updateRunWithEvents(ws, id, patch, ifStatus, events);
    if (!done) return done;
    const seconds = (performance.now() - started) / 1000;
    for (const event of done.events) observer.event(ws, event, seconds);
    if (patch.status !== undefined) {
      const previous = ifStatus.length === 1 ? ifStatus[0] : undefined;
      if (previous !== patch.status) observer.status(done.run, previous);
    }
    return done;
  };
  return store;
}
