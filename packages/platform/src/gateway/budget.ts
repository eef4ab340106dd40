/**
 * @module gateway/budget
 * Monthly budgets: an agent whose usage row for a model is `Budget reached` (the same rows
 * `GET /model-spend` shows) is refused with 429 `MODEL_BUDGET_EXCEEDED` and a `Retry-After`
 * that points at the start of the next month (UTC). Calls running in parallel may overshoot a
 * budget by what they cost: the check happens before a call, the spend is known after it.
 * Only this month's usage records of the agent and model are read (one per registered
 * provider, plus unattributed), never the whole usage history.
 */
import { HttpError } from "../errors.js";
import type { Store } from "../store/store.js";
import { roundUsd } from "./pricing.js";
import {
  type AgentLlmConfig,
  budgetStatus,
  monthPeriod,
  type Period,
  type UsageDoc,
  unwrittenUsage,
  usageKey,
} from "./spend.js";

export const BUDGET_EXCEEDED = "MODEL_BUDGET_EXCEEDED";

export async function checkBudget(
  store: Store,
  ws: string,
  call: { agent: string; model: string; configs: readonly AgentLlmConfig[]; providers: readonly string[] },
  at: Date = new Date(),
): Promise<void> {
  const { agent, model, configs } = call;
  if (!configs.some((c) => c.model === model && c.monthly_budget_usd !== null)) return;
  const period = monthPeriod(at);
  // The agent's usage rows for the model, as `usageRows` makes them (GET /model-spend shows the
  // same): the first mapping of the model carries its spend, a later one of the same model none.
  let total = 0;
  for (const u of await modelUsage(store, ws, call, period)) {
    if (u.agent_name === agent && u.model === model) total += u.estimated_spend_usd;
  }
  let spend = roundUsd(total);
  let row: { monthly_budget_usd: number; estimated_spend_usd: number } | undefined;
  for (const c of configs) {
    if (c.model !== model) continue;
    if (c.monthly_budget_usd !== null && budgetStatus(c.monthly_budget_usd, spend) === "Budget reached") {
      row = { monthly_budget_usd: c.monthly_budget_usd, estimated_spend_usd: spend };
      break;
    }
    spend = 0;
  }
  if (!row) return;
  const retryAfter = Math.max(1, Math.ceil((Date.parse(period.end) + 1 - at.getTime()) / 1000));
  throw new HttpError(
    429,
    `monthly model budget reached: agent "${agent}" has spent an estimated $${row.estimated_spend_usd} ` +
      `of its $${row.monthly_budget_usd} budget for model "${model}" this month`,
    {
      code: BUDGET_EXCEEDED,
      headers: { "Retry-After": String(retryAfter) },
      details: {
        agent,
        model,
        monthly_budget_usd: row.monthly_budget_usd,
        estimated_spend_usd: row.estimated_spend_usd,
        period_end: period.end,
      },
    },
  );
}

/** `""` (unattributed) and every provider name, once each; derived once per list of names. */
const usageProviders = new WeakMap<readonly string[], string[]>();

/** This month's usage records of one agent and model, across the given model providers. */
async function modelUsage(
  store: Store,
  ws: string,
  call: { agent: string; model: string; providers: readonly string[] },
  period: Period,
): Promise<UsageDoc[]> {
  let names = usageProviders.get(call.providers);
  if (!names) {
    names = [...new Set(["", ...call.providers])];
    usageProviders.set(call.providers, names);
  }
  const docs: UsageDoc[] = [];
  for (const p of names) {
    const name = usageKey(call.agent, p, call.model, period.key);
    const stored = (await store.readResource<UsageDoc>(ws, "model_usage", name))?.doc;
    // Calls answered but not stored yet count too: a budget reached refuses the next call.
    const unwritten = unwrittenUsage(store, ws, name);
    if (!unwritten) {
      if (stored) docs.push(stored);
      continue;
    }
    docs.push({
      agent_name: call.agent,
      model_provider: p,
      provider: stored?.provider ?? "",
      model: call.model,
      period: period.key,
      input_tokens: (stored?.input_tokens ?? 0) + unwritten.input_tokens,
      output_tokens: (stored?.output_tokens ?? 0) + unwritten.output_tokens,
      requests: (stored?.requests ?? 0) + unwritten.requests,
      estimated_spend_usd: roundUsd((stored?.estimated_spend_usd ?? 0) + unwritten.estimated_spend_usd),
      last_used_at: stored?.last_used_at ?? "",
    });
  }
  return docs;
}
