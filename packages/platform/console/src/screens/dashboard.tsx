/** Dashboard: the workspace at a glance, and the first-visit hero that deploys hello-world. */
import { useState } from "preact/hooks";
import { get } from "../api.js";
import { deployHelloWorld, HELLO_STEPS, HELLO_WORLD } from "../hello-world.js";
import { pendingApprovals } from "../live.js";
import { href, navigate } from "../router.js";
import { ErrorNote, Page, usd, useLoad } from "../ui/parts.js";

interface Overview {
  agents: { name: string; phase: string }[];
  running: number;
  consents: number;
  spend: number;
}

async function loadOverview(): Promise<Overview> {
  const [agents, runs, consents, spend] = await Promise.all([
    get<{ name: string; phase: string }[]>("/agents"),
    get<{ status: string }[]>("/runs?status=RUNNING"),
    get<{ status: string }[]>("/consents").catch(() => []),
    get<{ summary: { total_estimated_spend_usd: number } }>("/model-spend"),
  ]);
  return {
    agents,
    running: runs.length,
    consents: consents.filter((c) => /pending/i.test(c.status)).length,
    spend: spend.summary.total_estimated_spend_usd,
  };
}

export function DashboardScreen() {
  const overview = useLoad(loadOverview);
  const data = overview.data;
  const healthy = data?.agents.filter((a) => a.phase === "Running").length ?? 0;
  return (
    <Page title="Dashboard">
      <ErrorNote error={overview.error} />
      {data && data.agents.length === 0 ? <Hero /> : null}
      <div class="cards">
        <Card
          label="Healthy agents"
          value={data ? `${healthy} / ${data.agents.length}` : "…"}
          to={href("agents")}
        />
        <Card label="Running runs" value={data ? String(data.running) : "…"} to={href("runs")} />
        <Card
          label="Pending approvals"
          value={String(pendingApprovals.value ?? "…")}
          to={href("approvals")}
        />
        <Card label="Pending consents" value={data ? String(data.consents) : "…"} to={href("settings")} />
        <Card label="Spend this month" value={data ? usd(data.spend) : "…"} to={href("models")} />
      </div>
      {data ? <Checklist agents={data.agents.length} /> : null}
    </Page>
  );
}

function Card({ label, value, to }: { label: string; value: string; to: string }) {
  return (
    <a class="card stat" href={to}>
      <span class="stat-value">{value}</span>
      <span class="stat-label">{label}</span>
    </a>
  );
}

function Hero() {
  const [step, setStep] = useState(-1);
  const [error, setError] = useState<unknown>(undefined);
  const start = async () => {
    setError(undefined);
    try {
      await deployHelloWorld(setStep);
      navigate("playground", HELLO_WORLD);
    } catch (err) {
      setError(err);
    }
  };
  const busy = step >= 0 && !error;
  return (
    <div class="hero card">
      <h2>Deploy your first governed agent</h2>
      <p>
        hello-world sends your message to the starter kit's echo tool. The call goes through the platform's
        egress, so a policy decides whether it may, and the run records it.
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={start} disabled={busy}>
          Deploy the hello-world agent
        </button>
        <a class="button" href={href("deploy")}>
          Deploy my own code
        </a>
      </div>
      {step >= 0 ? (
        <ol class="steps" aria-live="polite">
          {HELLO_STEPS.map((label, i) => (
            <li key={label} class={i < step ? "done" : i === step ? (error ? "failed" : "doing") : "todo"}>
              {label}
            </li>
          ))}
        </ol>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}

function Checklist({ agents }: { agents: number }) {
  const items: [boolean, string, string][] = [
    [agents > 0, "Deploy an agent", href("agents")],
    [false, "Chat with it in the playground", href("playground")],
    [false, "Require approval for a tool in a policy", href("policies")],
    [(pendingApprovals.value ?? 0) === 0, "Keep the approvals inbox empty", href("approvals")],
  ];
  return (
    <div class="card">
      <h2>Getting started</h2>
      <ul class="checklist">
        {items.map(([done, label, to]) => (
          <li key={label} class={done ? "done" : ""}>
            <a href={to}>{label}</a>
            {done ? <span class="sr-only"> (done)</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
