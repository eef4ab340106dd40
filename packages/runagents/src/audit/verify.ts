/**
 * @module
 * Offline verification of an audit export, one line at a time (so a file of any size is checked
 * in constant memory per run): every event's hash is recomputed from its fields, every link to
 * the previous event of its run is checked (gapless seq, `prev_hash` equal to the previous hash),
 * and the final head line is recomputed over the runs' last events. The first failure throws an
 * {@link AuditVerificationError} naming the line, and the run and seq when there is an event.
 */

import {
  AUDIT_VERSION,
  type AuditEventFields,
  type AuditHeadFields,
  EVENT_STRING_FIELDS,
  eventHash,
  headHash,
  type RunHead,
} from "./chain.js";

export class AuditVerificationError extends Error {
  override name = "AuditVerificationError";
  constructor(
    message: string,
    readonly line: number,
    readonly runId?: string,
    readonly seq?: number,
  ) {
    super(
      runId === undefined
        ? `line ${line}: ${message}`
        : `line ${line}: run ${runId} seq ${seq ?? "?"}: ${message}`,
    );
  }
}

export interface AuditSummary {
  /** Events in the file, and of those the ones recorded before the chain existed (not covered). */
  events: number;
  unchained: number;
  runs: number;
  /** Runs whose first exported event links to an event outside the file (a time-window export). */
  openRuns: number;
  head: string;
}

interface RunState {
  seq: number;
  hash: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

export class AuditVerifier {
  readonly #runs = new Map<string, RunState>();
  #line = 0;
  #events = 0;
  #unchained = 0;
  #openRuns = 0;
  #head: string | undefined;
  #workspace: string | undefined;
  #minTime = "";
  #maxTime = "";

  /** Checks one line of the file (without its newline). Blank lines are skipped. */
  push(text: string): void {
    this.#line++;
    if (text.trim() === "") return;
    const line = this.#line;
    if (this.#head !== undefined) throw new AuditVerificationError("data after the head line", line);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new AuditVerificationError("not valid JSON (truncated, or not an NDJSON audit export)", line);
    }
    if (!isObject(value)) throw new AuditVerificationError("not a JSON object", line);
    if (value.kind === "event") this.#event(value, line);
    else if (value.kind === "head") this.#headLine(value, line);
    else throw new AuditVerificationError('not an audit record (kind is neither "event" nor "head")', line);
  }

  /** Ends the file: without a head line it is incomplete. */
  finish(): AuditSummary {
    if (this.#head === undefined) {
      throw new AuditVerificationError("no head line: the export is truncated or incomplete", this.#line + 1);
    }
    return {
      events: this.#events,
      unchained: this.#unchained,
      runs: this.#runs.size,
      openRuns: this.#openRuns,
      head: this.#head,
    };
  }

  #event(raw: Record<string, unknown>, line: number): void {
    const runId = typeof raw.run_id === "string" ? raw.run_id : undefined;
    const seq = raw.seq;
    if (runId === undefined || typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 1) {
      throw new AuditVerificationError("an event needs a string run_id and a positive integer seq", line);
    }
    const fail = (message: string): never => {
      throw new AuditVerificationError(message, line, runId, seq);
    };
    for (const key of EVENT_STRING_FIELDS) {
      if (typeof raw[key] !== "string") fail(`field ${key} is missing or not a string`);
    }
    if (raw.v !== AUDIT_VERSION) fail(`unsupported record version ${JSON.stringify(raw.v)}`);
    if (typeof raw.hash !== "string") fail("field hash is missing or not a string");
    const fields = raw as unknown as AuditEventFields & { hash: string };
    if (this.#workspace === undefined) this.#workspace = fields.workspace;
    else if (fields.workspace !== this.#workspace)
      fail(`workspace ${fields.workspace} differs from the file's`);
    if (fields.hash !== "" && eventHash(fields) !== fields.hash) {
      fail("hash mismatch: the event's fields do not match its hash");
    }
    const previous = this.#runs.get(runId);
    if (previous === undefined) {
      if (fields.hash === "" && fields.prev_hash !== "") fail("an unchained event has a prev_hash");
      if (seq === 1 && fields.prev_hash !== "") fail("the first event of a run must have an empty prev_hash");
      if (fields.prev_hash !== "") this.#openRuns++;
    } else {
      if (seq !== previous.seq + 1)
        fail(`seq does not follow ${previous.seq} (an event is missing or moved)`);
      if (fields.hash === "" && previous.hash !== "") fail("an unchained event follows a chained one");
      if (fields.prev_hash !== previous.hash) {
        fail(`prev_hash does not match the hash of seq ${previous.seq}`);
      }
    }
    if (fields.hash === "") this.#unchained++;
    this.#runs.set(runId, { seq, hash: fields.hash });
    this.#events++;
    if (this.#minTime === "" || fields.time < this.#minTime) this.#minTime = fields.time;
    if (fields.time > this.#maxTime) this.#maxTime = fields.time;
  }

  #headLine(raw: Record<string, unknown>, line: number): void {
    const fail = (message: string): never => {
      throw new AuditVerificationError(`head: ${message}`, line);
    };
    for (const key of ["workspace", "run_id", "from", "to", "head"]) {
      if (typeof raw[key] !== "string") fail(`field ${key} is missing or not a string`);
    }
    for (const key of ["events", "runs"]) {
      if (!Number.isSafeInteger(raw[key])) fail(`field ${key} is missing or not an integer`);
    }
    if (raw.v !== AUDIT_VERSION) fail(`unsupported record version ${JSON.stringify(raw.v)}`);
    const head = raw as unknown as AuditHeadFields & { head: string };
    if (head.events !== this.#events) fail(`says ${head.events} events, the file has ${this.#events}`);
    if (head.runs !== this.#runs.size) fail(`says ${head.runs} runs, the file has ${this.#runs.size}`);
    if (this.#workspace !== undefined && head.workspace !== this.#workspace) {
      fail(`workspace ${head.workspace} differs from the events'`);
    }
    if (head.run_id !== "" && [...this.#runs.keys()].some((id) => id !== head.run_id)) {
      fail(`an event of another run is in the export of run ${head.run_id}`);
    }
    if (this.#events > 0 && head.from !== "" && this.#minTime < head.from) {
      fail(`an event at ${this.#minTime} is before from ${head.from}`);
    }
    if (this.#events > 0 && head.to !== "" && this.#maxTime >= head.to) {
      fail(`an event at ${this.#maxTime} is not before to ${head.to}`);
    }
    const heads: RunHead[] = [...this.#runs].map(([runId, s]) => ({ runId, seq: s.seq, hash: s.hash }));
    if (headHash(head, heads) !== head.head) {
      fail("head mismatch: the runs' last events or the head fields were changed, or an event was removed");
    }
    this.#head = head.head;
  }
}

/** Verifies a whole export held in memory (see {@link AuditVerifier} for files read line by line). */
export function verifyAuditExport(text: string): AuditSummary {
  const verifier = new AuditVerifier();
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const line of lines) verifier.push(line);
  return verifier.finish();
}

/** "verified 42 events in 3 runs", plus what the chain does not cover. */
export function describeSummary(s: AuditSummary, verb = "verified"): string {
  const parts = [
    `${verb} ${s.events} event${s.events === 1 ? "" : "s"} in ${s.runs} run${s.runs === 1 ? "" : "s"}`,
  ];
  if (s.unchained > 0) parts.push(`${s.unchained} recorded before the audit chain existed and not covered`);
  if (s.openRuns > 0) {
    parts.push(
      `${s.openRuns} run${s.openRuns === 1 ? "" : "s"} continuing an earlier export (first link not checked)`,
    );
  }
  return `${parts.join("; ")}; head ${s.head}`;
}
