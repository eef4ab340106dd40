/** Settings: API keys (a new token is shown once), identity providers, approval connectors. */
import { useState } from "preact/hooks";
import { api, get, post } from "../api.js";
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
  const connectors = useLoad(() =>
    get<{ id?: string; name: string; type?: string }[]>("/approval-connectors"),
  );
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
      <h2>Approval connectors</h2>
      <ErrorNote error={connectors.error} />
      {connectors.data && connectors.data.length === 0 ? (
        <Empty>None: approvals are decided here and through the API.</Empty>
      ) : null}
      <ul class="plain">
        {(connectors.data ?? []).map((c) => (
          <li key={c.id ?? c.name} class="card row">
            <strong>{c.name}</strong> <span class="muted small">{c.type ?? ""}</span>
          </li>
        ))}
      </ul>
    </Page>
  );
}
