/**
 * @module governance/resume-worker
 * Continues a run once its blocked action is approved (platform-and-cli A7 "Flow" 5, A12).
 *
 * The queue is durable: an approval writes a job (kind `resume_job` in the reserved workspace
 * `_resume-queue`, one per action) before it records the decision (`governance/decisions`), and
 * the worker works through due jobs on every approval, on a timer, and at start-up — so a platform stopped while
 * a run waits for approval, or mid-resume, finishes the job after a restart. A job is claimed
 * with a lease (`Store.claimResources`, renewed while the attempt runs), so among several
 * platforms on one database exactly one runs it; a platform that dies leaves its claim to lapse,
 * and one that drains releases it. A backoff is the job's due time.
 *
 * A job: the run must still be paused on this action (else the job is dropped) → `RESUMED`
 * event, run `RUNNING` → `POST <agent URL>/resume/<action_id>` with `X-Run-ID`,
 * `X-End-User-Id` and `{run_id, user_id}` → the outcome is recorded like an invoke
 * (`agent-outcome.ts`): `AGENT_MESSAGE` + `COMPLETED`, `FAILED`, or paused again by the egress
 * with a new action. An agent that is not running or not reachable is retried with doubling
 * backoff; after the last attempt the run fails. A job tried again once its run is already
 * RUNNING (the last attempt, or the last platform process, got that far) re-sends the resume
 * only while no tool call went out since `RESUMED`: replaying an approved call twice is never
 * an option (`governance/run-recovery`). The agent's URL comes from the
 * {@link AgentLocator} the supervisor provides.
 *
 * Completed OAuth consent (`kind: "consent"`, queued with {@link queueResume}) resumes a run paused
 * in `PAUSED_CONSENT` on the consent's resume id the same way.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../log.js";
import { traceResume } from "../observability/tracing.js";
import { type Doc, type ResourceRecord, type Store, VersionConflictError } from "../store/store.js";
import { redactAgentTokens } from "./agent-identity.js";
import { failRun, recordAgentOutcome } from "./agent-outcome.js";
import type { ApprovalDecision, ApprovalEvents } from "./approvals.js";
import { callsSinceResume, failInterrupted, failOutcomeUnknown, unansweredCalls } from "./run-recovery.js";
import { GOVERNANCE_ACTOR, isTerminal, transitionRun } from "./runs.js";

/** A POST to an agent's serving process (a resume), as the supervisor sends it. */
export interface AgentPostRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  signal: AbortSignal;
}

export interface AgentPostAnswer {
  status: number;
  text: string;
}

/** Reaches a deployed agent's runtime; implemented by the agent supervisor. */
export interface AgentLocator {
  /** Whether a process serves the agent now. */
  isServing(ws: string, agent: string): boolean;
  /**
   * POSTs to the agent's serving process and reads the whole answer; rejects when none serves,
   * it cannot be reached, or it does not answer within `timeoutMs`.
   */
  post(ws: string, agent: string, request: AgentPostRequest): Promise<AgentPostAnswer>;
}

export interface ResumeDeps {
  store: Store;
  log: Logger;
  approvals: ApprovalEvents;
  /** Read on every attempt: the supervisor may set it after start-up. */
  agents?: AgentLocator;
  /** This platform process: recorded as the owner of the runs it resumes. */
  bootId?: string;
}

export interface ResumeOptions {
  /** How often due jobs are looked for. @default 1000 */
  pollMs?: number;
  /** Tries before the run fails. @default 12 */
  attempts?: number;
  /** Wait after the first failed try; doubles, capped at 30 s. @default 500 */
  backoffMs?: number;
  /** How long one /resume call may take. @default 10 min */
  resumeTimeoutMs?: number;
  /**
   * How long a job whose approval is still PENDING waits for it before it is dropped (the job is
   * written before the decision, so a crash between the two can never lose an approved resume).
   * @default 30 s
   */
  decisionGraceMs?: number;
}

export const RESUME_QUEUE = "_resume-queue";
const LEASE_MS = 30_000;
/** Jobs claimed per store call. */
const CLAIM_BATCH = 16;

export interface ResumeJob extends Doc {
  workspace: string;
  run_id: string;
  action_id: string;
  request_id: string;
  agent: string;
  user_id: string;
  attempts: number;
  /** Epoch ms before which the job is not tried (backoff). */
  not_before: number;
  /** Epoch ms until which the claiming worker owns the job. */
  lease_until: number;
  owner: string;
  last_error: string;
  /** What the run waits on: an approval (the default) or OAuth consent. */
  kind?: "approval" | "consent";
  /** Epoch ms the job was written. */
  created_at?: number;
}

type NewJob = Pick<ResumeJob, "run_id" | "action_id" | "request_id" | "agent" | "user_id" | "kind">;

const jobName = (ws: string, actionId: string): string => `${ws}/${actionId}`;
const PAUSED_ON_ACTION: readonly string[] = ["PAUSED_APPROVAL", "PAUSED_CONSENT"];
/** The started worker of each platform (keyed by its deps, i.e. the services), for {@link queueResume}. */
const workers = new WeakMap<object, ResumeWorker>();

/**
 * Writes the durable job (idempotent per action: a job already queued is kept). An approval writes
 * it before the decision itself; the worker waits for the decision (see `decisionGraceMs`).
 */
export async function writeResumeJob(store: Store, ws: string, job: NewJob): Promise<void> {
  const doc: ResumeJob = {
    workspace: ws,
    ...job,
    created_at: Date.now(),
    attempts: 0,
    not_before: 0,
    lease_until: 0,
    owner: "",
    last_error: "",
  };
  try {
    await store.putResource(RESUME_QUEUE, "resume_job", jobName(ws, job.action_id), doc, {
      expectedVersion: 0,
    });
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error; // already queued
  }
}

/** Queues a resume from outside the worker (consent completion) and wakes this platform's worker. */
export async function queueResume(deps: { store: Store }, ws: string, job: NewJob): Promise<void> {
  await writeResumeJob(deps.store, ws, job);
  workers.get(deps)?.kick();
}

/** `undecided`: the job's approval is still pending (see {@link writeResumeJob}). */
type Outcome = "done" | "undecided" | { retry: string };

/** Whether the decision the job was written for is still to be recorded. */
async function approvalPending(store: Store, job: ResumeJob): Promise<boolean> {
  if (job.request_id) {
    const request = await store.getResource(job.workspace, "access_request", job.request_id);
    return request?.doc.status === "PENDING";
  }
  const action = await store.getResource(job.workspace, "blocked_action", job.action_id);
  return action?.doc.status === "BLOCKED";
}

export class ResumeWorker {
  /** Holds this worker's claims: the platform's boot id, so a draining platform releases them. */
  readonly #owner: string;
  readonly #busy = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #stopped = false;
  readonly #options: Required<ResumeOptions>;

  constructor(
    private readonly deps: ResumeDeps,
    options: ResumeOptions = {},
  ) {
    this.#owner = deps.bootId || `resume-${randomUUID()}`;
    this.#options = {
      pollMs: 1000,
      attempts: 12,
      backoffMs: 500,
      resumeTimeoutMs: 600_000,
      decisionGraceMs: 30_000,
      ...options,
    };
  }

  start(): void {
    workers.set(this.deps, this);
    this.#unsubscribe = this.deps.approvals.onDecision((event) => this.#onDecision(event));
    this.#timer = setInterval(() => this.kick(), this.#options.pollMs);
    this.#timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (workers.get(this.deps) === this) workers.delete(this.deps);
    this.#unsubscribe?.();
    if (this.#timer) clearInterval(this.#timer);
    this.#abort.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Queues the resume of `actionId` (idempotent) and starts on it. */
  async enqueue(ws: string, job: NewJob) {
    await writeResumeJob(this.deps.store, ws, job);
    this.kick();
  }

  /**
   * Claims every due job (`Store.claimResources`: among several platforms on one database each
   * job goes to exactly one) and runs them; resolves when they are done.
   */
  async drain(): Promise<void> {
    if (this.#stopped) return;
    const started: Promise<void>[] = [];
    for (;;) {
      const jobs = await this.deps.store.claimResources<ResumeJob>(RESUME_QUEUE, "resume_job", this.#owner, {
        limit: CLAIM_BATCH,
        leaseMs: LEASE_MS,
      });
      for (const job of jobs) {
        if (this.#busy.has(job.name)) continue;
        this.#busy.add(job.name);
        const work = this.#run(job).finally(() => this.#busy.delete(job.name));
        this.#inFlight.add(work);
        void work.finally(() => this.#inFlight.delete(work));
        started.push(work);
      }
      if (jobs.length < CLAIM_BATCH || this.#stopped) break;
    }
    await Promise.all(started);
  }

  kick(): void {
    this.drain().catch((error: unknown) =>
      this.deps.log.error("resume worker failed", { error: String(error) }),
    );
  }

  /** The approval wrote its job before the decision (`governance/decisions`): start on it. */
  #onDecision(event: ApprovalDecision): void {
    if (event.decision === "approved") this.kick();
  }

  /** Runs one attempt of a claimed job, then deletes it or schedules the next attempt. */
  async #run(claimed: ResourceRecord<ResumeJob>): Promise<void> {
    const { store, log } = this.deps;
    const name = claimed.name;
    const job = claimed.doc;
    if (job.not_before > Date.now()) {
      // Written with a backoff before claims had due times: due then.
      await store.releaseClaim(RESUME_QUEUE, "resume_job", name, this.#owner, { dueAt: job.not_before });
      return;
    }
    const renew = setInterval(
      () => void store.renewClaim(RESUME_QUEUE, "resume_job", name, this.#owner, LEASE_MS).catch(() => false),
      LEASE_MS / 3,
    );
    let outcome: Outcome;
    try {
      outcome = await this.#attempt(job);
    } catch (error) {
      outcome = { retry: error instanceof Error ? error.message : String(error) };
    } finally {
      clearInterval(renew);
    }
    if (outcome === "undecided") {
      // Not an attempt: the approval this job was written for is not recorded yet.
      await this.#release(name, job.attempts, "waiting for the approval to be recorded", Date.now() + 1000);
      setTimeout(() => this.kick(), 1005).unref();
      return;
    }
    if (this.#stopped && outcome !== "done") {
      await this.#release(name, job.attempts, outcome.retry); // the next start retries it at once
      return;
    }
    if (outcome === "done" || job.attempts + 1 >= this.#options.attempts) {
      if (outcome !== "done") {
        log.warn("resume gave up", { run_id: job.run_id, action_id: job.action_id, error: outcome.retry });
        await failRun(store, job.workspace, job.run_id, `could not resume the run: ${outcome.retry}`);
      }
      await store.deleteResource(RESUME_QUEUE, "resume_job", name);
      return;
    }
    const wait = Math.min(30_000, this.#options.backoffMs * 2 ** job.attempts);
    await this.#release(name, job.attempts + 1, outcome.retry, Date.now() + wait);
    const timer = setTimeout(() => this.kick(), wait + 5);
    timer.unref();
  }

  /** Records the attempt on the job and gives it back to the queue, due at `notBefore`. */
  async #release(name: string, attempts: number, error: string, notBefore = 0): Promise<void> {
    const { store } = this.deps;
    const current = await store.getResource<ResumeJob>(RESUME_QUEUE, "resume_job", name);
    if (!current) return;
    const doc = {
      ...current.doc,
      attempts,
      not_before: notBefore,
      lease_until: 0,
      owner: "",
      last_error: error,
    };
    await store.putResource(RESUME_QUEUE, "resume_job", name, doc);
    await store.releaseClaim(RESUME_QUEUE, "resume_job", name, this.#owner, { dueAt: notBefore });
  }

  /**
   * Whether re-sending the resume of a run that is already RUNNING could repeat a tool call: the
   * replay would send the approved call again, so once any call went out since `RESUMED` the run
   * fails instead (`TOOL_OUTCOME_UNKNOWN` when one has no recorded outcome, else `RUN_INTERRUPTED`).
   */
  async #interrupted(ws: string, runId: string, actionId: string): Promise<boolean> {
    const { store } = this.deps;
    const events = await store.listEvents(ws, runId);
    const sent = callsSinceResume(events, actionId);
    if (sent.length === 0) return false;
    const unanswered = unansweredCalls(events);
    if (unanswered.length > 0) {
      await failOutcomeUnknown(store, ws, runId, unanswered, "the resume was interrupted");
    } else {
      await failInterrupted(
        store,
        ws,
        runId,
        "the resume was interrupted after the agent had made tool calls; resuming again could repeat them",
      );
    }
    return true;
  }

  /** One try: "done" when nothing more is to be done for this job, else why to retry. */
  async #attempt(job: ResumeJob): Promise<Outcome> {
    const { store } = this.deps;
    const ws = job.workspace;
    if (job.kind !== "consent" && (await approvalPending(store, job))) {
      const young = Date.now() - (job.created_at ?? 0) < this.#options.decisionGraceMs;
      return young ? "undecided" : "done"; // the decision never landed: the run stays paused
    }
    const run = await store.getRun(ws, job.run_id);
    if (!run || isTerminal(run.status)) return "done";
    const paused = PAUSED_ON_ACTION.includes(run.status);
    if (paused) {
      if (run.blockedActionId !== job.action_id) return "done"; // paused on something else now
    } else if (run.status !== "RUNNING") {
      return "done";
    }
    // Resumed by an earlier attempt (or an earlier process): the agent may have acted since.
    if (!paused && (await this.#interrupted(ws, run.id, job.action_id))) return "done";
    const agents = this.deps.agents;
    if (!agents?.isServing(ws, job.agent)) return { retry: `agent ${job.agent} is not running` };
    if (paused) {
      await store.appendEvent(ws, run.id, {
        type: "RESUMED",
        actor: GOVERNANCE_ACTOR,
        data:
          job.kind === "consent"
            ? { action_id: job.action_id, resume_id: job.action_id, kind: "consent" }
            : { action_id: job.action_id, request_id: job.request_id },
      });
      await transitionRun(store, ws, run.id, "RUNNING", { owner: this.deps.bootId ?? "" });
    }
    let answer: { status: number; text: string };
    const headers: Record<string, string> = {
      "Content-Type": "application/json",
      "X-Run-ID": run.id,
      "X-Request-Id": randomUUID(),
      ...(run.userId ? { "X-End-User-Id": run.userId } : {}),
    };
    try {
      answer = await traceResume(run, job.action_id, headers, () =>
        agents.post(ws, job.agent, {
          path: `/resume/${encodeURIComponent(job.action_id)}`,
          headers,
          body: JSON.stringify({ run_id: run.id, user_id: run.userId }),
          timeoutMs: this.#options.resumeTimeoutMs,
          signal: this.#abort.signal,
        }),
      );
    } catch (error) {
      return { retry: `agent ${job.agent} is unreachable (${(error as Error).message})` };
    }
    const text = redactAgentTokens(answer.text);
    await recordAgentOutcome(store, ws, run.id, { status: answer.status, text, agent: job.agent });
    return "done";
  }
}
