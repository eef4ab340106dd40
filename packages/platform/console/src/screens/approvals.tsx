/** Approvals inbox: pending requests with everything an approver needs, decisions, and history. */
import { useEffect, useRef, useState } from "preact/hooks";
import { get, post } from "../api.js";
import { onFeed, pendingApprovals } from "../live.js";
import { href } from "../router.js";
import { idToken } from "../session.js";
import { Empty, ErrorNote, Loading, Page, StatusPill, TableWrap, useLoad, when } from "../ui/parts.js";

export interface AccessRequest {
  id: string;
  subject: string;
  agent_id: string;
  tool_id: string;
  status: string;
  scope: string;
  approver_id: string;
  reason: string;
  run_id: string;
  capability: string;
  payload_hash: string;
  tool_method: string;
  tool_url: string;
  created_at: string;
  updated_at: string;
}

const FEED_TYPES = new Set(["APPROVAL_REQUIRED", "APPROVED", "REJECTED", "RESUMED"]);
/** Pending requests rendered at once; more on request (a long queue stays quick to open). */
const PAGE = 50;

export function ApprovalsScreen() {
  const requests = useLoad(() => get<AccessRequest[]>("/approvals/requests"));
  const [shown, setShown] = useState(PAGE);
  useEffect(() => onFeed((e) => FEED_TYPES.has(e.type) && requests.reload()), []);
  // The count also moves for requests made without a run: list them as they come.
  const pendingNow = pendingApprovals.value;
  const seenCount = useRef(pendingNow);
  useEffect(() => {
    if (seenCount.current !== null && pendingNow !== seenCount.current) requests.reload();
    seenCount.current = pendingNow;
  }, [pendingNow]);
  const all = requests.data ?? [];
  // Oldest first: the queue is worked in the order it was asked.
  const pending = all
    .filter((r) => r.status === "PENDING")
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
  const decided = all
    .filter((r) => r.status !== "PENDING")
    .sort((a, b) => b.updated_at.localeCompare(a.updated_at))
    .slice(0, 50);
  return (
    <Page
      title="Approvals"
      actions={
        idToken.value ? (
          <button type="button" onClick={requests.reload}>
            Refresh
          </button>
        ) : undefined
      }
    >
      <ErrorNote error={requests.error} />
      <h2>Pending ({pending.length})</h2>
      {requests.loading && !requests.data ? <Loading what="requests" /> : null}
      {requests.data && pending.length === 0 ? <Empty>Nothing waits for a decision.</Empty> : null}
      <ul class="requests">
        {pending.slice(0, shown).map((r) => (
          <PendingRequest key={r.id} request={r} onDecided={requests.reload} />
        ))}
      </ul>
      {pending.length > shown ? (
        <button type="button" onClick={() => setShown(shown + PAGE)}>
          Show {Math.min(PAGE, pending.length - shown)} more of {pending.length - shown}
        </button>
      ) : null}
      <h2>History</h2>
      {decided.length === 0 ? <Empty>No decisions yet.</Empty> : null}
      {decided.length > 0 ? (
        <TableWrap label="Decision history">
          <table>
            <caption class="sr-only">Decided requests, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Decision</th>
                <th scope="col">Agent → tool</th>
                <th scope="col">Approver</th>
                <th scope="col">Scope</th>
                <th scope="col">Reason</th>
                <th scope="col">When</th>
              </tr>
            </thead>
            <tbody>
              {decided.map((r) => (
                <tr key={r.id}>
                  <td>
                    <StatusPill status={r.status} />
                  </td>
                  <td>
                    {r.agent_id} → {r.tool_id}
                  </td>
                  <td>{r.approver_id || "—"}</td>
                  <td>{r.scope || "—"}</td>
                  <td>{r.reason || "—"}</td>
                  <td>{when(r.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
    </Page>
  );
}

/** One pending request with its approve/reject controls (also used in place on a run's timeline). */
export function PendingRequest({ request: r, onDecided }: { request: AccessRequest; onDecided: () => void }) {
  const [scope, setScope] = useState("once");
  const [duration, setDuration] = useState("1h");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const decide = async (decision: "approve" | "reject") => {
    setBusy(true);
    setError(undefined);
    try {
      const body =
        decision === "reject" ? { reason } : { scope, reason, ...(scope === "window" ? { duration } : {}) };
      await post(`/approvals/requests/${encodeURIComponent(r.id)}/${decision}`, body);
      onDecided();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const id = `req-${r.id}`;
  return (
    <li class="card request" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>
        {r.agent_id || "an agent"} wants {r.tool_method || "to call"} {r.tool_id}
      </h3>
      <dl class="facts">
        <dt>For user</dt>
        <dd>{r.subject || "—"}</dd>
        <dt>Tool</dt>
        <dd>
          {r.tool_id}
          {r.capability ? ` (${r.capability})` : ""}
        </dd>
        <dt>Method and URL</dt>
        <dd class="mono">
          {r.tool_method} {r.tool_url || "—"}
        </dd>
        <dt>Payload hash</dt>
        <dd class="mono hash">{r.payload_hash || "—"}</dd>
        <dt>Run</dt>
        <dd>{r.run_id ? <a href={href("runs", r.run_id)}>{r.run_id}</a> : "—"}</dd>
        <dt>Asked</dt>
        <dd>{when(r.created_at)}</dd>
      </dl>
      <div class="decide">
        <label>
          Scope
          <select value={scope} onChange={(e) => setScope((e.target as HTMLSelectElement).value)}>
            <option value="once">Once (this call)</option>
            <option value="run">This run</option>
            <option value="window">Time window</option>
          </select>
        </label>
        {scope === "window" ? (
          <label>
            Duration
            <input
              value={duration}
              onInput={(e) => setDuration((e.target as HTMLInputElement).value)}
              size={6}
            />
          </label>
        ) : null}
        <label class="grow">
          Reason
          <input
            value={reason}
            placeholder="optional"
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
          />
        </label>
        <div class="actions">
          <button type="button" class="primary" disabled={busy} onClick={() => decide("approve")}>
            Approve
          </button>
          <button type="button" class="danger" disabled={busy} onClick={() => decide("reject")}>
            Reject
          </button>
        </div>
      </div>
      <ErrorNote error={error} />
    </li>
  );
}
