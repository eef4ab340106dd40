/**
 * Deploy wizard: upload the agent's folder or files, or pick a catalog agent; see what the
 * analyzer finds (tools, models, secrets, outbound hosts) before anything runs; choose the tools
 * and policies; deploy, and follow it (phases from the live feed, the build log as it is
 * written) until it is Running or says why not.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { get, post } from "../api.js";
import { onAgentPhase } from "../live.js";
import { href } from "../router.js";
import { Field } from "../ui/form.js";
import { LiveLogs } from "../ui/logs.js";
import { ErrorNote, Page, StatusPill, useLoad } from "../ui/parts.js";

interface CatalogItem {
  id: string;
  name?: string;
  description: string;
}

const SKIP = /(^|\/)(node_modules|\.git|dist)\//;
const MAX_FILE_BYTES = 1024 * 1024;

/** Reads picked files as text; a folder's own name is dropped from the paths (`my-agent/agent.ts` → `agent.ts`). */
async function readPicked(list: File[]): Promise<Record<string, string>> {
  const read: Record<string, string> = {};
  for (const file of list) {
    let path = file.webkitRelativePath || file.name;
    if (file.webkitRelativePath) path = path.slice(path.indexOf("/") + 1);
    if (SKIP.test(path) || file.size > MAX_FILE_BYTES) continue;
    read[path] = await file.text();
  }
  return read;
}

interface Analysis {
  framework: string;
  adapter: string;
  entry_point: string;
  tools: { name: string; base_url: string; file: string; line: number }[];
  model_providers: { provider?: string; model?: string }[];
  secrets: { type: string; file: string; line: number; severity: string }[];
  outbound_destinations: string[];
  detected_requirements: string[];
}

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function DeployScreen() {
  const policies = useLoad(() => get<{ name: string }[]>("/policies"));
  const [name, setName] = useState("");
  const [files, setFiles] = useState<Record<string, string>>({});
  const [analysis, setAnalysis] = useState<Analysis | undefined>(undefined);
  const [tools, setTools] = useState<string[]>([]);
  const [chosen, setChosen] = useState<string[]>([]);
  const [phase, setPhase] = useState("");
  const [message, setMessage] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [following, setFollowing] = useState("");
  const catalog = useLoad(() => get<{ items: CatalogItem[] }>("/catalog"));

  // The deployed agent's phase comes from the live feed (no polling); listening starts before
  // the deploy is sent, so no phase falls between.
  const watched = useRef("");
  useEffect(
    () =>
      onAgentPhase((e) => {
        if (e.name !== watched.current) return;
        setPhase(e.phase);
        // The first line says what happened; the log lines after it are in the log below.
        setMessage(e.message.split("\n")[0] ?? "");
      }),
    [],
  );

  const pick = async (e: Event) => {
    await analyze(await readPicked([...((e.target as HTMLInputElement).files ?? [])]));
  };

  const pickCatalog = async (id: string) => {
    if (!id) return;
    setError(undefined);
    try {
      const manifest = await get<{
        deploymentTemplate: { agentName: string; sourceFiles: Record<string, string> };
      }>(`/catalog/${encodeURIComponent(id)}`);
      setName(manifest.deploymentTemplate.agentName);
      await analyze(manifest.deploymentTemplate.sourceFiles);
    } catch (err) {
      setError(err);
    }
  };

  const analyze = async (read: Record<string, string>) => {
    setFiles(read);
    setAnalysis(undefined);
    setPhase("");
    setError(undefined);
    try {
      const found = await post<Analysis>("/analyze", { files: read });
      setAnalysis(found);
      setTools(found.tools.map((t) => t.name));
    } catch (err) {
      setError(err);
    }
  };

  const deploy = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    if (!NAME.test(name)) {
      setError(new Error("Name the agent with lowercase letters, digits and '-' (e.g. billing-bot)."));
      return;
    }
    try {
      setPhase("Pending");
      setMessage("");
      watched.current = name;
      const res = await post<{ phase: string; message: string }>("/deploy", {
        agent_name: name,
        source_files: files,
        required_tools: tools,
        policies: chosen,
      });
      // The feed may have told a later phase already; the answer is only the start.
      setPhase((now) => (now === "Pending" ? res.phase : now));
      setFollowing(name);
    } catch (err) {
      setPhase("");
      setError(err);
    }
  };

  const toggle = (list: string[], item: string) =>
    list.includes(item) ? list.filter((i) => i !== item) : [...list, item];
  const count = Object.keys(files).length;
  return (
    <Page title="Deploy an agent">
      <form class="card form" onSubmit={deploy} aria-labelledby="deploy-files">
        <h2 id="deploy-files">1. The agent's code</h2>
        <label>
          A folder (the agent's project)
          <input
            type="file"
            multiple
            {...{ webkitdirectory: true }}
            onChange={pick}
            data-testid="pick-folder"
          />
        </label>
        <label>
          Or files (agent.ts, runagents.yaml, …)
          <input type="file" multiple onChange={pick} data-testid="pick-files" />
        </label>
        {(catalog.data?.items ?? []).length > 0 ? (
          <label>
            Or a catalog agent
            <select onChange={(e) => void pickCatalog((e.target as HTMLSelectElement).value)}>
              <option value="">Choose…</option>
              {(catalog.data?.items ?? []).map((item) => (
                <option key={item.id} value={item.id}>
                  {item.name ?? item.id}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        {count > 0 ? <p class="muted small">{Object.keys(files).join(", ")}</p> : null}
        {analysis ? (
          <section aria-labelledby="findings" data-testid="findings">
            <h2 id="findings">2. What the analyzer found</h2>
            <dl class="facts">
              <dt>Entry point</dt>
              <dd>{analysis.entry_point || "none: the runtime's built-in tool loop answers"}</dd>
              <dt>Framework</dt>
              <dd>
                {analysis.framework} ({analysis.adapter})
              </dd>
              <dt>Tools</dt>
              <dd>{analysis.tools.map((t) => t.name).join(", ") || "none"}</dd>
              <dt>Models</dt>
              <dd>
                {analysis.model_providers
                  .map((m) => [m.provider, m.model].filter(Boolean).join("/"))
                  .join(", ") || "none"}
              </dd>
              <dt>Secrets in the code</dt>
              <dd>
                {analysis.secrets.length === 0
                  ? "none"
                  : analysis.secrets
                      .map((s) => `${s.type} at ${s.file}:${s.line} (${s.severity})`)
                      .join("; ")}
              </dd>
              <dt>Outbound hosts</dt>
              <dd>{analysis.outbound_destinations.join(", ") || "none"}</dd>
            </dl>
            {analysis.secrets.length > 0 ? (
              <p class="error" role="alert">
                Secrets were found in the code. Move them to a tool's credentials before deploying.
              </p>
            ) : null}
            <h2>3. Name, tools and policies</h2>
            <Field label="Agent name" value={name} onInput={setName} placeholder="billing-bot" required />
            {analysis.tools.length > 0 ? (
              <fieldset>
                <legend>Tools it may call</legend>
                {analysis.tools.map((t) => (
                  <label key={t.name} class="check">
                    <input
                      type="checkbox"
                      checked={tools.includes(t.name)}
                      onChange={() => setTools(toggle(tools, t.name))}
                    />
                    {t.name}
                  </label>
                ))}
              </fieldset>
            ) : null}
            {(policies.data ?? []).length > 0 ? (
              <fieldset>
                <legend>Policies</legend>
                {(policies.data ?? []).map((p) => (
                  <label key={p.name} class="check">
                    <input
                      type="checkbox"
                      checked={chosen.includes(p.name)}
                      onChange={() => setChosen(toggle(chosen, p.name))}
                    />
                    {p.name}
                  </label>
                ))}
              </fieldset>
            ) : null}
            <button type="submit" class="primary" disabled={phase === "Pending"}>
              Deploy
            </button>
          </section>
        ) : null}
        {phase ? (
          <p role="status" data-testid="deploy-phase">
            <StatusPill status={phase} /> {message}{" "}
            {phase === "Running" ? <a href={href("playground", following)}>Open the playground</a> : null}
          </p>
        ) : null}
        {phase === "Failed" ? (
          <p class="error" role="alert" data-testid="deploy-error">
            <strong>The agent did not start: {message}</strong>{" "}
            <span>Fix the code (the build log below says where), choose the files again and deploy.</span>
          </p>
        ) : null}
        {following ? (
          <section aria-labelledby="build-log">
            <h2 id="build-log">Build and start log</h2>
            <LiveLogs agent={following} tail={100} />
          </section>
        ) : null}
        <ErrorNote error={error} />
      </form>
    </Page>
  );
}
