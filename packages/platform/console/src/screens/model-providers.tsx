/** Models screen, providers part: the list with health, and a form to add or edit one (its API key is written, never shown). */
import { useState } from "preact/hooks";
import { post } from "../api.js";
import { Field } from "../ui/form.js";
import { Empty, ErrorNote, StatusPill } from "../ui/parts.js";

export interface Provider {
  name: string;
  provider: string;
  models: string[];
  endpoint: string;
  status: { phase?: string; message?: string };
}

const TYPES = ["openai", "anthropic", "bedrock", "ollama", "playground"];

export function Providers({
  providers,
  onSaved,
}: {
  providers: Provider[] | undefined;
  onSaved: () => void;
}) {
  const [editing, setEditing] = useState<Provider | undefined>(undefined);
  const [name, setName] = useState("");
  const [type, setType] = useState("openai");
  const [endpoint, setEndpoint] = useState("");
  const [models, setModels] = useState("");
  const [key, setKey] = useState("");
  const [done, setDone] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const edit = (p: Provider) => {
    setEditing(p);
    setName(p.name);
    setType(p.provider);
    setEndpoint(p.endpoint);
    setModels(p.models.join(", "));
    setKey("");
    setDone("");
  };
  const reset = () => {
    setEditing(undefined);
    setName("");
    setEndpoint("");
    setModels("");
    setKey("");
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setDone("");
    try {
      await post("/model-providers", {
        name: name.trim(),
        spec: {
          provider: type,
          ...(endpoint.trim() ? { endpoint: endpoint.trim() } : {}),
          models: models
            .split(",")
            .map((m) => m.trim())
            .filter(Boolean),
        },
        ...(key ? { api_key: key } : {}),
      });
      setDone(`${editing ? "Saved" : "Added"} ${name.trim()}.`);
      reset();
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <h2>Providers</h2>
      {providers && providers.length === 0 ? <Empty>No model providers.</Empty> : null}
      <ul class="plain">
        {(providers ?? []).map((p) => (
          <li key={p.name} class="card row" data-testid={`provider-${p.name}`}>
            <strong>{p.name}</strong>
            <span class="muted">
              {p.provider} · {p.models.join(", ")}
            </span>
            {p.endpoint ? <span class="mono small">{p.endpoint}</span> : null}
            {p.status.phase ? <StatusPill status={p.status.phase} /> : null}
            {p.status.message ? <span class="muted small">{p.status.message}</span> : null}
            <button type="button" onClick={() => edit(p)}>
              Edit <span class="sr-only">{p.name}</span>
            </button>
          </li>
        ))}
      </ul>
      <form class="card form" onSubmit={save} aria-labelledby="provider-form">
        <h2 id="provider-form">{editing ? `Edit ${editing.name}` : "Add a model provider"}</h2>
        {editing ? null : (
          <Field label="Provider name" value={name} onInput={setName} placeholder="openai" required />
        )}
        <label>
          Type
          <select value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
            {TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <Field
          label="Endpoint"
          value={endpoint}
          onInput={setEndpoint}
          placeholder="https://api.openai.com/v1"
        />
        <Field
          label="Models (comma-separated)"
          value={models}
          onInput={setModels}
          placeholder="gpt-4o-mini"
          required
        />
        <Field
          label={
            editing ? "New API key (blank keeps the stored one)" : "API key (stored encrypted, never shown)"
          }
          secret
          value={key}
          onInput={setKey}
        />
        <button type="submit" class="primary">
          {editing ? "Save provider" : "Add provider"}
        </button>
        {editing ? (
          <button type="button" onClick={reset}>
            Cancel
          </button>
        ) : null}
        {done ? <p role="status">{done}</p> : null}
        <ErrorNote error={error} />
      </form>
    </>
  );
}
