/**
 * Settings: the workspace the console works in, API keys (a new token is shown once; revoke),
 * identity providers, approval connectors (create one; send a test message).
 */
import { useState } from "preact/hooks";
import { api, get, post } from "../api.js";
import { setWorkspace, workspace } from "../session.js";
import { Field } from "../ui/form.js";
import { Empty, ErrorNote, Page, useLoad, when } from "../ui/parts.js";

interface Key {
  id: string;
  name: string;
  role: string;
  last4: string;
  createdAt: string;
  lastUsedAt?: string;
}

export function SettingsScreen() {
  const keys = useLoad(() => get<Key[]>("/auth/api-keys"));
  const providers = useLoad(() => get<{ name: string; spec?: { issuer?: string } }[]>("/identity-providers"));
  const connectors = useLoad(() => get<Connector[]>("/approval-connectors"));
  const [name, setName] = useState("");
  const [role, setRole] = useState("operator");
  const [token, setToken] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setToken("");
    try {
      const made = await post<{ token: string }>("/auth/api-keys", { name: name.trim(), role });
      setToken(made.token);
      setName("");
      keys.reload();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (key: Key) => {
    if (!confirm(`Revoke the API key ${key.name}? Clients using it stop working.`)) return;
    try {
      await api("DELETE", `/auth/api-keys/${encodeURIComponent(key.id)}`);
      keys.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Page title="Settings">
      <WorkspaceSwitcher />
      <h2>API keys</h2>
      <ErrorNote error={keys.error ?? error} />
      <ul class="plain">
        {(keys.data ?? []).map((k) => (
          <li key={k.id} class="card row">
            <strong>{k.name}</strong>
            <span class="muted small">
              {k.role} · …{k.last4} · created {when(k.createdAt)} · last used {when(k.lastUsedAt)}
            </span>
            <button type="button" class="danger" onClick={() => revoke(k)}>
              Revoke <span class="sr-only">{k.name}</span>
            </button>
          </li>
        ))}
      </ul>
      <form class="card form" onSubmit={create} aria-labelledby="new-key">
        <h3 id="new-key">Create an API key</h3>
        <Field label="Name" value={name} onInput={setName} required />
        <label>
          Role
          <select value={role} onChange={(e) => setRole((e.target as HTMLSelectElement).value)}>
            {["viewer", "developer", "operator", "admin"].map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit" class="primary">
          Create key
        </button>
        {token ? (
          <p role="status" class="token">
            Copy this token now, it is shown once: <code>{token}</code>
          </p>
        ) : null}
      </form>
      <h2>Identity providers</h2>
      <ErrorNote error={providers.error} />
      {providers.data && providers.data.length === 0 ? (
        <Empty>None: runs are attributed to the user_id callers name.</Empty>
      ) : null}
      <ul class="plain">
        {(providers.data ?? []).map((p) => (
          <li key={p.name} class="card row">
            <strong>{p.name}</strong> <span class="muted small">{p.spec?.issuer ?? ""}</span>
          </li>
        ))}
      </ul>
      <Connectors connectors={connectors.data} error={connectors.error} onChanged={connectors.reload} />
    </Page>
  );
}

interface Connector {
  id: string;
  name: string;
  type: string;
  endpoint: string;
  enabled?: boolean;
}

interface ConnectorTest {
  status: "healthy" | "unhealthy";
  checks: { id: string; label: string; status: string; message: string }[];
}

function WorkspaceSwitcher() {
  const [wanted, setWanted] = useState(workspace.value);
  const [problem, setProblem] = useState("");
  const [done, setDone] = useState("");
  const known = useLoad(() => get<{ name: string }[]>("/workspaces"));
  const switchTo = (name: string) => {
    setDone("");
    const said = setWorkspace(name);
    setProblem(said);
    if (!said) setDone(`Now working in workspace ${workspace.value}.`);
  };
  const change = (e: Event) => {
    e.preventDefault();
    switchTo(wanted);
  };
  return (
    <form class="card form" onSubmit={change} aria-labelledby="workspace-title">
      <h2 id="workspace-title">Workspace</h2>
      <p class="muted small">
        Every screen works in one workspace:{" "}
        <strong data-testid="current-workspace">{workspace.value}</strong>. Your API key must be allowed in
        the one you switch to.
      </p>
      <ErrorNote error={known.error} />
      {known.data && known.data.length > 0 ? (
        <ul class="workspaces" aria-label="Workspaces">
          {known.data.map((w) => (
            <li key={w.name}>
              {w.name === workspace.value ? (
                <span aria-current="true">
                  <strong>{w.name}</strong> (current)
                </span>
              ) : (
                <button type="button" class="link" onClick={() => switchTo(w.name)}>
                  Switch to {w.name}
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      <Field label="Workspace name" value={wanted} onInput={setWanted} required />
      <button type="submit">Switch workspace</button>
      {problem ? (
        <p class="error" role="alert">
          {problem}
        </p>
      ) : null}
      {done ? <p role="status">{done}</p> : null}
    </form>
  );
}

function Connectors({
  connectors,
  error,
  onChanged,
}: {
  connectors: Connector[] | undefined;
  error: unknown;
  onChanged: () => void;
}) {
  const [name, setName] = useState("");
  const [type, setType] = useState("webhook");
  const [endpoint, setEndpoint] = useState("");
  const [failure, setFailure] = useState<unknown>(undefined);
  const [results, setResults] = useState<Record<string, ConnectorTest>>({});
  const create = async (e: Event) => {
    e.preventDefault();
    setFailure(undefined);
    try {
      await post("/approval-connectors", { name: name.trim(), type, endpoint: endpoint.trim() });
      setName("");
      setEndpoint("");
      onChanged();
    } catch (err) {
      setFailure(err);
    }
  };
  const test = async (c: Connector) => {
    setFailure(undefined);
    try {
      const result = await post<ConnectorTest>("/approval-connectors/test", {
        id: c.id,
        type: c.type,
        endpoint: c.endpoint,
      });
      setResults({ ...results, [c.id]: result });
    } catch (err) {
      setFailure(err);
    }
  };
  return (
    <>
      <h2>Approval connectors</h2>
      <ErrorNote error={error ?? failure} />
      {connectors && connectors.length === 0 ? (
        <Empty>None: approvals are decided here and through the API.</Empty>
      ) : null}
      <ul class="plain">
        {(connectors ?? []).map((c) => {
          const result = results[c.id];
          return (
            <li key={c.id} class="card row" data-testid={`connector-${c.name}`}>
              <strong>{c.name}</strong> <span class="muted small">{c.type}</span>
              <span class="mono small">{c.endpoint}</span>
              <button type="button" onClick={() => test(c)}>
                Send a test <span class="sr-only">to {c.name}</span>
              </button>
              {result ? (
                <div role="status" class="small" data-testid="connector-test">
                  <strong>
                    {result.status === "healthy" ? "Test sent: healthy" : "Test failed: unhealthy"}
                  </strong>
                  <ul class="plain">
                    {result.checks.map((check) => (
                      <li key={check.id}>
                        {check.label}: {check.status} — {check.message}
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
            </li>
          );
        })}
      </ul>
      <form class="card form" onSubmit={create} aria-labelledby="new-connector">
        <h3 id="new-connector">Add a connector</h3>
        <Field label="Connector name" value={name} onInput={setName} required />
        <label>
          Type
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            {["webhook", "slack", "teams"].map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <Field
          label="Endpoint URL"
          value={endpoint}
          onInput={setEndpoint}
          placeholder="https://hooks.example/approvals"
          required
        />
        <button type="submit" class="primary">
          Add connector
        </button>
      </form>
    </>
  );
}
