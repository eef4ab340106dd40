/**
 * Tools: the registered tools (credentials shown as set or not set, never their value), test one
 * (probe its base URL), register a tool or edit one (a blank API key keeps the stored one;
 * "remove" deletes it).
 */
import { useState } from "preact/hooks";
import { get, post } from "../api.js";
import { Field } from "../ui/form.js";
import { Empty, ErrorNote, Page, StatusPill, useLoad } from "../ui/parts.js";

interface Tool {
  name: string;
  base_url: string;
  auth_type: string;
  description: string;
  credentials_set: boolean;
  capabilities: { name: string; method: string; path: string }[];
  status: { phase?: string; message?: string };
}

interface ProbeResult {
  reachable: boolean;
  status_code?: number;
  latency_ms?: number;
  error?: string;
}

export function ToolsScreen() {
  const tools = useLoad(() => get<Tool[]>("/tools"));
  const [editing, setEditing] = useState<Tool | undefined>(undefined);
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [secret, setSecret] = useState("");
  const [removeSecret, setRemoveSecret] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState("");
  const [tested, setTested] = useState<Record<string, string>>({});
  /** Probes the tool's base URL; the result lands on the tool's status and here. */
  const testTool = async (tool: string) => {
    setError(undefined);
    try {
      const result = await post<ProbeResult>(`/tools/${encodeURIComponent(tool)}/test`);
      setTested({
        ...tested,
        [tool]: result.reachable
          ? `Reachable: HTTP ${result.status_code} in ${result.latency_ms} ms`
          : `Not reachable: ${result.error ?? "no answer"}. Check the base URL and that the service runs.`,
      });
      tools.reload();
    } catch (err) {
      setError(err);
    }
  };
  const edit = (tool: Tool) => {
    setEditing(tool);
    setName(tool.name);
    setUrl(tool.base_url);
    setDescription(tool.description);
    setSecret("");
    setRemoveSecret(false);
    setDone("");
    setError(undefined);
  };
  const reset = () => {
    setEditing(undefined);
    setName("");
    setUrl("");
    setDescription("");
    setSecret("");
    setRemoveSecret(false);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setDone("");
    const keepAuth = editing && editing.auth_type !== "None" && !removeSecret;
    try {
      await post("/tools", {
        name: name.trim(),
        base_url: url.trim(),
        description: description.trim(),
        ...(secret
          ? { auth_type: "APIKey", credentials: { api_key: secret } }
          : removeSecret
            ? { auth_type: "None", credentials: null }
            : keepAuth
              ? { auth_type: editing.auth_type }
              : {}),
      });
      setDone(`${editing ? "Saved" : "Registered"} ${name.trim()}.`);
      reset();
      tools.reload();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Page title="Tools">
      <ErrorNote error={tools.error} />
      {tools.data && tools.data.length === 0 ? <Empty>No tools registered.</Empty> : null}
      <ul class="plain">
        {(tools.data ?? []).map((t) => (
          <li key={t.name} class="card row" data-testid={`tool-${t.name}`}>
            <strong>{t.name}</strong>
            <span class="mono small">{t.base_url}</span>
            <span class="muted small">auth {t.auth_type}</span>
            <span class="small" data-testid="credentials">
              credentials {t.credentials_set ? "set" : "not set"}
            </span>
            {t.status.phase ? <StatusPill status={t.status.phase} /> : null}
            {t.status.message ? <span class="muted small">{t.status.message}</span> : null}
            <button type="button" onClick={() => testTool(t.name)}>
              Test <span class="sr-only">{t.name}</span>
            </button>
            <button type="button" onClick={() => edit(t)}>
              Edit <span class="sr-only">{t.name}</span>
            </button>
            {tested[t.name] ? (
              <span role="status" class="small">
                {tested[t.name]}
              </span>
            ) : null}
            {t.capabilities.length > 0 ? (
              <span class="small">{t.capabilities.map((c) => `${c.method} ${c.path}`).join(", ")}</span>
            ) : null}
          </li>
        ))}
      </ul>
      <form class="card form" onSubmit={save} aria-labelledby="register-tool">
        <h2 id="register-tool">{editing ? `Edit ${editing.name}` : "Register a tool"}</h2>
        {editing ? null : (
          <Field label="Name" value={name} onInput={setName} placeholder="payments" required />
        )}
        <Field label="Base URL" value={url} onInput={setUrl} placeholder="https://api.example.com" required />
        <Field label="Description" value={description} onInput={setDescription} />
        <Field
          label={
            editing?.credentials_set
              ? "New API key (blank keeps the stored one; it is never shown)"
              : "API key (optional; stored encrypted, never shown again)"
          }
          secret
          value={secret}
          onInput={setSecret}
        />
        {editing?.credentials_set ? (
          <label class="check">
            <input
              type="checkbox"
              checked={removeSecret}
              onChange={(e) => setRemoveSecret((e.target as HTMLInputElement).checked)}
            />
            Remove the stored API key
          </label>
        ) : null}
        <button type="submit" class="primary">
          {editing ? "Save tool" : "Register"}
        </button>
        {editing ? (
          <button type="button" onClick={reset}>
            Cancel
          </button>
        ) : null}
        {done ? <p role="status">{done}</p> : null}
        <ErrorNote error={error} />
      </form>
    </Page>
  );
}
