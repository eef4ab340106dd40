/**
 * @module governance/run-webhooks
 * Run webhooks: a run invoked with `webhook` (a URL, or `{url, secret}`), or of an agent whose
 * configuration has one (`PUT /agents/{name}/config {"webhook": ...}`), has that URL called
 * whenever the run pauses (`run.paused`: approval or consent) or finishes (`run.completed`,
 * `run.failed`). The wire format is the approval connectors' (`connector-send.ts`): a JSON POST
 * with `X-RunAgents-Event`, `X-RunAgents-Delivery` (the same on every retry) and, when a secret
 * was given, `X-RunAgents-Signature: sha256=<hex HMAC-SHA256 of the body>`.
 *
 * Each attempt is a run event: `WEBHOOK_DELIVERED` or `WEBHOOK_FAILED` with `event`,
 * `delivery_id`, `attempt`, `status_code` (0 when nothing answered) and, on failure, `error` and
 * `will_retry`. Network errors, timeouts, 429 and 5xx are retried with doubling backoff. Each
 * delivery is a durable job in the store (see {@link RunWebhooks}): retries survive a restart,
 * and with several platforms on one database each attempt is made by exactly one.
 *
 * The URL and secret are kept with the run's secrets (`run-webhook:<run id>`, encrypted at rest,
 * never in an event or a response) and dropped once the run has finished and been delivered.
 * Targets follow the tools' rule (`egress/targets.ts`): never the platform's own API, never a
 * link-local or cloud metadata address; other hosts, loopback included, are the caller's choice.
 */
import { randomUUID } from "node:crypto";
import { isPlatformSelf, refusedBaseUrl } from "../egress/targets.js";
import { HttpError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Doc, RunRecord, Store } from "../store/store.js";
import { isObject } from "../validate.js";
import { ClaimedJobs } from "./claimed-jobs.js";
import {
  type ConnectorMessage,
  isHttpUrl,
  type SendTarget,
  SIGNING_SECRET_HEADER,
  sendOnce,
} from "./connector-send.js";
import { GOVERNANCE_ACTOR, PAUSED_STATUSES, TERMINAL_STATUSES } from "./runs.js";

export interface RunWebhook {
  url: string;
  secret: string;
}

export interface RunWebhookOptions {
  /** Tries per delivery. @default 4 */
  attempts?: number;
  /** Wait before the second try; doubles after. @default 1000 */
  backoffMs?: number;
  /** Per attempt. @default 10 */
  timeoutSeconds?: number;
}

export interface RunWebhookDeps {
  store: Store;
  log: Logger;
  baseUrl(): string;
  /** Told of every attempt (metrics). */
  onAttempt?(outcome: "delivered" | "failed"): void;
  /** Holds the delivery claims (the platform's boot id). */
  owner?: string;
}

const secretName = (runId: string): string => `run-webhook:${runId}`;
const agentSecretName = (agent: string): string => `agent-webhook:${agent}`;

/** What an agent's configuration keeps: the URL in its spec, the secret with the secrets. */
interface StoredAgentWebhook {
  url: string;
  signed: boolean;
}

function storedAgentWebhook(spec: unknown): StoredAgentWebhook | undefined {
  const hook = isObject(spec) && isObject(spec.webhook) ? spec.webhook : undefined;
  return hook && typeof hook.url === "string" ? { url: hook.url, signed: hook.signed === true } : undefined;
}

/** The agent's webhook as its configuration shows it: `{url, signed}`, or null. */
export function agentWebhookView(spec: unknown): StoredAgentWebhook | null {
  return storedAgentWebhook(spec) ?? null;
}

/**
 * Sets (or with null clears) an agent's default run webhook; returns the spec value to store.
 * The secret goes to the workspace's secrets, never into the agent document.
 */
export async function saveAgentWebhook(
  store: Store,
  ws: string,
  agent: string,
  webhook: RunWebhook | null,
): Promise<StoredAgentWebhook | undefined> {
  if (webhook?.secret) await store.putSecret(ws, agentSecretName(agent), { secret: webhook.secret });
  else await store.deleteSecret(ws, agentSecretName(agent));
  return webhook ? { url: webhook.url, signed: webhook.secret !== "" } : undefined;
}

/** The agent's default run webhook (its configuration), for a run invoked without one. */
export async function agentWebhook(store: Store, ws: string, agent: string, spec: unknown) {
  const stored = storedAgentWebhook(spec);
  if (!stored) return undefined;
  const secret = stored.signed ? ((await store.getSecret(ws, agentSecretName(agent)))?.secret ?? "") : "";
  return { url: stored.url, secret };
}

/** Forgets a removed agent's webhook secret. */
export const deleteAgentWebhook = (store: Store, ws: string, agent: string): Promise<void> =>
  store.deleteSecret(ws, agentSecretName(agent));

/**
 * The invoke body's `webhook`, checked: undefined when absent; 400 for a value that is not an
 * http(s) URL (or `{url, secret?}`), or that points at the platform itself or a metadata address.
 */
export function parseRunWebhook(value: unknown, platformUrl: string): RunWebhook | undefined {
  if (value === undefined || value === null) return undefined;
  const given = typeof value === "string" ? { url: value } : isObject(value) ? value : undefined;
  if (!given || typeof given.url !== "string")
    throw new HttpError(400, "webhook must be a URL or an object {url, secret?}");
  if (given.secret !== undefined && typeof given.secret !== "string")
    throw new HttpError(400, "webhook.secret must be a string");
  const url = given.url.trim();
  if (!isHttpUrl(url)) throw new HttpError(400, "webhook must be an http(s) URL");
  if (isPlatformSelf(new URL(url), platformUrl))
    throw new HttpError(400, "webhook points at the platform itself");
  const why = refusedBaseUrl(url, platformUrl);
  if (why) throw new HttpError(400, `webhook ${why}`);
  return { url, secret: given.secret ?? "" };
}

/** The reserved workspace of delivery jobs (kind `setting`), one per status change to deliver. */
export const WEBHOOK_QUEUE = "_run-webhooks";
/** A claim outlives one attempt (its timeout, 10 s by default) by far. */
const CLAIM_LEASE_MS = 2 * 60_000;
/** How often jobs other platforms left behind are looked for. */
const POLL_MS = 5_000;

interface WebhookJob extends Doc {
  workspace: string;
  run_id: string;
  agent: string;
  status: string;
  conversation_id: string;
  action_id: string;
  terminal: boolean;
  event: string;
  /** When the status changed (the payload's timestamp, the same on every attempt). */
  timestamp: string;
  delivery_id: string;
  /** Attempts made so far. */
  attempts: number;
}

/**
 * Deliveries are durable jobs: a status change to deliver writes one (named so a run's jobs sort
 * in the order its statuses changed), and a worker claims it (`Store.claimResources`: among
 * several platforms on one database exactly one sends each attempt), sends one attempt, and
 * deletes it or gives it back due after the backoff. A platform that dies leaves its claim to
 * lapse; one that stops gives its jobs back. A run's later job waits while an earlier one is
 * pending.
 */
export class RunWebhooks {
  readonly #jobs: ClaimedJobs<WebhookJob>;
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #timeoutSeconds: number;
  /** Orders the jobs written by this process within one millisecond. */
  #counter = 0;

  constructor(
    private readonly deps: RunWebhookDeps,
    options: RunWebhookOptions = {},
  ) {
    this.#attempts = Math.max(1, options.attempts ?? 4);
    this.#backoffMs = options.backoffMs ?? 1000;
    this.#timeoutSeconds = options.timeoutSeconds ?? 10;
    this.#jobs = new ClaimedJobs<WebhookJob>({
      store: deps.store,
      log: deps.log,
      queue: WEBHOOK_QUEUE,
      owner: deps.owner || `webhooks-${randomUUID()}`,
      leaseMs: CLAIM_LEASE_MS,
      pollMs: POLL_MS,
      failure: "run webhook delivery failed",
      run: (name, job) =>
        this.#attempt(name, job).catch(async (error: unknown) => {
          this.deps.log.error("run webhook delivery failed", { run_id: job.run_id, error: String(error) });
          await this.#jobs.giveBack(name, Date.now() + this.#backoffMs).catch(() => undefined);
        }),
    });
  }

  /** Starts looking for due jobs (this platform's, and those other platforms left). */
  start(): void {
    this.#jobs.start();
  }

  /** Stops claiming and waits for the attempts under way (unfinished jobs stay queued). */
  stop(): Promise<void> {
    return this.#jobs.stop();
  }

  /** Claims and sends the due deliveries. */
  kick(): void {
    this.#jobs.kick();
  }

  /** Resolves when the deliveries queued or under way now have ended (or wait for a retry). */
  idle(): Promise<void> {
    return this.#jobs.idle();
  }

  /** Keeps `webhook` for the run (before it can change status). */
  async register(ws: string, runId: string, webhook: RunWebhook): Promise<void> {
    await this.deps.store.putSecret(ws, secretName(runId), { url: webhook.url, secret: webhook.secret });
  }

  /** A run's status changed: queue a delivery when it paused or finished and has a webhook. */
  statusChanged(run: RunRecord): void {
    const terminal = TERMINAL_STATUSES.includes(run.status);
    if (this.#jobs.stopped || (!terminal && !PAUSED_STATUSES.includes(run.status))) return;
    const at = new Date();
    const name = `${run.workspace}/${run.id}/${String(at.getTime()).padStart(15, "0")}-${String(this.#counter++).padStart(9, "0")}`;
    const job: WebhookJob = {
      workspace: run.workspace,
      run_id: run.id,
      agent: run.agentId,
      status: run.status,
      conversation_id: run.conversationId,
      action_id: run.blockedActionId,
      terminal,
      event: terminal ? `run.${run.status.toLowerCase()}` : "run.paused",
      timestamp: at.toISOString(),
      delivery_id: randomUUID(),
      attempts: 0,
    };
    this.#jobs.track(
      (async () => {
        const stored = await this.deps.store.getSecret(run.workspace, secretName(run.id));
        if (!stored?.url) return; // no webhook: nothing to deliver
        await this.#jobs.enqueue(name, job);
      })().catch((error: unknown) =>
        this.deps.log.error("run webhook delivery failed", { run_id: run.id, error: String(error) }),
      ),
    );
  }

  /** One attempt of a claimed job. */
  async #attempt(name: string, job: WebhookJob): Promise<void> {
    const { store } = this.deps;
    const prefix = `${job.workspace}/${job.run_id}/`;
    const earlier = (await store.listResources(WEBHOOK_QUEUE, "setting")).some(
      (other) => other.name.startsWith(prefix) && other.name < name,
    );
    if (earlier) return this.#jobs.giveBack(name, Date.now() + 20); // the run's earlier status goes first
    const stored = await store.getSecret(job.workspace, secretName(job.run_id));
    if (!stored?.url) {
      await store.deleteResource(WEBHOOK_QUEUE, "setting", name);
      return;
    }
    const message: ConnectorMessage = {
      event: job.event,
      payload: {
        event: job.event,
        timestamp: job.timestamp,
        workspace: job.workspace,
        run_id: job.run_id,
        agent: job.agent,
        status: job.status,
        conversation_id: job.conversation_id,
        ...(job.action_id ? { action_id: job.action_id } : {}),
        run_url: `${this.deps.baseUrl()}${apiPrefix(job.workspace)}/runs/${encodeURIComponent(job.run_id)}`,
      },
      summary: job.event,
      details: [],
    };
    const target: SendTarget = {
      type: "webhook",
      endpoint: stored.url,
      headers: stored.secret ? { [SIGNING_SECRET_HEADER]: stored.secret } : {},
      timeout_seconds: this.#timeoutSeconds,
    };
    const result = await sendOnce(target, message, job.delivery_id);
    if (result.kind !== "skipped") {
      const attempt = job.attempts + 1;
      const willRetry = !result.ok && result.retryable && attempt < this.#attempts;
      this.deps.onAttempt?.(result.ok ? "delivered" : "failed");
      await store.appendEvent(job.workspace, job.run_id, {
        type: result.ok ? "WEBHOOK_DELIVERED" : "WEBHOOK_FAILED",
        actor: GOVERNANCE_ACTOR,
        data: {
          event: job.event,
          delivery_id: job.delivery_id,
          attempt,
          status_code: result.status,
          duration_ms: result.durationMs,
          ...(result.ok ? {} : { error: result.message, will_retry: willRetry }),
        },
      });
      if (willRetry) {
        await store.putResource(WEBHOOK_QUEUE, "setting", name, { ...job, attempts: attempt });
        return this.#jobs.giveBack(name, Date.now() + this.#backoffMs * 2 ** (attempt - 1));
      }
    }
    await store.deleteResource(WEBHOOK_QUEUE, "setting", name);
    if (job.terminal) await store.deleteSecret(job.workspace, secretName(job.run_id));
  }
}

const apiPrefix = (ws: string): string =>
  ws === "default" ? "/api/v1" : `/api/v1/workspaces/${encodeURIComponent(ws)}`;
