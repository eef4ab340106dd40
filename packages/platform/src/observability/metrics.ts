/**
 * @module observability/metrics
 * The platform's Prometheus metrics (`GET /metrics`), one registry per platform so several
 * platforms in one process (tests) never share counters. Labels are bounded: a route is its
 * registered pattern (`/api/v1/agents/:name/invoke`), never a URL; no user ids, no run ids.
 *
 * Most figures come from the run events the platform already writes (`observeEvent`, called by
 * the observed store): governed calls from `TOOL_REQUEST.decision`, LLM tokens and spend from
 * `LLM_CALL`, time-to-decision from `APPROVAL_REQUIRED` → `APPROVED` / `REJECTED`. Gauges that
 * describe the store (active runs, approvals pending, its size) are read when scraped.
 */
import { statSync } from "node:fs";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { ACTIVE_STATUSES } from "../governance/runs.js";
import type { RunEventRecord, Store } from "../store/store.js";

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const DECISION_BUCKETS = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];
/** Approvals being waited on, remembered to time their decision (oldest forgotten first). */
const MAX_PENDING_TIMERS = 10_000;

export interface MetricsSources {
  store: Store;
  /** Files whose summed size is the store's size (the SQLite database and its WAL); none for others. */
  storeFiles: string[];
}

export class PlatformMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<"route" | "method" | "status_class">;
  readonly #requestSeconds: Histogram<"route" | "method">;
  readonly #governedCalls: Counter<"decision">;
  readonly #approvalDecisionSeconds: Histogram<"decision">;
  readonly #runTransitions: Counter<"status">;
  readonly #llmTokens: Counter<"agent" | "model" | "kind">;
  readonly #llmSpend: Counter<"agent" | "model">;
  readonly #llmCalls: Counter<"agent" | "model">;
  readonly #agentRestarts: Counter;
  readonly #eventAppendSeconds: Histogram;
  readonly #webhookDeliveries: Counter<"outcome">;
  readonly #approvalAsked = new Map<string, number>();

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: "runagents_http_requests_total",
      help: "HTTP requests by route pattern, method and status class",
      labelNames: ["route", "method", "status_class"],
      registers,
    });
    this.#requestSeconds = new Histogram({
      name: "runagents_http_request_duration_seconds",
      help: "HTTP request latency by route pattern and method",
      labelNames: ["route", "method"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#governedCalls = new Counter({
      name: "runagents_governed_calls_total",
      help: "Tool calls through the egress by policy decision (allow, deny, approval_required, refused)",
      labelNames: ["decision"],
      registers,
    });
    this.#approvalDecisionSeconds = new Histogram({
      name: "runagents_approval_decision_seconds",
      help: "Time from an approval request to its decision, by decision",
      labelNames: ["decision"],
      buckets: DECISION_BUCKETS,
      registers,
    });
    this.#runTransitions = new Counter({
      name: "runagents_run_transitions_total",
      help: "Runs entering a status (RUNNING when created)",
      labelNames: ["status"],
      registers,
    });
    this.#llmCalls = new Counter({
      name: "runagents_llm_calls_total",
      help: "LLM calls through the gateway by agent and model",
      labelNames: ["agent", "model"],
      registers,
    });
    this.#llmTokens = new Counter({
      name: "runagents_llm_tokens_total",
      help: "LLM tokens through the gateway by agent, model and kind (input, output)",
      labelNames: ["agent", "model", "kind"],
      registers,
    });
    this.#llmSpend = new Counter({
      name: "runagents_llm_spend_usd_total",
      help: "LLM spend in US dollars through the gateway by agent and model",
      labelNames: ["agent", "model"],
      registers,
    });
    this.#agentRestarts = new Counter({
      name: "runagents_agent_restarts_total",
      help: "Agent processes restarted after they exited on their own",
      registers,
    });
    this.#eventAppendSeconds = new Histogram({
      name: "runagents_event_append_duration_seconds",
      help: "Latency of appending one run event to the store",
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registers,
    });
    this.#webhookDeliveries = new Counter({
      name: "runagents_webhook_deliveries_total",
      help: "Run webhook delivery attempts by outcome (delivered, failed)",
      labelNames: ["outcome"],
      registers,
    });
    const { store } = sources;
    new Gauge({
      name: "runagents_runs",
      help: "Runs not yet finished, by status",
      labelNames: ["status"],
      registers,
      async collect() {
        const counts = new Map<string, number>(ACTIVE_STATUSES.map((s) => [s, 0]));
        for (const run of await store.listRunsWithStatus([...ACTIVE_STATUSES]))
          counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
        this.reset();
        for (const [status, count] of counts) this.set({ status }, count);
      },
    });
    new Gauge({
      name: "runagents_approvals_pending",
      help: "Runs paused waiting for an approval decision",
      registers,
      async collect() {
        this.set((await store.listRunsWithStatus(["PAUSED_APPROVAL"])).length);
      },
    });
    new Gauge({
      name: "runagents_store_size_bytes",
      help: "Size of the store's files on disk",
      registers,
      collect() {
        let size = 0;
        for (const file of sources.storeFiles) size += statSync(file, { throwIfNoEntry: false })?.size ?? 0;
        this.set(size);
      },
    });
  }

  /** One finished HTTP request; `route` is the matched pattern or "unmatched". */
  observeRequest(route: string, method: string, status: number, seconds: number): void {
    this.#requests.inc({ route, method, status_class: `${Math.floor(status / 100)}xx` });
    this.#requestSeconds.observe({ route, method }, seconds);
  }

  observeEventAppend(seconds: number): void {
    this.#eventAppendSeconds.observe(seconds);
  }

  observeRunStatus(status: string): void {
    this.#runTransitions.inc({ status });
  }

  observeAgentRestart(): void {
    this.#agentRestarts.inc();
  }

  observeWebhook(outcome: "delivered" | "failed"): void {
    this.#webhookDeliveries.inc({ outcome });
  }

  /** Derives the event-backed figures from one appended run event. */
  observeEvent(ws: string, event: RunEventRecord): void {
    const d = event.data;
    switch (event.type) {
      case "TOOL_REQUEST":
        if (typeof d.decision === "string") this.#governedCalls.inc({ decision: d.decision });
        break;
      case "LLM_CALL": {
        const labels = { agent: event.actor, model: typeof d.model === "string" ? d.model : "" };
        this.#llmCalls.inc(labels);
        if (typeof d.prompt_tokens === "number")
          this.#llmTokens.inc({ ...labels, kind: "input" }, d.prompt_tokens);
        if (typeof d.completion_tokens === "number")
          this.#llmTokens.inc({ ...labels, kind: "output" }, d.completion_tokens);
        if (typeof d.cost_usd === "number") this.#llmSpend.inc(labels, d.cost_usd);
        break;
      }
      case "APPROVAL_REQUIRED": {
        if (this.#approvalAsked.size >= MAX_PENDING_TIMERS) {
          const oldest = this.#approvalAsked.keys().next();
          if (!oldest.done) this.#approvalAsked.delete(oldest.value);
        }
        this.#approvalAsked.set(`${ws}/${event.runId}`, Date.parse(event.timestamp));
        break;
      }
      case "APPROVED":
      case "REJECTED": {
        const key = `${ws}/${event.runId}`;
        const asked = this.#approvalAsked.get(key);
        if (asked === undefined) break;
        this.#approvalAsked.delete(key);
        const seconds = Math.max(0, (Date.parse(event.timestamp) - asked) / 1000);
        this.#approvalDecisionSeconds.observe({ decision: event.type.toLowerCase() }, seconds);
        break;
      }
    }
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ text: string; contentType: string }> {
    return { text: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
