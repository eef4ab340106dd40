/**
 * @module governance/claimed-jobs
 * A durable queue of background jobs that several platforms on one database share: each job is a
 * `setting` in a reserved workspace (the queue), and a worker claims due jobs in batches
 * (`Store.claimResources`: exactly one platform holds each), runs them, and the job's handler
 * deletes a job when done or gives it back due later. A platform that dies leaves its claims to
 * lapse; another platform runs those jobs then. Used by approval-connector deliveries and run
 * webhooks.
 */
import type { Logger } from "../log.js";
import type { Doc, Store } from "../store/store.js";

const CLAIM_BATCH = 16;

export interface ClaimedJobsOptions<T extends Doc> {
  store: Store;
  log: Logger;
  /** The reserved workspace the jobs live in. */
  queue: string;
  /** Holds the claims (the platform's boot id). */
  owner: string;
  /** How long a claim lasts: longer than the slowest job. */
  leaseMs: number;
  /** How often jobs other platforms left behind are looked for. */
  pollMs: number;
  /** What failed, for the log line. */
  failure: string;
  /** Runs one claimed job; it deletes the job or gives it back (a throw leaves the claim to lapse). */
  run(name: string, job: T): Promise<void>;
}

export class ClaimedJobs<T extends Doc> {
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #draining: Promise<void> | undefined;
  #again = false;

  constructor(private readonly options: ClaimedJobsOptions<T>) {}

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Starts looking for due jobs (this platform's, and those other platforms left). */
  start(): void {
    this.#timer = setInterval(() => this.kick(), this.options.pollMs);
    this.#timer.unref();
    this.kick();
  }

  /** Stops claiming and waits for the jobs under way (unfinished jobs stay queued). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#draining;
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Writes a new job (`name` must be new), then looks for due jobs. */
  async enqueue(name: string, job: T, store: Store = this.options.store): Promise<void> {
    await store.putResource(this.options.queue, "setting", name, job, { expectedVersion: 0 });
    this.kick();
  }

  /** Releases the claim on a job; it is due again at `dueAt`, and this worker looks then. */
  async giveBack(name: string, dueAt: number): Promise<void> {
    const { store, queue, owner } = this.options;
    await store.releaseClaim(queue, "setting", name, owner, { dueAt });
    setTimeout(() => this.kick(), Math.max(0, dueAt - Date.now()) + 5).unref();
  }

  /** Claims and runs the due jobs (one round at a time; a kick meanwhile runs another round). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = this.#drain()
      .catch((error: unknown) => this.options.log.error(this.options.failure, { error: String(error) }))
      .finally(() => {
        this.#draining = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** Keeps `work` among the jobs `stop()` and `idle()` wait for. */
  track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  /** Resolves when the jobs queued or under way now have ended (or wait for a later due time). */
  async idle(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      await Promise.allSettled([...this.#inFlight]);
      await this.#draining;
      if (this.#inFlight.size === 0 && !this.#draining) return;
    }
  }

  async #drain(): Promise<void> {
    const { store, queue, owner, leaseMs, log, failure } = this.options;
    for (;;) {
      if (this.#stopped) return;
      const jobs = await store.claimResources<T>(queue, "setting", owner, { limit: CLAIM_BATCH, leaseMs });
      for (const job of jobs) {
        this.track(
          this.options
            .run(job.name, job.doc)
            .catch((error: unknown) => log.error(failure, { job: job.name, error: String(error) })),
        );
      }
      if (jobs.length < CLAIM_BATCH) return;
    }
  }
}
