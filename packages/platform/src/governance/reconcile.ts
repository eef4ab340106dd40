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
 * - when this process is the only one on its store (SQLite: the data dir's lock), resume jobs
 *   claimed by an earlier boot are released, so they run now rather than when the dead claim
 *   lapses. On a shared database other platforms may be running theirs: their claims are kept,
 *   and a dead process's lapse by themselves (`Store.claimResources`).
 *
 * On a shared database (`soleProcess: false`) only runs whose owning boot `gone` says is gone are
 * reconciled: the others may be driven by a live replica.
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
  options: {
    /** No other process uses the store (SQLite): every other boot is gone. @default true */
    soleProcess?: boolean;
    /** On a shared store: whether the boot that owns a run is gone (a replica heartbeat). */
    gone?: (owner: string) => boolean | Promise<boolean>;
  } = {},
): Promise<Reconciled> {
  const sole = options.soleProcess ?? true;
  const gone = options.gone ?? (() => false);
  const done: Reconciled = { outcomeUnknown: [], interrupted: [], resuming: [] };
  const jobs = await store.listResources<ResumeJob>(RESUME_QUEUE, "resume_job");
  const queued = new Set<string>();
  if (sole) await store.releaseClaims(null);
  for (const job of jobs) queued.add(`${job.doc.workspace}\0${job.doc.run_id}`);
  for (const run of await store.listRunsWithStatus(["RUNNING", ...PAUSED_STATUSES])) {
    // On a shared store a run is another process's business unless that process is known gone.
    if (!sole && !(run.owner && run.owner !== bootId && (await gone(run.owner)))) continue;
    try {
      const unanswered = unansweredCalls(await store.listEvents(run.workspace, run.id));
      if (unanswered.length > 0) {
        await failOutcomeUnknown(store, run.workspace, run.id, unanswered, "the platform stopped");
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
      } else if (!sole && run.status !== "RUNNING") {
        // Paused, and fine: nobody drives it until it is resumed. Not looked at again.
        await store.updateRun(run.workspace, run.id, { owner: "" }, [run.status]);
      }
    } catch (error) {
      log.error("could not reconcile a run at start-up", { run_id: run.id, error: String(error) });
    }
  }
  if (done.outcomeUnknown.length + done.interrupted.length + done.resuming.length > 0) {
    log.warn("runs left behind by the previous platform process were reconciled", {
      tool_outcome_unknown: done.outcomeUnknown,
      interrupted: done.interrupted,
      resuming: done.resuming,
    });
  }
  return done;
}
