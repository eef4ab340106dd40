/**
 * @module drain
 * A platform's graceful shutdown, as ordered steps (SIGTERM, `RunningPlatform.close()`):
 *
 * 1. `stop-accepting` — the listener closes and `services.closing` aborts (readiness fails, live
 *    feeds and log follows end: their clients reconnect to another replica);
 * 2. `finish-requests` — requests in flight are answered (until the drain timeout: then their
 *    connections are cut);
 * 3. `stop-workers` — the background workers finish what they hold and stop claiming;
 * 4. `hand-over` — work this replica owns goes to others (agent placement adds its step here);
 * 5. `release-claims` — whatever this process still claims is released at once, rather than
 *    when the leases run out;
 * 6. `stop-agents` — traces are flushed, agent processes stopped;
 * 7. `close-store` — the store closes (appends in flight are committed first).
 *
 * A step that fails is logged and the drain goes on: the store must close whatever happened.
 * Steps run in phase order, then in the order they were added.
 */
import type { Logger } from "./log.js";

export const DRAIN_PHASES = [
  "stop-accepting",
  "finish-requests",
  "stop-workers",
  "hand-over",
  "release-claims",
  "stop-agents",
  "close-store",
] as const;

export type DrainPhase = (typeof DRAIN_PHASES)[number];

export interface DrainStep {
  phase: DrainPhase;
  /** For the log. */
  name: string;
  /** `deadline`: epoch ms by which the whole drain should be done. */
  run(deadline: number): Promise<void> | void;
}

/** @default 20 s (RUNAGENTS_DRAIN_TIMEOUT, in seconds) */
export const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;

export class Drain {
  readonly #steps: DrainStep[] = [];
  #running: Promise<void> | undefined;

  /** Adds a step (before the drain has started); returns its removal. */
  add(step: DrainStep): () => void {
    this.#steps.push(step);
    return () => {
      const at = this.#steps.indexOf(step);
      if (at !== -1) this.#steps.splice(at, 1);
    };
  }

  get started(): boolean {
    return this.#running !== undefined;
  }

  /** Runs every step once (later calls get the same promise). */
  run(log: Logger, timeoutMs: number): Promise<void> {
    this.#running ??= this.#run(log, timeoutMs);
    return this.#running;
  }

  async #run(log: Logger, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const ordered = DRAIN_PHASES.flatMap((phase) => this.#steps.filter((step) => step.phase === phase));
    for (const step of ordered) {
      const started = Date.now();
      try {
        await step.run(deadline);
        log.debug("drain step done", { phase: step.phase, step: step.name, ms: Date.now() - started });
      } catch (error) {
        log.error("drain step failed", { phase: step.phase, step: step.name, error: String(error) });
      }
    }
  }
}
