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
import {
  type AgentLlmConfig,
  monthPeriod,
  type Period,
  type UsageDoc,
  usageKey,
  usageRows,
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
  const rows = usageRows(agent, configs, await modelUsage(store, ws, call, period), period);
  const row = rows.find((r) => r.model === model && r.status === "Budget reached");
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

/** This month's usage records of one agent and model, across the given model providers. */
async function modelUsage(
  store: Store,
  ws: string,
  call: { agent: string; model: string; providers: readonly string[] },
  period: Period,
): Promise<UsageDoc[]> {
  const names = [...new Set(["", ...call.providers])];
  const records = await Promise.all(
    names.map((p) =>
      store.getResource<UsageDoc>(ws, "model_usage", usageKey(call.agent, p, call.model, period.key)),
    ),
  );
  return records.flatMap((r) => (r ? [r.doc] : []));
}
