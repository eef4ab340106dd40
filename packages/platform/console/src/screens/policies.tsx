/**
 * Policies: edit a policy's rules (validated by the platform on save), see which agents use it,
 * and ask "would agent X calling tool Y with METHOD /path be allowed, and which rule decides?".
 */
import { useEffect, useState } from "preact/hooks";
import { get, post } from "../api.js";
import { Field } from "../ui/form.js";
import { ErrorNote, Page, StatusPill, useLoad } from "../ui/parts.js";

interface Policy {
  name: string;
  spec: Record<string, unknown>;
}

interface Evaluation {
  decision: string;
  effective_decision: string;
  reason: string;
  tool: string | null;
  url: string;
  rules: { policy?: string; permission?: string; resource?: string; operations?: string[] }[];
}

const PRESETS: [string, Record<string, unknown>][] = [
  [
    "Allow POST to echo-tool",
    { policies: [{ permission: "allow", operations: ["POST"], resource: "echo-tool" }] },
  ],
  [
    "Require approval for POST to echo-tool",
    { policies: [{ permission: "approval_required", operations: ["POST"], resource: "echo-tool" }] },
  ],
  ["Deny everything", { policies: [{ permission: "deny", operations: ["*"], resource: "*" }] }],
];

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

export function PoliciesScreen() {
  const policies = useLoad(() => get<Policy[]>("/policies"));
  const agents = useLoad(() => get<{ name: string; policies: string[] }[]>("/agents"));
  const [name, setName] = useState("");
  const [text, setText] = useState(pretty({ policies: [] }));
  const [error, setError] = useState<unknown>(undefined);
  const [saved, setSaved] = useState("");
  useEffect(() => {
    const first = policies.data?.[0];
    if (first && !name) {
      setName(first.name);
      setText(pretty(first.spec));
    }
  }, [policies.data]);
  const pick = (policy: Policy) => {
    setName(policy.name);
    setText(pretty(policy.spec));
    setSaved("");
    setError(undefined);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setSaved("");
    let spec: unknown;
    try {
      spec = JSON.parse(text);
    } catch (err) {
      setError(
        new Error(`The rules are not valid JSON (${(err as Error).message}). Fix them and save again.`),
      );
      return;
    }
    try {
      await post("/policies", { name: name.trim(), spec });
      setSaved(`Saved ${name.trim()}: it applies to the next call.`);
      policies.reload();
    } catch (err) {
      setError(err);
    }
  };
  const users = (policy: string) =>
    (agents.data ?? []).filter((a) => a.policies.includes(policy)).map((a) => a.name);
  return (
    <Page title="Policies">
      <ErrorNote error={policies.error} />
      <div class="split">
        <nav aria-label="Policies" class="card">
          <ul class="plain">
            {(policies.data ?? []).map((p) => (
              <li key={p.name}>
                <button type="button" class="link" aria-pressed={p.name === name} onClick={() => pick(p)}>
                  {p.name}
                </button>
                <span class="muted small"> {users(p.name).join(", ") || "no agents"}</span>
              </li>
            ))}
          </ul>
          <button
            type="button"
            onClick={() => {
              setName("");
              setText(pretty({ policies: [] }));
            }}
          >
            New policy
          </button>
        </nav>
        <form class="card form grow" onSubmit={save} aria-labelledby="policy-editor">
          <h2 id="policy-editor">Edit policy</h2>
          <Field label="Name" value={name} onInput={setName} required />
          <div class="actions">
            {PRESETS.map(([label, spec]) => (
              <button key={label} type="button" onClick={() => setText(pretty(spec))}>
                {label}
              </button>
            ))}
          </div>
          <Translate onRules={(rules) => setText(pretty({ policies: rules }))} />
          <label for="policy-spec">Rules (JSON spec)</label>
          <textarea
            id="policy-spec"
            rows={12}
            spellcheck={false}
            value={text}
            onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          />
          <button type="submit" class="primary">
            Save policy
          </button>
          {saved ? <p role="status">{saved}</p> : null}
          <ErrorNote error={error} />
        </form>
      </div>
      <Evaluate agents={(agents.data ?? []).map((a) => a.name)} />
    </Page>
  );
}

/** Plain words to rules (`POST /policies/translate`), put into the editor to review and save. */
function Translate({ onRules }: { onRules: (rules: unknown[]) => void }) {
  const [text, setText] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const translate = async () => {
    setError(undefined);
    try {
      onRules((await post<{ rules: unknown[] }>("/policies/translate", { text })).rules);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div class="toolbar">
      <Field
        label="Or say it in words"
        value={text}
        onInput={setText}
        placeholder="Require approval for POST to echo-tool"
      />
      <button type="button" onClick={translate} disabled={!text.trim()}>
        Translate to rules
      </button>
      <ErrorNote error={error} />
    </div>
  );
}

function Evaluate({ agents }: { agents: string[] }) {
  const [agent, setAgent] = useState("");
  const [tool, setTool] = useState("echo-tool");
  const [method, setMethod] = useState("POST");
  const [path, setPath] = useState("/echo");
  const [result, setResult] = useState<Evaluation | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const evaluate = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setResult(undefined);
    try {
      setResult(
        await post<Evaluation>("/policies/evaluate", {
          agent: agent || agents[0] || "",
          tool: tool.trim(),
          method,
          url: path.trim(),
        }),
      );
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="card form" onSubmit={evaluate} aria-labelledby="evaluate-title">
      <h2 id="evaluate-title">Evaluate a call</h2>
      <div class="toolbar">
        <label>
          Agent
          <select value={agent} onChange={(e) => setAgent((e.target as HTMLSelectElement).value)}>
            {agents.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <Field label="Tool" value={tool} onInput={setTool} />
        <label>
          Method
          <select value={method} onChange={(e) => setMethod((e.target as HTMLSelectElement).value)}>
            {["GET", "POST", "PUT", "PATCH", "DELETE"].map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <Field label="Path or URL" value={path} onInput={setPath} />
      </div>
      <button type="submit">Evaluate</button>
      {result ? (
        <div class="result" role="status" data-testid="evaluation">
          <p>
            Decision: <StatusPill status={result.effective_decision} /> {result.reason}
          </p>
          {result.rules.length > 0 ? (
            <ul>
              {result.rules.map((r) => (
                <li key={JSON.stringify(r)} class="mono small">
                  {r.policy ?? ""}: {r.permission} {(r.operations ?? []).join(",") || "*"} {r.resource}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      <ErrorNote error={error} />
    </form>
  );
}
