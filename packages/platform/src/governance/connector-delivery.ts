/**
 * @module governance/connector-delivery
 * Delivers each new access request to the workspace's approval connectors (platform-and-cli A7
 * "Approval connectors") and records every outcome in the activity log.
 *
 * Who gets it: the `delivery` of the approval rule the call falls under (`connectors` by id or
 * name, in that order, and `mode`), else every enabled connector, oldest first, with the
 * workspace's `default_delivery_mode`.
 * `first_success` tries them in order and stops at the first 2xx; `all` sends to each. Each
 * connector gets up to `attempts` tries (network errors, timeouts, 429 and 5xx are retried, with
 * doubling backoff), each bounded by its `timeout_seconds`. When none succeeds the request simply
 * waits in the approvals queue (the UI fallback). Delivery runs in the background: the blocked
 * call's 403 does not wait for it.
 *
 * Deliveries are durable: a new request first writes a job (a `setting` named `<ws>/<request id>`
 * in the reserved workspace `_connector-deliveries`), which a worker claims (`Store.claimResources`:
 * among several platforms on one database exactly one delivers it), delivers and deletes. A
 * platform that dies mid-delivery leaves the claim to lapse, and another platform delivers the
 * request again (at least once; the payload's `request_id` identifies it). A request decided
 * before its job runs is not delivered.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../log.js";
import type { Doc, Store } from "../store/store.js";
import { findRequestRule } from "./approval-routing.js";
import type { AccessRequest, ApprovalEvents, ApprovalRequested } from "./approvals.js";
import { ClaimedJobs } from "./claimed-jobs.js";
import { type ConnectorMessage, type SendResult, sendOnce } from "./connector-send.js";
import {
  type DeliverableConnector,
  getConnectorDefaults,
  getDeliverableConnector,
  listConnectorRecords,
  recordConnectorActivity,
} from "./connectors.js";

export interface DeliveryDeps {
  store: Store;
  log: Logger;
  approvals: ApprovalEvents;
  baseUrl(): string;
  /** Holds the delivery claims (the platform's boot id). */
  bootId?: string;
}

/** The reserved workspace of delivery jobs (kind `setting`). */
export const DELIVERY_QUEUE = "_connector-deliveries";
/** A claim outlives the slowest delivery (3 tries of up to 60 s each, with backoff). */
const CLAIM_LEASE_MS = 5 * 60_000;
/** How often jobs other platforms left behind are looked for. */
const POLL_MS = 5_000;

interface DeliveryJob extends Doc {
  workspace: string;
  request_id: string;
}

export interface DeliveryOptions {
  /** Tries per connector. @default 3 */
  attempts?: number;
  /** Wait before the second try; doubles after. @default 500 */
  backoffMs?: number;
}

export class ConnectorDelivery {
  readonly #jobs: ClaimedJobs<DeliveryJob>;
  #unsubscribe: (() => void) | undefined;
  readonly #attempts: number;
  readonly #backoffMs: number;

  constructor(
    private readonly deps: DeliveryDeps,
    options: DeliveryOptions = {},
  ) {
    this.#attempts = Math.max(1, options.attempts ?? 3);
    this.#backoffMs = options.backoffMs ?? 500;
    this.#jobs = new ClaimedJobs<DeliveryJob>({
      store: deps.store,
      log: deps.log,
      queue: DELIVERY_QUEUE,
      owner: deps.bootId || `delivery-${randomUUID()}`,
      leaseMs: CLAIM_LEASE_MS,
      pollMs: POLL_MS,
      failure: "approval delivery failed",
      run: (name, job) => this.#run(name, job),
    });
  }

  start(): void {
    this.#unsubscribe = this.deps.approvals.onRequested((event) => {
      const job: DeliveryJob = { workspace: event.workspace, request_id: event.request.id };
      this.#jobs.track(
        this.#jobs
          .enqueue(`${event.workspace}/${event.request.id}`, job, event.store)
          .catch((error: unknown) =>
            this.deps.log.error("could not queue an approval delivery", {
              request_id: event.request.id,
              error: String(error),
            }),
          ),
      );
    });
    this.#jobs.start();
  }

  /** Stops claiming and waits for deliveries already under way. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.#jobs.stop();
  }

  /** Delivers one job and deletes it; a failure leaves it to be tried again once the claim lapses. */
  async #run(name: string, job: DeliveryJob): Promise<void> {
    const { store } = this.deps;
    const request = await store.getResource<AccessRequest>(job.workspace, "access_request", job.request_id);
    if (request?.doc.status === "PENDING") {
      await this.deliver({ store, workspace: job.workspace, request: request.doc });
    }
    await store.deleteResource(DELIVERY_QUEUE, "setting", name);
  }

  async deliver(event: ApprovalRequested): Promise<void> {
    const { store } = this.deps;
    const ws = event.workspace;
    const request = event.request;
    const { connectors, mode } = await this.#targets(ws, request);
    if (connectors.length === 0) return;
    const message = requestMessage(this.deps.baseUrl(), ws, request);
    const sendTo = async (connector: DeliverableConnector) => {
      const result = await this.#sendWithRetries(connector, message);
      const ok = result.kind === "sent" && result.ok;
      await recordConnectorActivity(store, ws, {
        event: result.kind === "skipped" ? "dispatch_skipped" : ok ? "dispatch_succeeded" : "dispatch_failed",
        connector_id: connector.id,
        connector_name: connector.name,
        request_id: request.id,
        action_id: request.action_id,
        run_id: request.run_id,
        status_code: result.kind === "sent" ? result.status : 0,
        duration_ms: result.kind === "sent" ? result.durationMs : 0,
        message:
          result.kind === "sent" ? `${result.message} (${result.attempts} attempt(s))` : result.message,
      });
      return ok;
    };
    if (mode === "all") {
      await Promise.all(connectors.map(sendTo));
      return;
    }
    for (const connector of connectors) if (await sendTo(connector)) return;
  }

  async #targets(ws: string, request: AccessRequest) {
    const { store } = this.deps;
    const routed = await findRequestRule(store, ws, request);
    const delivery = routed?.rule.delivery;
    if (delivery && delivery.connectors.length > 0) {
      const found = await Promise.all(delivery.connectors.map((c) => getDeliverableConnector(store, ws, c)));
      const connectors = found.filter((c): c is DeliverableConnector => c?.enabled === true);
      return { connectors, mode: delivery.mode };
    }
    const defaults = await getConnectorDefaults(store, ws);
    const enabled = (await listConnectorRecords(store, ws))
      .filter((r) => r.doc.enabled)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const connectors = await Promise.all(enabled.map((r) => getDeliverableConnector(store, ws, r.doc.id)));
    return {
      connectors: connectors.filter((c): c is DeliverableConnector => c !== undefined),
      mode: defaults.default_delivery_mode,
    };
  }

  async #sendWithRetries(
    connector: DeliverableConnector,
    message: ConnectorMessage,
  ): Promise<(SendResult & { kind: "skipped" }) | (SendResult & { kind: "sent"; attempts: number })> {
    const deliveryId = randomUUID();
    let wait = this.#backoffMs;
    for (let attempt = 1; ; attempt++) {
      const result = await sendOnce(connector, message, deliveryId);
      if (result.kind === "skipped") return result;
      if (result.ok || !result.retryable || attempt >= this.#attempts)
        return { ...result, attempts: attempt };
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait *= 2;
    }
  }
}

/** `approval.requested`: the webhook body and the Slack text for a new access request. */
export function requestMessage(baseUrl: string, ws: string, request: AccessRequest): ConnectorMessage {
  const prefix = ws === "default" ? "/api/v1" : `/api/v1/workspaces/${encodeURIComponent(ws)}`;
  const decideUrl = `${baseUrl}${prefix}/approvals/requests/${encodeURIComponent(request.id)}`;
  const call = request.tool_method && request.tool_url ? `${request.tool_method} ${request.tool_url}` : "";
  const who = request.agent_id ? `Agent ${request.agent_id}` : `${request.subject}`;
  return {
    event: "approval.requested",
    payload: {
      event: "approval.requested",
      timestamp: new Date().toISOString(),
      workspace: ws,
      request_id: request.id,
      run_id: request.run_id,
      action_id: request.action_id,
      agent: request.agent_id,
      tool: request.tool_id,
      subject: request.subject,
      method: request.tool_method,
      url: request.tool_url,
      capability: request.capability,
      payload_hash: request.payload_hash,
      duration: request.duration,
      decide_url: decideUrl,
      approve_url: `${decideUrl}/approve`,
      reject_url: `${decideUrl}/reject`,
    },
    summary: `Approval required: ${who} wants to use ${request.tool_id}${call ? ` (${call})` : ""}`,
    details: [
      `Request \`${request.id}\`${request.run_id ? ` in run \`${request.run_id}\`` : ""} for user ${request.subject || "unknown"}`,
      `Approve: \`POST ${decideUrl}/approve\`  Reject: \`POST ${decideUrl}/reject\``,
    ],
  };
}
