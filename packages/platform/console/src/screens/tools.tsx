/** Tools: the registered tools, and a form to register one (credentials are written, never shown). */
import { useState } from "preact/hooks";
import { get, post } from "../api.js";
import { Field } from "../ui/form.js";
import { Empty, ErrorNote, Page, StatusPill, useLoad } from "../ui/parts.js";

interface Tool {
  name: string;
  base_url: string;
  auth_type: string;
  description: string;
  capabilities: { name: string; method: string; path: string }[];
  status: { phase?: string; message?: string };
}

export function ToolsScreen() {
  const tools = useLoad(() => get<Tool[]>("/tools"));
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState("");
  /** Probes the tool's base URL; the result lands on the tool's status. */
  const testTool = async (tool: string) => {
    setError(undefined);
    try {
      await post(`/tools/${encodeURIComponent(tool)}/test`);
      tools.reload();
    } catch (err) {
      setError(err);
    }
  };
  const register = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setDone("");
    try {
      await post("/tools", {
        name: name.trim(),
        base_url: url.trim(),
        ...(secret ? { auth_type: "APIKey", credentials: { api_key: secret } } : {}),
      });
      setDone(`Registered ${name.trim()}.`);
      setName("");
      setUrl("");
      setSecret("");
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
          <li key={t.name} class="card row">
            <strong>{t.name}</strong>
            <span class="mono small">{t.base_url}</span>
            <span class="muted small">auth {t.auth_type}</span>
            {t.status.phase ? <StatusPill status={t.status.phase} /> : null}
            {t.status.message ? <span class="muted small">{t.status.message}</span> : null}
            <button type="button" onClick={() => testTool(t.name)}>
              Test <span class="sr-only">{t.name}</span>
            </button>
            {t.capabilities.length > 0 ? (
              <span class="small">{t.capabilities.map((c) => `${c.method} ${c.path}`).join(", ")}</span>
            ) : null}
          </li>
        ))}
      </ul>
      <form class="card form" onSubmit={register} aria-labelledby="register-tool">
        <h2 id="register-tool">Register a tool</h2>
        <Field label="Name" value={name} onInput={setName} placeholder="payments" required />
        <Field label="Base URL" value={url} onInput={setUrl} placeholder="https://api.example.com" required />
        <Field
          label="API key (optional; stored encrypted, never shown again)"
          secret
          value={secret}
          onInput={setSecret}
        />
        <button type="submit" class="primary">
          Register
        </button>
        {done ? <p role="status">{done}</p> : null}
        <ErrorNote error={error} />
      </form>
    </Page>
  );
}
