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
 * `will_retry`. Network errors, timeouts, 429 and 5xx are retried with doubling backoff.
 *
 * The URL and secret are kept with the run's secrets (`run-webhook:<run id>`, encrypted at rest,
 * never in an event or a response) and dropped once the run has finished and been delivered.
 * Targets follow the tools' rule (`egress/targets.ts`): never the platform's own API, never a
 * link-local or cloud metadata address; other hosts, loopback included, are the caller's choice.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { isPlatformSelf, refusedBaseUrl } from "../egress/targets.js";
import { HttpError } from "../errors.js";
import type { Logger } from "../log.js";
import type { RunRecord, Store } from "../store/store.js";
import { isObject } from "../validate.js";
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

export class RunWebhooks {
  readonly #inFlight = new Set<Promise<void>>();
  /** Deliveries of one run go out in the order its statuses changed. */
  readonly #queues = new Map<string, Promise<void>>();
  readonly #attempts: number;
  readonly #backoffMs: number;
  readonly #timeoutSeconds: number;
  #stopped = false;
  /** Cuts a retry's backoff short when the platform stops. */
  readonly #stopping = new AbortController();

  constructor(
    private readonly deps: RunWebhookDeps,
    options: RunWebhookOptions = {},
  ) {
    this.#attempts = Math.max(1, options.attempts ?? 4);
    this.#backoffMs = options.backoffMs ?? 1000;
    this.#timeoutSeconds = options.timeoutSeconds ?? 10;
  }

  /** Keeps `webhook` for the run (before it can change status). */
  async register(ws: string, runId: string, webhook: RunWebhook): Promise<void> {
    await this.deps.store.putSecret(ws, secretName(runId), { url: webhook.url, secret: webhook.secret });
  }

  /** A run's status changed: deliver when it paused or finished and has a webhook. */
  statusChanged(run: RunRecord): void {
    const terminal = TERMINAL_STATUSES.includes(run.status);
    if (this.#stopped || (!terminal && !PAUSED_STATUSES.includes(run.status))) return;
    const key = `${run.workspace}/${run.id}`;
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const job = previous
      .then(() => this.#deliver(run, terminal))
      .catch((error: unknown) =>
        this.deps.log.error("run webhook delivery failed", { run_id: run.id, error: String(error) }),
      );
    this.#queues.set(key, job);
    this.#inFlight.add(job);
    void job.finally(() => {
      this.#inFlight.delete(job);
      if (this.#queues.get(key) === job) this.#queues.delete(key);
    });
  }

  /** Resolves when the deliveries under way now have ended. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Stops taking new deliveries and waits for those under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#stopping.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  async #deliver(run: RunRecord, terminal: boolean): Promise<void> {
    const { store } = this.deps;
    const stored = await store.getSecret(run.workspace, secretName(run.id));
    if (!stored?.url) return;
    const event = terminal ? `run.${run.status.toLowerCase()}` : "run.paused";
    const message: ConnectorMessage = {
      event,
      payload: {
        event,
        timestamp: new Date().toISOString(),
        workspace: run.workspace,
        run_id: run.id,
        agent: run.agentId,
        status: run.status,
        conversation_id: run.conversationId,
        ...(run.blockedActionId ? { action_id: run.blockedActionId } : {}),
        run_url: `${this.deps.baseUrl()}${apiPrefix(run.workspace)}/runs/${encodeURIComponent(run.id)}`,
      },
      summary: event,
      details: [],
    };
    const target: SendTarget = {
      type: "webhook",
      endpoint: stored.url,
      headers: stored.secret ? { [SIGNING_SECRET_HEADER]: stored.secret } : {},
      timeout_seconds: this.#timeoutSeconds,
    };
    const deliveryId = randomUUID();
    let wait = this.#backoffMs;
    for (let attempt = 1; ; attempt++) {
      const result = await sendOnce(target, message, deliveryId);
      if (result.kind === "skipped") return;
      const willRetry = !result.ok && result.retryable && attempt < this.#attempts && !this.#stopped;
      this.deps.onAttempt?.(result.ok ? "delivered" : "failed");
      await store.appendEvent(run.workspace, run.id, {
        type: result.ok ? "WEBHOOK_DELIVERED" : "WEBHOOK_FAILED",
        actor: GOVERNANCE_ACTOR,
        data: {
          event,
          delivery_id: deliveryId,
          attempt,
          status_code: result.status,
          duration_ms: result.durationMs,
          ...(result.ok ? {} : { error: result.message, will_retry: willRetry }),
        },
      });
      if (!willRetry) break;
      await sleep(wait, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
      if (this.#stopped) return;
      wait *= 2;
    }
    if (terminal) await store.deleteSecret(run.workspace, secretName(run.id));
  }
}

const apiPrefix = (ws: string): string =>
  ws === "default" ? "/api/v1" : `/api/v1/workspaces/${encodeURIComponent(ws)}`;
