/**
 * @module store/rows
 * What the SQL stores share: the rows as stored (the same columns and text in SQLite and
 * PostgreSQL), their mapping to records, and how a new run row, a written resource row and a run
 * patch are made. Nothing here speaks SQL.
 */
import { randomUUID } from "node:crypto";
import { nowIso } from "../time.js";
import type {
  ApiKeyRecord,
  ChainedEventRecord,
  Doc,
  NewRun,
  ResourceKind,
  ResourceRecord,
  RunEventRecord,
  RunRecord,
} from "./store.js";

export interface ResourceRow {
  workspace: string;
  kind: ResourceKind;
  name: string;
  doc: string;
  version: number;
  created_at: string;
  updated_at: string;
}
export interface RunRow {
  id: string;
  workspace: string;
  agent_id: string;
  user_id: string;
  conversation_id: string;
  status: string;
  blocked_action_id: string;
  initial_message: string;
  invoke_url: string;
  owner: string;
  user_auth: string;
  created_at: string;
  updated_at: string;
}
export interface EventRow {
  run_id: string;
  seq: number;
  id: string;
  type: string;
  actor: string;
  payload_hash: string;
  data: string;
  created_at: string;
  prev_hash: string;
  hash: string;
}
export interface ApiKeyRow {
  id: string;
  workspace: string;
  name: string;
  prefix: string;
  last4: string;
  hash: string;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  act_for_users: number;
  role: string;
  groups: string;
}

export type RunPatch = Partial<
  Pick<RunRecord, "status" | "blockedActionId" | "initialMessage" | "invokeUrl" | "owner">
>;

export const toResource = <T extends Doc>(row: ResourceRow): ResourceRecord<T> => ({
  workspace: row.workspace,
  kind: row.kind,
  name: row.name,
  doc: JSON.parse(row.doc) as T,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export const toRun = (row: RunRow): RunRecord => ({
  id: row.id,
  workspace: row.workspace,
  agentId: row.agent_id,
  userId: row.user_id,
  conversationId: row.conversation_id,
  status: row.status,
  blockedActionId: row.blocked_action_id,
  initialMessage: row.initial_message,
  invokeUrl: row.invoke_url,
  owner: row.owner,
  userAuth: row.user_auth,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** `data`: the parsed `row.data`, when the caller has it already. */
export const toEvent = (row: EventRow, data = JSON.parse(row.data) as Doc): RunEventRecord => ({
  id: row.id,
  runId: row.run_id,
  seq: row.seq,
  type: row.type,
  actor: row.actor,
  payloadHash: row.payload_hash,
  data,
  timestamp: row.created_at,
});

export const toChainedEvent = (row: EventRow): ChainedEventRecord => ({
  ...toEvent(row),
  dataText: row.data,
  prevHash: row.prev_hash,
  hash: row.hash,
});

export const toApiKey = (row: ApiKeyRow): ApiKeyRecord => ({
  id: row.id,
  workspace: row.workspace,
  name: row.name,
  prefix: row.prefix,
  last4: row.last4,
  hash: row.hash,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  expiresAt: row.expires_at,
  actForUsers: row.act_for_users === 1,
  role: row.role,
  groups: parseGroups(row.groups),
});

/** The columns an API key is stored with. */
export const apiKeyRow = (key: ApiKeyRecord): ApiKeyRow => ({
  id: key.id,
  workspace: key.workspace,
  name: key.name,
  prefix: key.prefix,
  last4: key.last4,
  hash: key.hash,
  created_at: key.createdAt,
  last_used_at: key.lastUsedAt,
  expires_at: key.expiresAt,
  act_for_users: key.actForUsers ? 1 : 0,
  role: key.role,
  groups: JSON.stringify(key.groups),
});

function parseGroups(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((g): g is string => typeof g === "string") : [];
  } catch {
    return [];
  }
}

export function newRunRow(run: NewRun): RunRow {
  const now = nowIso();
  return {
    id: run.id ?? timeOrderedUuid(),
    workspace: run.workspace,
    agent_id: run.agentId,
    user_id: run.userId,
    conversation_id: run.conversationId ?? "",
    status: run.status ?? "RUNNING",
    blocked_action_id: "",
    initial_message: run.initialMessage ?? "",
    invoke_url: run.invokeUrl ?? "",
    owner: run.owner ?? "",
    user_auth: run.userAuth ?? "",
    created_at: now,
    updated_at: now,
  };
}

export const patchRunRow = (row: RunRow, patch: RunPatch): RunRow => ({
  ...row,
  status: patch.status ?? row.status,
  blocked_action_id: patch.blockedActionId ?? row.blocked_action_id,
  initial_message: patch.initialMessage ?? row.initial_message,
  invoke_url: patch.invokeUrl ?? row.invoke_url,
  owner: patch.owner ?? row.owner,
  updated_at: nowIso(),
});

/** The row a write stores: one version past `existing` (or version 1, created now). */
export function nextResourceRow(
  ws: string,
  kind: ResourceKind,
  name: string,
  doc: Doc,
  existing: Pick<ResourceRow, "version" | "created_at"> | undefined,
): ResourceRow {
  const now = nowIso();
  return {
    workspace: ws,
    kind,
    name,
    doc: JSON.stringify(doc),
    version: (existing?.version ?? 0) + 1,
    created_at: existing?.created_at ?? now,
    updated_at: now,
  };
}

/**
 * `Store.readResource`'s records: one deeply frozen record per cached row object (a changed row
 * is a new object, so its record is new too).
 */
export class FrozenRecords {
  readonly #byRow = new WeakMap<ResourceRow, ResourceRecord>();

  of<T extends Doc>(row: ResourceRow): ResourceRecord<T> {
    let record = this.#byRow.get(row);
    if (!record) {
      record = deepFreeze(toResource(row));
      this.#byRow.set(row, record);
    }
    return record as ResourceRecord<T>;
  }
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * A UUIDv7 (RFC 9562: 48-bit millisecond timestamp, then random bits): event and run ids grow
 * with time, so inserting one touches the right edge of its index instead of a random page of it
 * (a new run's events too: they are keyed by run id) — fewer pages written per commit as the
 * tables grow.
 */
export function timeOrderedUuid(now = Date.now()): string {
  const random = randomUUID();
  const time = now.toString(16).padStart(12, "0");
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
