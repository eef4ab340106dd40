/**
 * @module store/checkpoint-worker
 * The worker thread of `checkpointer.ts`: its own connection to the store's file, a passive WAL
 * checkpoint every `intervalMs`, and a clean close on "stop" (the main connection, closing last,
 * then folds the rest of the log into the database and removes it).
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new Database(file);
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = NORMAL");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const timer = setInterval(() => {
  try {
    checkpoint.get();
  } catch {
    // busy or locked: the next interval tries again
  }
}, intervalMs);
parentPort?.on("message", (message: unknown) => {
  if (message !== "stop") return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
