/** Agents: list with status and isolation; detail with configuration, recent runs and its logs. */
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, get, post } from "../api.js";
import { type AgentPhaseEvent, onAgentPhase, onFeed } from "../live.js";
import { href, navigate } from "../router.js";
import { Field } from "../ui/form.js";
import { LiveLogs } from "../ui/logs.js";
import { Empty, ErrorNote, Loading, Page, StatusPill, TableWrap, useLoad, when } from "../ui/parts.js";

interface Agent {
  name: string;
  phase: string;
  isolation: string;
  required_tools: string[];
  policies: string[];
  system_prompt: string;
  status: { message?: string; version?: number };
  created_at: string;
  updated_at: string;
}

export function AgentsScreen({ name }: { name: string }) {
  return name ? <AgentDetail name={name} /> : <AgentList />;
}

function AgentList() {
  const agents = useLoad(() => get<Agent[]>("/agents"));
  return (
    <Page
      title="Agents"
      actions={
        <a class="button" href={href("deploy")}>
          Deploy an agent
        </a>
      }
    >
      <ErrorNote error={agents.error} />
      {agents.loading && !agents.data ? <Loading what="agents" /> : null}
      {agents.data && agents.data.length === 0 ? (
        <Empty>
          No agents yet. Deploy hello-world from the <a href={href()}>dashboard</a>, or your own code with{" "}
          <code>runagents deploy</code>.
        </Empty>
      ) : null}
      {agents.data && agents.data.length > 0 ? (
        <TableWrap label="Agents">
          <table>
            <caption class="sr-only">Agents</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Isolation</th>
                <th scope="col">Tools</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {agents.data.map((a) => (
                <tr key={a.name}>
                  <td>
                    <a href={href("agents", a.name)}>{a.name}</a>
                  </td>
                  <td>
                    <StatusPill status={a.phase} />
                  </td>
                  <td>{a.isolation || "—"}</td>
                  <td>{a.required_tools.join(", ") || "—"}</td>
                  <td>{when(a.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
    </Page>
  );
}

function AgentDetail({ name }: { name: string }) {
  const path = `/agents/${encodeURIComponent(name)}`;
  const agent = useLoad(() => get<Agent>(path), [name]);
  const runs = useLoad(
    () =>
      get<{ id: string; status: string; created_at: string }[]>(`/runs?agent_id=${encodeURIComponent(name)}`),
    [name],
  );
  const versions = useLoad(
    () =>
      get<{ serving: number; versions: { version: number; digest: string; deployed_at: string }[] }>(
        `${path}/versions`,
      ),
    [name],
  );
  const [error, setError] = useState<unknown>(undefined);
  const [note, setNote] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [live, setLive] = useState<AgentPhaseEvent | undefined>(undefined);
  useEffect(
    () =>
      onFeed((e) => {
        if (e.agent_id === name && /RUN_CREATED|COMPLETED|FAILED/.test(e.type)) runs.reload();
      }),
    [name],
  );
  // Phase changes arrive on the feed: no polling after a redeploy or a configuration change.
  useEffect(
    () =>
      onAgentPhase((e) => {
        if (e.name !== name) return;
        setLive(e);
        if (e.phase !== "Deleted") {
          agent.reload();
          versions.reload();
        }
      }),
    [name],
  );
  const redeploy = async () => {
    setError(undefined);
    setNote("");
    try {
      const res = await post<{ phase: string; version: number; message: string }>(`${path}/redeploy`);
      setNote(`Redeploying version ${res.version}: ${res.message || res.phase}`);
    } catch (err) {
      setError(err);
    }
  };
  const remove = async () => {
    setError(undefined);
    try {
      await api("DELETE", path);
      navigate("agents");
    } catch (err) {
      setConfirming(false);
      setError(err);
    }
  };
  const a = agent.data;
  const phase = live && live.phase !== "Deleted" ? live.phase : a?.phase;
  const message = live && live.phase !== "Deleted" ? live.message : (a?.status.message ?? "");
  return (
    <Page
      title={`Agent ${name}`}
      actions={
        <>
          <a class="button" href={href("playground", name)}>
            Open playground
          </a>
          <button type="button" onClick={redeploy}>
            Redeploy
          </button>
          <button type="button" class="danger" onClick={() => setConfirming(true)} aria-expanded={confirming}>
            Delete
          </button>
        </>
      }
    >
      {confirming ? (
        <div
          class="card confirm"
          role="alertdialog"
          aria-labelledby="confirm-delete"
          data-testid="confirm-delete"
        >
          <p id="confirm-delete">
            <strong>Delete the agent {name}?</strong> Its processes stop and its files are removed; its runs
            stay in the audit log.
          </p>
          <button type="button" class="danger" onClick={remove}>
            Yes, delete {name}
          </button>{" "}
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it
          </button>
        </div>
      ) : null}
      <ErrorNote error={agent.error ?? error} />
      {note ? <p role="status">{note}</p> : null}
      {a ? (
        <dl class="facts card">
          <dt>Status</dt>
          <dd data-testid="agent-phase">
            <StatusPill status={phase ?? a.phase} /> {message}
          </dd>
          <dt>Version</dt>
          <dd>{a.status.version ? `${a.status.version} (serving)` : "—"}</dd>
          <dt>Isolation</dt>
          <dd>{a.isolation || "—"}</dd>
          <dt>Required tools</dt>
          <dd>{a.required_tools.join(", ") || "—"}</dd>
          <dt>Policies</dt>
          <dd>{a.policies.join(", ") || "—"}</dd>
          <dt>System prompt</dt>
          <dd>{a.system_prompt || "—"}</dd>
        </dl>
      ) : null}
      <h2>Versions</h2>
      <ErrorNote error={versions.error} />
      {versions.data && versions.data.versions.length === 0 ? (
        <Empty>No source deployments (an image or draft deployment is recorded only).</Empty>
      ) : null}
      <ol class="plain" data-testid="agent-versions">
        {(versions.data?.versions ?? []).map((v) => (
          <li key={v.version}>
            <strong>Version {v.version}</strong>{" "}
            <span class="muted small">deployed {when(v.deployed_at)}</span>{" "}
            <span class="mono small">{v.digest.replace(/^sha256:/, "").slice(0, 12)}</span>{" "}
            {v.version === versions.data?.serving ? <StatusPill status="serving" /> : null}
          </li>
        ))}
      </ol>
      <ConfigForm name={name} onSaved={agent.reload} />
      <h2>Recent runs</h2>
      {(runs.data ?? []).length === 0 ? <Empty>No runs yet.</Empty> : null}
      <ul class="plain">
        {[...(runs.data ?? [])]
          .sort((x, y) => y.created_at.localeCompare(x.created_at))
          .slice(0, 10)
          .map((r) => (
            <li key={r.id}>
              <a href={href("runs", r.id)} class="mono">
                {r.id.slice(0, 13)}…
              </a>{" "}
              <StatusPill status={r.status} /> <span class="muted small">{when(r.created_at)}</span>
            </li>
          ))}
      </ul>
      <h2>Logs (live)</h2>
      <LiveLogs agent={name} />
    </Page>
  );
}

interface LlmConfig {
  role?: string;
  model_provider?: string;
  provider?: string;
  model?: string;
  monthly_budget_usd?: number;
}

interface AgentConfig {
  system_prompt: string;
  policies: string[];
  required_tools: string[];
  llm_configs: LlmConfig[];
  config_version: string;
}

const isDefault = (c: LlmConfig, i: number) => c.role === "default" || (!c.role && i === 0);

/** A model role as the form edits it: `provider/model`, and the budget as typed ("" = none). */
interface RoleRow {
  role: string;
  /** The registered model provider it names, if any: kept as it was. */
  modelProvider?: string;
  model: string;
  budget: string;
}

const joinModel = (c: LlmConfig): string => [c.provider, c.model].filter(Boolean).join("/");
const budgetText = (c: LlmConfig | undefined): string =>
  typeof c?.monthly_budget_usd === "number" ? String(c.monthly_budget_usd) : "";

/** The form's rows: the default role first (always present, maybe blank), then the others. */
function toRows(configs: LlmConfig[]): RoleRow[] {
  const found = configs.find(isDefault);
  return [
    {
      role: "default",
      modelProvider: found?.model_provider,
      model: found ? joinModel(found) : "",
      budget: budgetText(found),
    },
    ...configs
      .filter((c, i) => !isDefault(c, i))
      .map((c) => ({
        role: c.role ?? "",
        modelProvider: c.model_provider,
        model: joinModel(c),
        budget: budgetText(c),
      })),
  ];
}

/** The rows as `llm_configs`, or the problem in words. A row without a model is dropped. */
function toConfigs(rows: RoleRow[]): LlmConfig[] | string {
  const out: LlmConfig[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const role = row.role.trim();
    const model = row.model.trim();
    if (!model) continue;
    if (!/^[a-z0-9][a-z0-9_-]*$/i.test(role)) {
      return `Model role "${role}" is not a name: use letters, digits, '-' and '_'.`;
    }
    if (seen.has(role)) return `Model role "${role}" is listed twice.`;
    seen.add(role);
    const budget = row.budget.trim();
    const amount = Number(budget);
    if (budget && !(Number.isFinite(amount) && amount >= 0)) {
      return `The monthly budget of role "${role}" must be a number of US dollars, 0 or more.`;
    }
    const slash = model.indexOf("/");
    out.push({
      role,
      provider: slash > 0 ? model.slice(0, slash) : "openai",
      model: slash > 0 ? model.slice(slash + 1) : model,
      ...(row.modelProvider ? { model_provider: row.modelProvider } : {}),
      ...(budget ? { monthly_budget_usd: amount } : {}),
    });
  }
  return out;
}

/** The model roles: the default one, others (planner, summarizer, …), each with a monthly budget. */
function ModelRoles({ rows, onChange }: { rows: RoleRow[]; onChange: (rows: RoleRow[]) => void }) {
  const set = (i: number, change: Partial<RoleRow>) =>
    onChange(rows.map((r, j) => (j === i ? { ...r, ...change } : r)));
  return (
    <fieldset class="model-roles">
      <legend>Models and monthly budgets</legend>
      {rows.map((row, i) => {
        const first = i === 0;
        const name = first ? "Default model" : `Model role ${i + 1}`;
        return (
          <div class="role-row" key={i}>
            {first ? null : (
              <Field label={`Role name ${i + 1}`} value={row.role} onInput={(v) => set(i, { role: v })} />
            )}
            <Field
              label={`${name} (provider/model)`}
              value={row.model}
              onInput={(v) => set(i, { model: v })}
              placeholder="openai/gpt-4o-mini"
            />
            <Field
              label={`${name}: monthly budget (USD)`}
              value={row.budget}
              onInput={(v) => set(i, { budget: v })}
              placeholder="no budget"
            />
            {first ? null : (
              <button type="button" onClick={() => onChange(rows.filter((_, j) => j !== i))}>
                Remove role {row.role || i + 1}
              </button>
            )}
          </div>
        );
      })}
      <button type="button" onClick={() => onChange([...rows, { role: "", model: "", budget: "" }])}>
        Add a model role
      </button>
    </fieldset>
  );
}

/**
 * The agent's system prompt, policies and tools. Saving sends the `config_version` the form was
 * loaded from: if someone changed the configuration meanwhile the platform answers 409 and the
 * form says so, with a button to reload it. A saved change restarts the agent.
 */
function ConfigForm({ name, onSaved }: { name: string; onSaved: () => void }) {
  const path = `/agents/${encodeURIComponent(name)}/config`;
  const config = useLoad(() => get<AgentConfig>(path), [name]);
  const [prompt, setPrompt] = useState<string | undefined>(undefined);
  const [policies, setPolicies] = useState<string | undefined>(undefined);
  const [tools, setTools] = useState<string | undefined>(undefined);
  const [roles, setRoles] = useState<RoleRow[] | undefined>(undefined);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [stale, setStale] = useState(false);
  const loaded = config.data;
  if (!loaded) return <ErrorNote error={config.error} />;
  const list = (value: string) =>
    value
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
  const reload = () => {
    setPrompt(undefined);
    setPolicies(undefined);
    setTools(undefined);
    setRoles(undefined);
    setStale(false);
    setError(undefined);
    setStatus("");
    config.reload();
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setStatus("");
    const configs = roles === undefined ? undefined : toConfigs(roles);
    if (typeof configs === "string") {
      setError(new ApiError(configs, 400, "Correct the model roles and save again."));
      return;
    }
    try {
      await api("PUT", path, {
        system_prompt: prompt ?? loaded.system_prompt,
        policies: list(policies ?? loaded.policies.join(", ")),
        required_tools: list(tools ?? loaded.required_tools.join(", ")),
        ...(configs === undefined ? {} : { llm_configs: configs }),
        expected_config_version: loaded.config_version,
      });
      setStatus("Saved: the agent restarts with it.");
      setPrompt(undefined);
      setPolicies(undefined);
      setTools(undefined);
      setRoles(undefined);
      config.reload();
      onSaved();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) setStale(true);
      else setError(err);
    }
  };
  return (
    <form class="card form" onSubmit={save} aria-labelledby="agent-config">
      <h2 id="agent-config">Configuration</h2>
      <label for="system-prompt">System prompt</label>
      <textarea
        id="system-prompt"
        rows={3}
        value={prompt ?? loaded.system_prompt}
        onInput={(e) => setPrompt((e.target as HTMLTextAreaElement).value)}
      />
      <Field
        label="Policies (comma-separated)"
        value={policies ?? loaded.policies.join(", ")}
        onInput={setPolicies}
      />
      <Field
        label="Required tools (comma-separated)"
        value={tools ?? loaded.required_tools.join(", ")}
        onInput={setTools}
      />
      <ModelRoles rows={roles ?? toRows(loaded.llm_configs)} onChange={setRoles} />
      <button type="submit" class="primary">
        Save configuration
      </button>
      {status ? <p role="status">{status}</p> : null}
      {stale ? (
        <div class="error" role="alert" data-testid="config-conflict">
          <strong>Someone changed this agent's configuration after you opened it.</strong>{" "}
          <span>Your edit was not saved. Reload to see their version, then make your change again.</span>{" "}
          <button type="button" onClick={reload}>
            Reload configuration
          </button>
        </div>
      ) : null}
      <ErrorNote error={error} />
    </form>
  );
}
