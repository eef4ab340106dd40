/**
 * @module
 * The audit trail's record format and hash chain, shared by the platform (which seals each run
 * event when it is appended) and `runagents audit verify` (which recomputes the chains offline).
 *
 * Canonical form: the JSON text of an object holding exactly the hashed fields, keys sorted by
 * UTF-16 code units, no whitespace, strings escaped as ECMAScript `JSON.stringify` does (this is
 * RFC 8785 for objects whose values are strings and safe integers). An event's `hash` is
 * `sha256:` + the lowercase hex SHA-256 of that text's UTF-8 bytes; `prev_hash` (one of the hashed
 * fields) is the hash of the event before it in the same run, "" for the first hashed event.
 * See docs/audit.md.
 */

import * as crypto from "node:crypto";

/** The record format's version (`v` in every line); a new projection would be a new version. */
export const AUDIT_VERSION = 1;

/** The hashed fields of one event, as they appear in an export line. */
export interface AuditEventFields {
  v: number;
  workspace: string;
  run_id: string;
  seq: number;
  event_id: string;
  /** The event's timestamp (RFC 3339, UTC, milliseconds). */
  time: string;
  type: string;
  /** The run's agent and end user. */
  agent: string;
  user: string;
  /** Who recorded the event: the agent, `governance`, an approver. */
  actor: string;
  tool: string;
  method: string;
  url: string;
  /** `allow`, `deny`, `approval_required`, `approved`, `rejected`, ... or "". */
  decision: string;
  /** The policy rule that decided a tool call (`<policy>#<index>`), `capability`, `default`, or "". */
  rule: string;
  approver: string;
  /** `sha256:` of the request or response body, as the event recorded it ("" when none). */
  payload_hash: string;
  /** `sha256:` of the event's full `data` as stored (the data itself is never exported). */
  data_hash: string;
  prev_hash: string;
}

/** One exported event: the hashed fields, then the hash ("" for events older than the chain). */
export interface AuditEventLine extends AuditEventFields {
  kind: "event";
  hash: string;
}

/** The hashed fields of the head line that ends every export. */
export interface AuditHeadFields {
  v: number;
  workspace: string;
  /** The run of a run export; "" for a workspace export. */
  run_id: string;
  /** The time window asked for (normalised ISO times, "" when open). */
  from: string;
  to: string;
  events: number;
  runs: number;
}

export interface AuditHeadLine extends AuditHeadFields {
  kind: "head";
  /** `sha256:` over the head fields and every run's last exported (seq, hash); see {@link headHash}. */
  head: string;
}

export type AuditLine = AuditEventLine | AuditHeadLine;

/** The last exported event of a run. */
export interface RunHead {
  runId: string;
  seq: number;
  hash: string;
}

export const EVENT_STRING_FIELDS = [
  "actor",
  "agent",
  "approver",
  "data_hash",
  "decision",
  "event_id",
  "method",
  "payload_hash",
  "prev_hash",
  "rule",
  "run_id",
  "time",
  "tool",
  "type",
  "url",
  "user",
  "workspace",
] as const;

/** Node's one-shot `crypto.hash` (20.12+, 21.7+): no Hash object per digest. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

/** `sha256:` + the lowercase hex SHA-256 of `text`'s UTF-8 bytes. */
export const sha256: (text: string) => string = oneShot
  ? (text) => `sha256:${oneShot("sha256", text, "hex")}`
  : (text) => `sha256:${crypto.createHash("sha256").update(text).digest("hex")}`;

/** The canonical form of an event's hashed fields (keys in sorted order, as written below). */
export function canonicalEvent(f: AuditEventFields): string {
  return JSON.stringify({
    actor: f.actor,
    agent: f.agent,
    approver: f.approver,
    data_hash: f.data_hash,
    decision: f.decision,
    event_id: f.event_id,
    method: f.method,
    payload_hash: f.payload_hash,
    prev_hash: f.prev_hash,
    rule: f.rule,
    run_id: f.run_id,
    seq: f.seq,
    time: f.time,
    tool: f.tool,
    type: f.type,
    url: f.url,
    user: f.user,
    v: f.v,
    workspace: f.workspace,
  });
}

export const eventHash = (fields: AuditEventFields): string => sha256(canonicalEvent(fields));

/**
 * The export's head: `sha256:` of the canonical form of `{events, from, run_heads, run_id, runs,
 * to, v, workspace}` where `run_heads` is `[[run_id, seq, hash], ...]` of every run's last
 * exported event, sorted by run id (UTF-16 code units).
 */
export function headHash(fields: AuditHeadFields, heads: readonly RunHead[]): string {
  const runHeads = [...heads]
    .sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0))
    .map((h) => [h.runId, h.seq, h.hash]);
  return sha256(
    JSON.stringify({
      events: fields.events,
      from: fields.from,
      run_heads: runHeads,
      run_id: fields.run_id,
      runs: fields.runs,
      to: fields.to,
      v: fields.v,
      workspace: fields.workspace,
    }),
  );
}

/** An export line in reading order (the hashed fields plus `kind` and `hash`). */
export function eventLine(fields: AuditEventFields, hash: string): AuditEventLine {
  return {
    kind: "event",
    v: fields.v,
    workspace: fields.workspace,
    run_id: fields.run_id,
    seq: fields.seq,
    event_id: fields.event_id,
    time: fields.time,
    type: fields.type,
    agent: fields.agent,
    user: fields.user,
    actor: fields.actor,
    tool: fields.tool,
    method: fields.method,
    url: fields.url,
    decision: fields.decision,
    rule: fields.rule,
    approver: fields.approver,
    payload_hash: fields.payload_hash,
    data_hash: fields.data_hash,
    prev_hash: fields.prev_hash,
    hash,
  };
}
