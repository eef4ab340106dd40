/** Agents: list with status and isolation; detail with configuration, recent runs and its logs. */
import { useEffect, useState } from "preact/hooks";
import { api, get } from "../api.js";
import { onFeed } from "../live.js";
import { href, navigate } from "../router.js";
import { Field } from "../ui/form.js";
import { Empty, ErrorNote, Loading, Page, StatusPill, TableWrap, useLoad, when } from "../ui/parts.js";

interface Agent {
  name: string;
  phase: string;
  isolation: string;
  required_tools: string[];
  policies: string[];
  system_prompt: string;
  status: { message?: string };
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
  const logs = useLoad(() => get<{ lines: string[] }>(`${path}/logs?tail=200`), [name]);
  const [error, setError] = useState<unknown>(undefined);
  // The agent's runs produce events; its log grows with them: follow both.
  useEffect(
    () =>
      onFeed((e) => {
        if (e.agent_id !== name) return;
        logs.reload();
        if (/RUN_CREATED|COMPLETED|FAILED/.test(e.type)) runs.reload();
      }),
    [name],
  );
  const remove = async () => {
    if (!confirm(`Delete the agent ${name}? Its runs stay in the audit log.`)) return;
    try {
      await api("DELETE", path);
      navigate("agents");
    } catch (err) {
      setError(err);
    }
  };
  const a = agent.data;
  return (
    <Page
      title={`Agent ${name}`}
      actions={
        <>
          <a class="button" href={href("playground", name)}>
            Open playground
          </a>
          <button type="button" class="danger" onClick={remove}>
            Delete
          </button>
        </>
      }
    >
      <ErrorNote error={agent.error ?? error} />
      {a ? (
        <dl class="facts card">
          <dt>Status</dt>
          <dd>
            <StatusPill status={a.phase} /> {a.status.message ?? ""}
          </dd>
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
      <h2>Logs</h2>
      <ErrorNote error={logs.error} />
      <pre class="logs" data-testid="agent-logs">
        {(logs.data?.lines ?? []).join("\n") || "No log lines yet."}
      </pre>
    </Page>
  );
}

interface AgentConfig {
  system_prompt: string;
  policies: string[];
  required_tools: string[];
}

const sameConfig = (a: AgentConfig, b: AgentConfig) =>
  a.system_prompt === b.system_prompt &&
  a.policies.join() === b.policies.join() &&
  a.required_tools.join() === b.required_tools.join();

/**
 * The agent's system prompt and policies. Saving first checks that nobody changed them since
 * they were loaded (the API has no version for an agent's configuration), then restarts the agent.
 */
function ConfigForm({ name, onSaved }: { name: string; onSaved: () => void }) {
  const path = `/agents/${encodeURIComponent(name)}/config`;
  const config = useLoad(() => get<AgentConfig>(path), [name]);
  const [prompt, setPrompt] = useState<string | undefined>(undefined);
  const [policies, setPolicies] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const loaded = config.data;
  if (!loaded) return <ErrorNote error={config.error} />;
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setStatus("");
    try {
      const current = await get<AgentConfig>(path);
      if (!sameConfig(current, loaded)) {
        setError(
          new Error(
            "Someone changed this agent's configuration meanwhile. Reload the page to see it, then edit again.",
          ),
        );
        return;
      }
      await api("PUT", path, {
        system_prompt: prompt ?? loaded.system_prompt,
        policies: (policies ?? loaded.policies.join(", "))
          .split(",")
          .map((p) => p.trim())
          .filter(Boolean),
      });
      setStatus("Saved: the agent restarts with it.");
      setPrompt(undefined);
      setPolicies(undefined);
      config.reload();
      onSaved();
    } catch (err) {
      setError(err);
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
      <button type="submit" class="primary">
        Save configuration
      </button>
      {status ? <p role="status">{status}</p> : null}
      <ErrorNote error={error} />
    </form>
  );
}
