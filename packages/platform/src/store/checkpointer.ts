/**
 * @module store/checkpointer
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit that
 * crosses the threshold (1000 pages): it copies the log into the database file and fsyncs it,
 * which stalls the event loop for milliseconds — the tail latency of every governed call. Once a
 * store has committed {@link BUSY_AFTER_COMMITS} times, a worker thread with its own connection
 * runs `PRAGMA wal_checkpoint(PASSIVE)` every {@link CHECKPOINT_INTERVAL_MS} (passive checkpoints
 * never block writers), copying the log into the database as it grows. The store's own automatic
 * checkpoint stays on at a higher threshold ({@link BUSY_AUTO_CHECKPOINT_PAGES}): by the time it
 * fires, the worker has copied nearly everything, so it costs little — and being the writer, it
 * can finish the log, which lets the next commit start it over (a log checkpointed only by
 * another thread while writes keep coming would never be complete, and would grow without
 * bound). If the worker cannot start or stops, the default threshold comes back.
 */
import { Worker } from "node:worker_threads";

export const BUSY_AFTER_COMMITS = 500;
export const CHECKPOINT_INTERVAL_MS = 100;
const AUTO_CHECKPOINT_PAGES = 1000;
export const BUSY_AUTO_CHECKPOINT_PAGES = 4000;

export interface Checkpointer {
  /** Counts one commit; starts the worker when the store turns busy. */
  committed(): void;
  /** Whether checkpoints currently run in the worker. */
  readonly active: boolean;
  stop(): Promise<void>;
}

export function createCheckpointer(file: string, setAutoCheckpoint: (pages: number) => void): Checkpointer {
  let commits = 0;
  let worker: Worker | undefined;
  let active = false;
  let stopped = false;
  const fallBack = () => {
    if (!active) return;
    active = false;
    if (!stopped) setAutoCheckpoint(AUTO_CHECKPOINT_PAGES);
  };
  const start = () => {
    try {
      worker = new Worker(new URL("./checkpoint-worker.js", import.meta.url), {
        workerData: { file, intervalMs: CHECKPOINT_INTERVAL_MS },
      });
    } catch {
      return;
    }
    worker.unref();
    active = true;
    setAutoCheckpoint(BUSY_AUTO_CHECKPOINT_PAGES);
    worker.on("error", fallBack);
    worker.on("exit", fallBack);
  };
  return {
    committed() {
      if (++commits === BUSY_AFTER_COMMITS && !stopped) start();
    },
    get active() {
      return active;
    },
    async stop() {
      stopped = true;
      const running = worker;
      worker = undefined;
      if (!running) return;
      const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
      running.ref();
      running.postMessage("stop");
      await exited;
    },
  };
}
