/**
 * @module gateway/spend
 * Model usage and spend per agent × model per calendar month (UTC).
 *
 * Usage is stored as `model_usage` resources named `<agent>|<model_provider>|<model>|<YYYY-MM>`;
 * each carries token counts, a request count and the estimated spend, priced when the call is
 * recorded (so a later price change does not rewrite history). Rows are matched to an agent's
 * `llm_configs` by model (the gateway maps a call to a role through its model name); usage of a
 * model that no config names (or of an agent since deleted) still counts, as an `Uncapped` row.
 * Usage survives the agent's deletion: deleting and redeploying does not reset a budget.
 *
 * Status of a row: `Uncapped` without a budget, `Budget reached` when spend >= budget (a budget
 * of 0 blocks at once), `Near budget` at >= 80 %, otherwise `Active`.
 */
import type { Logger } from "../log.js";
import type { Doc, Store } from "../store/store.js";
import { estimateCostUsd, type ModelPrice, priceFor, roundUsd } from "./pricing.js";

export const NEAR_BUDGET_RATIO = 0.8;
export const TOP_MODELS_LIMIT = 10;

/** One model mapping of an agent, in the wire shape of AgentConfigLLM. */
export interface AgentLlmConfig {
  role: string;
  model_provider: string;
  provider: string;
  model: string;
  monthly_budget_usd: number | null;
}

export type UsageStatus = "Active" | "Near budget" | "Budget reached" | "Uncapped";

/** AgentModelUsage (api-contract §3.2). */
export interface AgentModelUsage {
  label: string;
  role: string;
  model_provider: string;
  provider: string;
  model: string;
  monthly_budget_usd: number | null;
  estimated_spend_usd: number;
  remaining_budget_usd: number | null;
  period_start: string;
  period_end: string;
  status: UsageStatus;
}

/** ModelSpendItem: a usage row plus the agent it belongs to. */
export interface ModelSpendItem extends AgentModelUsage {
  agent_name: string;
  agent_namespace: string;
}

export interface ModelSpendResponse {
  summary: {
    total_estimated_spend_usd: number;
    total_budget_usd: number;
    remaining_budget_usd: number;
    budgeted_model_count: number;
    near_budget_count: number;
    blocked_count: number;
    uncapped_spend_usd: number;
    period_start: string;
    period_end: string;
  };
  warnings: ModelSpendItem[];
  top_models: ModelSpendItem[];
}

/** The stored `model_usage` document. */
export interface UsageDoc extends Doc {
  agent_name: string;
  model_provider: string;
  provider: string;
  model: string;
  /** YYYY-MM (UTC). */
  period: string;
  input_tokens: number;
  output_tokens: number;
  requests: number;
  estimated_spend_usd: number;
  last_used_at: string;
}

export interface UsageInput {
  agent: string;
  model: string;
  /** Registered ModelProvider name that served the call. */
  modelProvider?: string;
  /** Provider type (openai, anthropic, ...). */
  provider?: string;
  inputTokens: number;
  outputTokens: number;
  /** Known cost; otherwise estimated from `pricing` / the built-in table. */
  costUsd?: number;
  /** The provider's `spec.pricing` overrides. */
  pricing?: Readonly<Record<string, ModelPrice>>;
  at?: Date;
}

export interface Period {
  key: string;
  start: string;
  end: string;
}

/** The calendar month (UTC) containing `at`; `end` is its last millisecond. */
export function monthPeriod(at: Date = new Date()): Period {
  return { ...currentPeriod(at) };
}

/** {@link monthPeriod}, shared (not to be changed by the caller). */
function currentPeriod(at: Date): Period {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  const index = year * 12 + month;
  if (lastPeriod?.index !== index) {
    const start = new Date(Date.UTC(year, month, 1));
    const next = new Date(Date.UTC(year, month + 1, 1));
    lastPeriod = {
      index,
      period: {
        key: start.toISOString().slice(0, 7),
        start: start.toISOString(),
        end: new Date(next.getTime() - 1).toISOString(),
      },
    };
  }
  return lastPeriod.period;
}

/** The last month computed (every model call asks for the current one). */
let lastPeriod: { index: number; period: Period } | undefined;

export const usageKey = (agent: string, modelProvider: string, model: string, period: string): string =>
  `${agent}|${modelProvider}|${model}|${period}`;

/**
 * Adds one call's tokens and cost to the month's usage record (safe under concurrent writers).
 * Recordings of the same record made in the same turn of the event loop are merged into one
 * write; each caller resolves once that write is stored, with the record as written.
 */
export function recordModelUsage(store: Store, ws: string, input: UsageInput): Promise<UsageDoc> {
  const pending = addUsage(store, ws, input);
  pending.waiters ??= [];
  const waiters = pending.waiters;
  return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
}

/**
 * {@link recordModelUsage} for the gateway, whose answer does not wait for the write: the write
 * is made at the end of this turn of the event loop, merged with the turn's other recordings.
 * Until it is stored, the amounts count in budget checks ({@link unwrittenUsage}) and
 * {@link listUsage} stores them before it reads. A failed write is logged to `log`.
 */
export function addModelUsage(store: Store, ws: string, input: UsageInput, log?: Logger): void {
  const pending = addUsage(store, ws, input);
  if (log) pending.log = log;
}

/** The last clock reading of {@link addUsage}: calls in the same millisecond share its strings. */
let lastClock = { ms: Number.NaN, iso: "", period: "" };

function clockAt(at: Date | undefined): { iso: string; period: string } {
  if (at) return { iso: at.toISOString(), period: currentPeriod(at).key };
  const ms = Date.now();
  if (ms !== lastClock.ms) {
    const now = new Date(ms);
    lastClock = { ms, iso: now.toISOString(), period: currentPeriod(now).key };
  }
  return lastClock;
}

function addUsage(store: Store, ws: string, input: UsageInput): PendingUsage {
  const { iso, period } = clockAt(input.at);
  const inputTokens = Math.max(0, Math.round(input.inputTokens));
  const outputTokens = Math.max(0, Math.round(input.outputTokens));
  const cost =
    input.costUsd ??
    estimateCostUsd(
      priceFor(input.model, { pricing: input.pricing, providerType: input.provider }),
      inputTokens,
      outputTokens,
    );
  const name = usageKey(input.agent, input.modelProvider ?? "", input.model, period);
  const state = usageState(store);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushUsage);
  }
  const key = `${ws}\0${name}`;
  let pending = state.pending.get(key);
  if (!pending) {
    pending = {
      key,
      ws,
      name,
      agent: input.agent,
      modelProvider: input.modelProvider ?? "",
      model: input.model,
      period,
      inputTokens: 0,
      outputTokens: 0,
      requests: 0,
      cost: 0,
      lastUsedAt: "",
    };
    if (state.pending.size === 0) dirty.push(state);
    state.pending.set(key, pending);
  }
  pending.inputTokens += inputTokens;
  pending.outputTokens += outputTokens;
  pending.requests += 1;
  pending.cost += Math.max(0, cost);
  if (iso > pending.lastUsedAt) pending.lastUsedAt = iso;
  if (input.provider !== undefined) pending.provider = input.provider;
  return pending;
}

interface PendingUsage {
  /** `<ws>\0<name>` */
  key: string;
  ws: string;
  name: string;
  agent: string;
  modelProvider: string;
  model: string;
  period: string;
  provider?: string;
  inputTokens: number;
  outputTokens: number;
  requests: number;
  cost: number;
  lastUsedAt: string;
  waiters?: { resolve: (doc: UsageDoc) => void; reject: (error: unknown) => void }[];
  log?: Logger;
}

/** One store's recordings not yet stored: queued for the next write, or being written. */
interface UsageState {
  store: Store;
  pending: Map<string, PendingUsage>;
  writing: Set<PendingUsage>;
  /** Settles when every write started so far has. */
  written: Promise<unknown>;
}

const states = new WeakMap<Store, UsageState>();
/** States with queued recordings, for the next flush. */
let dirty: UsageState[] = [];
let flushScheduled = false;

function usageState(store: Store): UsageState {
  let state = states.get(store);
  if (!state) {
    state = { store, pending: new Map(), writing: new Set(), written: Promise.resolve() };
    states.set(store, state);
  }
  return state;
}

function flushUsage(): void {
  const batch = dirty;
  dirty = [];
  flushScheduled = false;
  for (const state of batch) flushState(state);
}

function flushState(state: UsageState): void {
  const queued = state.pending;
  if (queued.size === 0) return;
  state.pending = new Map();
  const writes: Promise<unknown>[] = [state.written];
  for (const pending of queued.values()) {
    state.writing.add(pending);
    const write = writeUsage(state.store, pending).then(
      (doc) => {
        state.writing.delete(pending);
        for (const waiter of pending.waiters ?? []) waiter.resolve(doc);
      },
      (error: unknown) => {
        state.writing.delete(pending);
        for (const waiter of pending.waiters ?? []) waiter.reject(error);
        pending.log?.error("model usage not recorded", {
          workspace: pending.ws,
          usage: pending.name,
          error: error instanceof Error ? error.message : String(error),
        });
      },
    );
    writes.push(write);
  }
  state.written = Promise.all(writes).then(noop);
}

const noop = (): void => {};

/** Stores what was recorded in `store` and is not stored yet. */
export async function settleUsage(store: Store): Promise<void> {
  const state = states.get(store);
  if (!state) return;
  flushState(state);
  await state.written;
}

/**
 * Recorded but not yet stored amounts of one usage record (`ws`, `name`), as a partial document
 * to add to the stored one; undefined when everything is stored.
 */
export function unwrittenUsage(
  store: Store,
  ws: string,
  name: string,
): Pick<UsageDoc, "input_tokens" | "output_tokens" | "requests" | "estimated_spend_usd"> | undefined {
  const state = states.get(store);
  if (!state) return undefined;
  const key = `${ws}\0${name}`;
  const queued = state.pending.get(key);
  let found:
    | Pick<UsageDoc, "input_tokens" | "output_tokens" | "requests" | "estimated_spend_usd">
    | undefined;
  for (const pending of state.writing.size > 0 ? [...state.writing, queued] : [queued]) {
    if (!pending || pending.key !== key) continue;
    found ??= { input_tokens: 0, output_tokens: 0, requests: 0, estimated_spend_usd: 0 };
    found.input_tokens += pending.inputTokens;
    found.output_tokens += pending.outputTokens;
    found.requests += pending.requests;
    found.estimated_spend_usd += pending.cost;
  }
  return found;
}

/**
 * Adds the amounts to the stored record in one atomic write (`Store.incrementResource`): every
 * platform process on the database adds to the same record, so a budget is shared by them all.
 */
async function writeUsage(store: Store, pending: PendingUsage): Promise<UsageDoc> {
  const set: Partial<UsageDoc> = {
    agent_name: pending.agent,
    model_provider: pending.modelProvider,
    model: pending.model,
    period: pending.period,
    last_used_at: pending.lastUsedAt,
    ...(pending.provider !== undefined ? { provider: pending.provider } : {}),
  };
  const record = await store.incrementResource<UsageDoc>(pending.ws, "model_usage", pending.name, set, {
    input_tokens: pending.inputTokens,
    output_tokens: pending.outputTokens,
    requests: pending.requests,
    estimated_spend_usd: pending.cost,
  });
  return usageDoc(record.doc);
}

/** A stored record as read: spend rounded to the micro-dollar (sums of floats drift). */
const usageDoc = (doc: UsageDoc): UsageDoc => ({
  ...doc,
  provider: doc.provider ?? "",
  estimated_spend_usd: roundUsd(doc.estimated_spend_usd),
});

/** Usage records of one month (optionally of one agent). */
export async function listUsage(
  store: Store,
  ws: string,
  period: Period,
  agent?: string,
): Promise<UsageDoc[]> {
  await settleUsage(store);
  const records = await store.listResources<UsageDoc>(ws, "model_usage");
  return records
    .map((r) => usageDoc(r.doc))
    .filter((d) => d.period === period.key && (agent === undefined || d.agent_name === agent));
}

/** The usage rows of one agent: one per config, plus one per unconfigured model it used. */
export function usageRows(
  agent: string,
  configs: readonly AgentLlmConfig[],
  usage: readonly UsageDoc[],
  period: Period,
): AgentModelUsage[] {
  const mine = usage.filter((u) => u.agent_name === agent);
  const spendByModel = new Map<string, { spend: number; provider: string; modelProvider: string }>();
  for (const u of mine) {
    const entry = spendByModel.get(u.model) ?? {
      spend: 0,
      provider: u.provider,
      modelProvider: u.model_provider,
    };
    entry.spend += u.estimated_spend_usd;
    spendByModel.set(u.model, entry);
  }
  const rows: AgentModelUsage[] = [];
  const counted = new Set<string>();
  for (const cfg of configs) {
    const spend = counted.has(cfg.model) ? 0 : (spendByModel.get(cfg.model)?.spend ?? 0);
    counted.add(cfg.model);
    rows.push(makeRow(cfg, spend, period));
  }
  for (const [model, entry] of spendByModel) {
    if (counted.has(model)) continue;
    const cfg = { role: "", model_provider: entry.modelProvider, provider: entry.provider, model };
    rows.push(makeRow({ ...cfg, monthly_budget_usd: null }, entry.spend, period));
  }
  return rows;
}

/** The status of a (rounded) spend against a mapping's monthly budget (`null`: none). */
export function budgetStatus(budget: number | null, spend: number): UsageStatus {
  if (budget === null) return "Uncapped";
  if (spend >= budget) return "Budget reached";
  return spend >= budget * NEAR_BUDGET_RATIO ? "Near budget" : "Active";
}

function makeRow(cfg: AgentLlmConfig, rawSpend: number, period: Period): AgentModelUsage {
  const spend = roundUsd(rawSpend);
  const budget = cfg.monthly_budget_usd;
  const status = budgetStatus(budget, spend);
  return {
    label: `${cfg.role || "unconfigured"}: ${cfg.provider ? `${cfg.provider}/` : ""}${cfg.model}`,
    role: cfg.role,
    model_provider: cfg.model_provider,
    provider: cfg.provider,
    model: cfg.model,
    monthly_budget_usd: budget,
    estimated_spend_usd: spend,
    remaining_budget_usd: budget === null ? null : roundUsd(Math.max(0, budget - spend)),
    period_start: period.start,
    period_end: period.end,
    status,
  };
}

/** GET /model-spend: every agent's rows this month, plus usage of agents no longer deployed. */
export function summarizeSpend(
  namespace: string,
  agents: readonly { name: string; configs: readonly AgentLlmConfig[] }[],
  usage: readonly UsageDoc[],
  period: Period,
): ModelSpendResponse {
  const items: ModelSpendItem[] = [];
  const known = new Set(agents.map((a) => a.name));
  const orphans = [...new Set(usage.map((u) => u.agent_name).filter((n) => !known.has(n)))];
  for (const agent of [...agents, ...orphans.map((name) => ({ name, configs: [] }))]) {
    for (const row of usageRows(agent.name, agent.configs, usage, period)) {
      items.push({ ...row, agent_name: agent.name, agent_namespace: namespace });
    }
  }
  const budgeted = items.filter((i) => i.monthly_budget_usd !== null);
  const sum = (list: ModelSpendItem[], f: (i: ModelSpendItem) => number) =>
    roundUsd(list.reduce((total, i) => total + f(i), 0));
  const ratio = (i: ModelSpendItem) =>
    i.monthly_budget_usd ? i.estimated_spend_usd / i.monthly_budget_usd : Number.POSITIVE_INFINITY;
  return {
    summary: {
      total_estimated_spend_usd: sum(items, (i) => i.estimated_spend_usd),
      total_budget_usd: sum(budgeted, (i) => i.monthly_budget_usd ?? 0),
      remaining_budget_usd: sum(budgeted, (i) => i.remaining_budget_usd ?? 0),
      budgeted_model_count: budgeted.length,
      near_budget_count: items.filter((i) => i.status === "Near budget").length,
      blocked_count: items.filter((i) => i.status === "Budget reached").length,
      uncapped_spend_usd: sum(
        items.filter((i) => i.status === "Uncapped"),
        (i) => i.estimated_spend_usd,
      ),
      period_start: period.start,
      period_end: period.end,
    },
    warnings: items
      .filter((i) => i.status === "Near budget" || i.status === "Budget reached")
      .sort((a, b) => ratio(b) - ratio(a)),
    top_models: items
      .filter((i) => i.estimated_spend_usd > 0)
      .sort((a, b) => b.estimated_spend_usd - a.estimated_spend_usd)
      .slice(0, TOP_MODELS_LIMIT),
  };
}

/** A registered provider as routing sees it. */
export interface ProviderRef {
  name: string;
  provider: string;
  models: readonly string[];
}

/**
 * The registered provider serving `cfg`: its explicit `model_provider`, else one whose `models`
 * include the model, preferring a name or type equal to `cfg.provider`; "" when none does.
 */
export function resolveModelProvider(providers: readonly ProviderRef[], cfg: AgentLlmConfig): string {
  if (cfg.model_provider) return cfg.model_provider;
  const serving = providers.filter((p) => p.models.includes(cfg.model));
  const preferred =
    serving.find((p) => p.name === cfg.provider) ?? serving.find((p) => p.provider === cfg.provider);
  return (preferred ?? serving[0])?.name ?? "";
}
