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

/** `provider/model` of the default model mapping ("" when there is none). */
function defaultModel(configs: LlmConfig[]): string {
  const found = configs.find(isDefault);
  return found ? [found.provider, found.model].filter(Boolean).join("/") : "";
}

/** The mappings with the default one replaced by `provider/model` (removed when blank). */
function withDefaultModel(configs: LlmConfig[], value: string): LlmConfig[] {
  const others = configs
    .filter((c, i) => !isDefault(c, i))
    .map(({ role, provider, model, monthly_budget_usd }) => ({
      role,
      provider,
      model,
      ...(monthly_budget_usd === undefined ? {} : { monthly_budget_usd }),
    }));
  const trimmed = value.trim();
  if (!trimmed) return others;
  const slash = trimmed.indexOf("/");
  const previous = configs.find(isDefault);
  return [
    {
      role: "default",
      provider: slash > 0 ? trimmed.slice(0, slash) : "openai",
      model: slash > 0 ? trimmed.slice(slash + 1) : trimmed,
      ...(previous?.monthly_budget_usd === undefined
        ? {}
        : { monthly_budget_usd: previous.monthly_budget_usd }),
    },
    ...others,
  ];
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
  const [model, setModel] = useState<string | undefined>(undefined);
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
    setModel(undefined);
    setStale(false);
    setError(undefined);
    setStatus("");
    config.reload();
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setStatus("");
    try {
      await api("PUT", path, {
        system_prompt: prompt ?? loaded.system_prompt,
        policies: list(policies ?? loaded.policies.join(", ")),
        required_tools: list(tools ?? loaded.required_tools.join(", ")),
        ...(model === undefined ? {} : { llm_configs: withDefaultModel(loaded.llm_configs, model) }),
        expected_config_version: loaded.config_version,
      });
      setStatus("Saved: the agent restarts with it.");
      setPrompt(undefined);
      setPolicies(undefined);
      setTools(undefined);
      setModel(undefined);
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
      <Field
        label="Default model (provider/model)"
        value={model ?? defaultModel(loaded.llm_configs)}
        onInput={setModel}
        placeholder="openai/gpt-4o-mini"
      />
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
