/**
 * @module governance/reconcile
 * Start-up reconciliation of the runs a previous platform process left behind (ARCHITECTURE: a
 * tool call's outcome is recorded exactly once; a paused run survives a restart). It runs
 * before the platform listens, so nothing of this process is in flight yet:
 *
 * - a non-terminal run with a call that went out and has no recorded outcome fails with
 *   `TOOL_OUTCOME_UNKNOWN` (`governance/run-recovery`) — never re-sent, never re-approved;
 * - a `RUNNING` run owned by an earlier boot fails with `RUN_INTERRUPTED`, unless a resume job
 *   is queued for it: the resume worker then re-sends the resume, which it does only while no
 *   call went out since the run was resumed (`resume-worker`);
 * - paused runs (and runs driven from outside the platform, `owner` "") are left as they are;
 * - resume jobs leased by an earlier boot are released, so they run now rather than when the
 *   dead lease runs out.
 *
 * On SQLite the store is one file owned by one process, so every other boot is gone. Replicas on
 * one PostgreSQL database pass `only`: the owners known to be gone (replicas whose heartbeat
 * stopped, `deploy/placement`); runs of live replicas and their resume jobs are left alone, and
 * a dead replica's leased resume jobs become free when their lease runs out.
 */
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import { RESUME_QUEUE, type ResumeJob } from "./resume-worker.js";
import { failInterrupted, failOutcomeUnknown, unansweredCalls } from "./run-recovery.js";
import { PAUSED_STATUSES } from "./runs.js";

export interface Reconciled {
  outcomeUnknown: string[];
  interrupted: string[];
  resuming: string[];
}

export async function reconcileRuns(
  store: Store,
  bootId: string,
  log: Logger,
  options: { only?: (owner: string) => boolean; why?: string } = {},
): Promise<Reconciled> {
  const done: Reconciled = { outcomeUnknown: [], interrupted: [], resuming: [] };
  const jobs = await store.listResources<ResumeJob>(RESUME_QUEUE, "resume_job");
  const queued = new Set<string>();
  for (const job of jobs) {
    queued.add(`${job.doc.workspace}\0${job.doc.run_id}`);
    if (job.doc.owner && !options.only) {
      await store.putResource(RESUME_QUEUE, "resume_job", job.name, {
        ...job.doc,
        owner: "",
        lease_until: 0,
      });
    }
  }
  for (const run of await store.listRunsWithStatus(["RUNNING", ...PAUSED_STATUSES])) {
    if (options.only && !options.only(run.owner)) continue;
    try {
      const unanswered = unansweredCalls(await store.listEvents(run.workspace, run.id));
      if (unanswered.length > 0) {
        await failOutcomeUnknown(
          store,
          run.workspace,
          run.id,
          unanswered,
          options.why ?? "the platform stopped",
        );
        done.outcomeUnknown.push(run.id);
      } else if (run.status === "RUNNING" && run.owner && run.owner !== bootId) {
        if (queued.has(`${run.workspace}\0${run.id}`)) {
          done.resuming.push(run.id);
          continue;
        }
        await failInterrupted(
          store,
          run.workspace,
          run.id,
          "the platform stopped while the run was in flight; it was not resumed because it may have acted since its last checkpoint",
        );
        done.interrupted.push(run.id);
      }
    } catch (error) {
      log.error("could not reconcile a run at start-up", { run_id: run.id, error: String(error) });
    }
  }
  if (done.outcomeUnknown.length + done.interrupted.length + done.resuming.length > 0) {
    log.warn(
      options.why
        ? `runs were reconciled: ${options.why}`
        : "runs left behind by the previous platform process were reconciled",
      {
        tool_outcome_unknown: done.outcomeUnknown,
        interrupted: done.interrupted,
        resuming: done.resuming,
      },
    );
  }
  return done;
}
