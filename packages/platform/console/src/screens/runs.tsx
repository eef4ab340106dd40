/** Runs: a filtered list, and one run's timeline, live, with its pending approval decided in place. */
import { useEffect, useState } from "preact/hooks";
import { get, request } from "../api.js";
import { type FeedEvent, onFeed } from "../live.js";
import { href } from "../router.js";
import { download, toCsv } from "../ui/download.js";
import { Empty, ErrorNote, Loading, Page, StatusPill, TableWrap, usd, useLoad, when } from "../ui/parts.js";
import { type AccessRequest, PendingRequest } from "./approvals.js";

interface Run {
  id: string;
  agent_id: string;
  user_id: string;
  status: string;
  message: string;
  conversation_id: string;
  created_at: string;
  updated_at: string;
}

interface RunEvent {
  seq: number;
  type: string;
  actor: string;
  payload_hash: string;
  message: string;
  data: Record<string, unknown>;
  timestamp: string;
}

/** The columns of the runs CSV export: the list's filter applies, every matching run is included. */
const RUN_COLUMNS = [
  "id",
  "agent_id",
  "user_id",
  "status",
  "message",
  "conversation_id",
  "created_at",
  "updated_at",
];

const TERMINAL = new Set(["COMPLETED", "FAILED"]);
const STATUSES = ["", "RUNNING", "PAUSED_APPROVAL", "PAUSED_CONSENT", "COMPLETED", "FAILED"];

export function RunsScreen() {
  const [agent, setAgent] = useState("");
  const [status, setStatus] = useState("");
  const [user, setUser] = useState("");
  const query = new URLSearchParams();
  if (agent.trim()) query.set("agent_id", agent.trim());
  if (status) query.set("status", status);
  if (user.trim()) query.set("user_id", user.trim());
  const qs = query.toString();
  const runs = useLoad(() => get<Run[]>(`/runs${qs ? `?${qs}` : ""}`), [qs]);
  // New runs and status changes arrive as events: reload on the ones that change the list.
  useEffect(
    () =>
      onFeed((e) => /RUN_CREATED|COMPLETED|FAILED|APPROVAL_REQUIRED|RESUMED/.test(e.type) && runs.reload()),
    [],
  );
  const all = [...(runs.data ?? [])].sort((a, b) => b.created_at.localeCompare(a.created_at));
  const list = all.slice(0, 200);
  const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");
  const exportList = (format: "csv" | "json") =>
    format === "csv"
      ? download(
          `runs-${stamp()}.csv`,
          "text/csv",
          toCsv(RUN_COLUMNS, all as unknown as Record<string, unknown>[]),
        )
      : download(`runs-${stamp()}.json`, "application/json", `${JSON.stringify(all, null, 2)}\n`);
  return (
    <Page
      title="Runs"
      actions={
        <>
          <button type="button" disabled={all.length === 0} onClick={() => exportList("csv")}>
            Export CSV
          </button>
          <button type="button" disabled={all.length === 0} onClick={() => exportList("json")}>
            Export JSON
          </button>
        </>
      }
    >
      <form class="toolbar" onSubmit={(e) => e.preventDefault()}>
        <label>
          Agent
          <input value={agent} onInput={(e) => setAgent((e.target as HTMLInputElement).value)} size={14} />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || "Any"}
              </option>
            ))}
          </select>
        </label>
        <label>
          User
          <input value={user} onInput={(e) => setUser((e.target as HTMLInputElement).value)} size={14} />
        </label>
      </form>
      <ErrorNote error={runs.error} />
      {runs.loading && !runs.data ? <Loading what="runs" /> : null}
      {runs.data && list.length === 0 ? <Empty>No runs match.</Empty> : null}
      {list.length > 0 ? (
        <TableWrap label="Runs">
          <table>
            <caption class="sr-only">Runs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Agent</th>
                <th scope="col">User</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r) => (
                <tr key={r.id}>
                  <td>
                    <a href={href("runs", r.id)} class="mono">
                      {r.id.slice(0, 13)}…
                    </a>
                  </td>
                  <td>{r.agent_id}</td>
                  <td>{r.user_id}</td>
                  <td>
                    <StatusPill status={r.status} />
                  </td>
                  <td>{when(r.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
    </Page>
  );
}

export function RunDetailScreen({ id }: { id: string }) {
  const path = `/runs/${encodeURIComponent(id)}`;
  const run = useLoad(() => get<Run>(path), [id]);
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const pending = useLoad(
    () => get<AccessRequest[]>(`/approvals/requests?status=PENDING&run_id=${encodeURIComponent(id)}`),
    [id],
  );

  useEffect(() => {
    let stopped = false;
    const merge = (incoming: RunEvent[]) =>
      setEvents((list) => {
        const seen = new Set(list.map((e) => e.seq));
        return [...list, ...incoming.filter((e) => !seen.has(e.seq))].sort((a, b) => a.seq - b.seq);
      });
    // Subscribe first, then read what is stored: nothing falls between the two.
    const unsubscribe = onFeed((e: FeedEvent) => {
      if (e.run_id !== id) return;
      merge([e]);
      run.reload();
      pending.reload();
    });
    get<RunEvent[]>(`${path}/events`).then(
      (stored) => !stopped && merge(stored),
      (err: unknown) => setError(err),
    );
    return () => {
      stopped = true;
      unsubscribe();
      setEvents([]);
    };
  }, [id]);

  const exportRun = async () => {
    try {
      const res = await request("GET", `${path}/audit/export`);
      download(`run-${id}-audit.ndjson`, "application/x-ndjson", await res.blob());
    } catch (err) {
      setError(err);
    }
  };
  /** The run and every stored event, as JSON (read fresh: nothing the page missed is left out). */
  const downloadRun = async () => {
    try {
      const [current, stored] = await Promise.all([get<Run>(path), get<RunEvent[]>(`${path}/events`)]);
      download(
        `run-${id}.json`,
        "application/json",
        `${JSON.stringify({ run: current, events: stored }, null, 2)}\n`,
      );
    } catch (err) {
      setError(err);
    }
  };

  // A terminal event is stored just before the run's status changes: show it as soon as it lands.
  const ended = events.findLast((e) => TERMINAL.has(e.type))?.type;
  const r = run.data && ended ? { ...run.data, status: ended } : run.data;
  return (
    <Page
      title={`Run ${id.slice(0, 13)}…`}
      actions={
        <>
          <button type="button" onClick={downloadRun}>
            Download run (JSON)
          </button>
          <button type="button" onClick={exportRun}>
            Export audit (NDJSON)
          </button>
        </>
      }
    >
      <ErrorNote error={run.error ?? error} />
      {r ? (
        <dl class="facts card">
          <dt>Status</dt>
          <dd data-testid="run-status">
            <StatusPill status={r.status} />
          </dd>
          <dt>Agent</dt>
          <dd>
            <a href={href("agents", r.agent_id)}>{r.agent_id}</a>
          </dd>
          <dt>User</dt>
          <dd>{r.user_id}</dd>
          <dt>Started</dt>
          <dd>{when(r.created_at)}</dd>
        </dl>
      ) : null}
      {(pending.data ?? []).map((req) => (
        <ul class="requests" key={req.id}>
          <PendingRequest request={req} onDecided={pending.reload} />
        </ul>
      ))}
      <h2>Timeline</h2>
      <ol class="timeline" aria-live="polite">
        {events.map((e) => (
          <li key={e.seq} class={`event ${e.type.toLowerCase()}`}>
            <span class="event-type">{e.type}</span>
            <span class="muted small">{when(e.timestamp)}</span>
            <EventDetail event={e} />
          </li>
        ))}
      </ol>
    </Page>
  );
}

function EventDetail({ event: e }: { event: RunEvent }) {
  const d = e.data;
  if (e.type === "LLM_CALL") {
    const cost = typeof d.cost_usd === "number" ? usd(d.cost_usd) : "";
    return (
      <p>
        {String(d.model ?? "")}: {String(d.prompt_tokens ?? 0)} prompt + {String(d.completion_tokens ?? 0)}{" "}
        completion tokens {cost ? `, ${cost}` : ""}
      </p>
    );
  }
  return (
    <>
      {e.message ? <p>{e.message}</p> : null}
      {e.payload_hash ? <p class="mono small hash">payload {e.payload_hash}</p> : null}
    </>
  );
}
