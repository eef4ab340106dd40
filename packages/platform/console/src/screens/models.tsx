/** Models: providers with health, spend this month per agent × model (uPlot), budget bars. */
import { useEffect, useRef } from "preact/hooks";
import { get } from "../api.js";
import { onFeed } from "../live.js";
import { href } from "../router.js";
import { Empty, ErrorNote, Page, StatusPill, TableWrap, usd, useLoad } from "../ui/parts.js";
import { type Provider, Providers } from "./model-providers.js";

interface SpendItem {
  agent_name: string;
  model_provider: string;
  model: string;
  estimated_spend_usd: number;
  monthly_budget_usd: number | null;
  status: string;
}

interface Spend {
  summary: { total_estimated_spend_usd: number; period_start: string; period_end: string };
  warnings: SpendItem[];
  top_models: SpendItem[];
}

export function ModelsScreen() {
  const spend = useLoad(() => get<Spend>("/model-spend"));
  const providers = useLoad(() => get<Provider[]>("/model-providers"));
  useEffect(() => onFeed((e) => e.type === "LLM_CALL" && spend.reload()), []);
  const items = spend.data?.top_models ?? [];
  const budgeted = [...(spend.data?.warnings ?? []), ...items].filter(
    (item, i, all) =>
      item.monthly_budget_usd !== null &&
      all.findIndex((o) => o.agent_name === item.agent_name && o.model === item.model) === i,
  );
  return (
    <Page title="Models">
      <ErrorNote error={spend.error ?? providers.error} />
      <h2>Spend this month</h2>
      {spend.data ? (
        <p>
          Total <strong data-testid="spend-total">{usd(spend.data.summary.total_estimated_spend_usd)}</strong>{" "}
          from {spend.data.summary.period_start.slice(0, 10)} to {spend.data.summary.period_end.slice(0, 10)}
        </p>
      ) : null}
      {spend.data && items.length === 0 ? <Empty>No model calls this month yet.</Empty> : null}
      {items.length > 0 ? <SpendChart items={items} /> : null}
      {items.length > 0 ? (
        <TableWrap label="Spend per agent and model">
          <table data-testid="spend-table">
            <caption class="sr-only">Spend per agent and model</caption>
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Model</th>
                <th scope="col">Spend</th>
                <th scope="col">Budget</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={`${i.agent_name}|${i.model_provider}|${i.model}`}>
                  <td>{i.agent_name}</td>
                  <td>
                    {i.model_provider}/{i.model}
                  </td>
                  <td>{usd(i.estimated_spend_usd)}</td>
                  <td>
                    <StatusPill status={i.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      <h2>Budgets</h2>
      <p class="muted small">
        Each agent's model roles and their monthly budgets are set in the agent's configuration (Agents → an
        agent → Configuration).
      </p>
      {budgeted.map((i) => {
        const budget = i.monthly_budget_usd ?? 0;
        const used = budget > 0 ? Math.min(100, (i.estimated_spend_usd / budget) * 100) : 100;
        return (
          <div class="budget" key={`${i.agent_name}|${i.model}`}>
            <span>
              <a href={href("agents", i.agent_name)}>{i.agent_name}</a> · {i.model}:{" "}
              {usd(i.estimated_spend_usd)} of {usd(budget)}
            </span>
            <meter
              class={`bar ${used >= 100 ? "bad" : used >= 80 ? "warn" : "ok"}`}
              min={0}
              max={100}
              high={80}
              value={Math.round(used)}
              aria-label={`${i.agent_name} ${i.model}: ${Math.round(used)}% of the monthly budget used`}
            />
          </div>
        );
      })}
      <Providers providers={providers.data} onSaved={providers.reload} />
    </Page>
  );
}

/** Bars of spend per agent × model; uPlot is loaded only when this chart is shown. */
function SpendChart({ items }: { items: SpendItem[] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let chart: { destroy(): void } | undefined;
    let cancelled = false;
    void Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]).then(([{ default: uPlot }]) => {
      if (cancelled || !host.current) return;
      const labels = items.map((i) => `${i.agent_name} · ${i.model}`);
      const width = Math.max(280, Math.min(host.current.clientWidth || 600, 900));
      // Canvas text does not follow CSS: take the page's colours (light or dark) explicitly.
      const ink = getComputedStyle(host.current).color;
      const grid = { stroke: "rgba(128, 128, 128, 0.25)" };
      const indices = items.map((_, i) => i);
      chart = new uPlot(
        {
          width,
          height: 220,
          scales: { x: { time: false, range: [-0.5, items.length - 0.5] } },
          axes: [
            {
              splits: () => indices,
              values: (_u, ticks) => ticks.map((t) => labels[t] ?? ""),
              stroke: ink,
              grid,
            },
            { values: (_u, ticks) => ticks.map((t) => usd(t)), stroke: ink, grid, size: 90 },
          ],
          legend: { show: false },
          cursor: { show: false },
          series: [
            {},
            {
              label: "Spend (USD)",
              stroke: "#2563eb",
              fill: "rgba(37, 99, 235, 0.6)",
              paths: uPlot.paths.bars?.({ size: [0.6, 80] }),
              points: { show: false },
            },
          ],
        },
        [indices, items.map((i) => i.estimated_spend_usd)],
        host.current,
      );
    });
    return () => {
      cancelled = true;
      chart?.destroy();
    };
  }, [items]);
  return (
    <figure class="chart card" aria-label="Spend per agent and model">
      <div ref={host} data-testid="spend-chart" />
      <figcaption class="muted small">
        Estimated spend per agent and model this month ({items.length} {items.length === 1 ? "row" : "rows"}).
      </figcaption>
    </figure>
  );
}
