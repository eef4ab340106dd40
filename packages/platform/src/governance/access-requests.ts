/**
 * @module governance/access-requests
 * Access requests (kind `access_request`, keyed by `req-<random>`): creation with reuse of a
 * pending request for the same blocked call, listing with expiry computed on read (and
 * persisted), and the JSON view with the flat keys both clients read.
 */
import { randomBytes } from "node:crypto";
import { notFound } from "../errors.js";
import { type ResourceRecord, type Store, VersionConflictError } from "../store/store.js";
import { nowIso } from "../time.js";
import { type AccessRequest, effectiveStatus } from "./approvals.js";

export type RequestRecord = ResourceRecord<AccessRequest>;

export interface NewAccessRequest {
  subject: string;
  toolId: string;
  agentId?: string;
  duration?: string;
  runId?: string;
  actionId?: string;
  capability?: string;
  payloadHash?: string;
  toolMethod?: string;
  toolUrl?: string;
}

export const newRequestId = (): string => `req-${randomBytes(8).toString("hex")}`;

const chains = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier call with the same key has settled (in this process). */
export function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const result = (chains.get(key) ?? Promise.resolve()).then(fn, fn);
  const tail = result.then(
    () => undefined,
    () => undefined,
  );
  chains.set(key, tail);
  void tail.then(() => {
    if (chains.get(key) === tail) chains.delete(key);
  });
  return result;
}

/**
 * Creates a PENDING request, or returns the pending one already waiting for the same call: the
 * same action of the same run, or the same run, subject, agent, tool, capability, method, URL and
 * payload hash (a request not yet linked to an action is then linked to this one).
 */
export function createOrReuseRequest(
  store: Store,
  ws: string,
  input: NewAccessRequest,
): Promise<{ record: RequestRecord; created: boolean }> {
  return serialized(`access_request:${ws}`, async () => {
    const doc = newRequestDoc(input);
    const pending = (await store.listResources<AccessRequest>(ws, "access_request")).filter(
      (r) => r.doc.status === "PENDING",
    );
    const sameAction = doc.action_id
      ? pending.find((r) => r.doc.run_id === doc.run_id && r.doc.action_id === doc.action_id)
      : undefined;
    if (sameAction) return { record: sameAction, created: false };
    const sameCall = pending.find(
      (r) => sameCallKey(r.doc, doc) && (doc.action_id === "" || r.doc.action_id === ""),
    );
    if (sameCall) {
      if (doc.action_id === "") return { record: sameCall, created: false };
      const linked = await store.putResource(
        ws,
        "access_request",
        sameCall.name,
        { ...sameCall.doc, action_id: doc.action_id },
        { expectedVersion: sameCall.version },
      );
      return { record: linked.record, created: false };
    }
    const { record } = await store.putResource(ws, "access_request", doc.id, doc, { expectedVersion: 0 });
    return { record, created: true };
  });
}

function newRequestDoc(input: NewAccessRequest): AccessRequest {
  return {
    id: newRequestId(),
    subject: input.subject,
    agent_id: input.agentId ?? "",
    tool_id: input.toolId,
    status: "PENDING",
    scope: "",
    duration: input.duration ?? "",
    approver_id: "",
    reason: "",
    action_id: input.actionId ?? "",
    run_id: input.runId ?? "",
    capability: input.capability ?? "",
    payload_hash: input.payloadHash ?? "",
    tool_method: (input.toolMethod ?? "").toUpperCase(),
    tool_url: input.toolUrl ?? "",
    expires_at: "",
    decided_at: "",
    consumed_at: "",
  };
}

const CALL_KEYS = [
  "run_id",
  "subject",
  "agent_id",
  "tool_id",
  "capability",
  "tool_method",
  "tool_url",
  "payload_hash",
] as const;

const sameCallKey = (a: AccessRequest, b: AccessRequest): boolean => CALL_KEYS.every((k) => a[k] === b[k]);

/** Persists EXPIRED for a time window that has ended; returns the record as it now reads. */
export async function expireIfDue(
  store: Store,
  ws: string,
  record: RequestRecord,
  now = nowIso(),
): Promise<RequestRecord> {
  if (record.doc.status !== "APPROVED" || effectiveStatus(record.doc, now) !== "EXPIRED") return record;
  try {
    const { record: updated } = await store.putResource(
      ws,
      "access_request",
      record.name,
      { ...record.doc, status: "EXPIRED" as const },
      { expectedVersion: record.version },
    );
    return updated;
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const fresh = await store.getResource<AccessRequest>(ws, "access_request", record.name);
    return fresh ? expireIfDue(store, ws, fresh, now) : record;
  }
}

export async function loadRequest(store: Store, ws: string, id: string): Promise<RequestRecord> {
  const record = await store.getResource<AccessRequest>(ws, "access_request", id);
  if (!record) throw notFound(`approval request ${id} not found`);
  return expireIfDue(store, ws, record);
}

export interface RequestFilter {
  status?: string;
  runId?: string;
  agentId?: string;
}

/** Every request of the workspace, oldest first, with expiry applied. */
export async function listRequests(store: Store, ws: string, filter: RequestFilter = {}) {
  const now = nowIso();
  const records = await store.listResources<AccessRequest>(ws, "access_request");
  const current = await Promise.all(records.map((r) => expireIfDue(store, ws, r, now)));
  return current
    .filter(
      (r) =>
        (!filter.status || r.doc.status === filter.status) &&
        (!filter.runId || r.doc.run_id === filter.runId) &&
        (!filter.agentId || r.doc.agent_id === filter.agentId),
    )
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
}

/** Marks a `once` grant as used by the call it authorised (for the egress). */
export async function consumeOnceGrant(store: Store, ws: string, id: string): Promise<boolean> {
  const record = await store.getResource<AccessRequest>(ws, "access_request", id);
  if (record?.doc.scope !== "once" || record.doc.consumed_at !== "") return false;
  try {
    await store.putResource(
      ws,
      "access_request",
      id,
      { ...record.doc, consumed_at: nowIso() },
      { expectedVersion: record.version },
    );
    return true;
  } catch (error) {
    if (error instanceof VersionConflictError) return false;
    throw error;
  }
}

/** AccessRequest JSON: `agent_id`/`agent` and `tool_id`/`tool` both, as the SDK and CLI read them. */
export function requestView(record: RequestRecord): Record<string, unknown> {
  const d = record.doc;
  return {
    id: d.id,
    subject: d.subject,
    agent_id: d.agent_id,
    agent: d.agent_id,
    tool_id: d.tool_id,
    tool: d.tool_id,
    status: d.status,
    scope: d.scope,
    duration: d.duration,
    approver_id: d.approver_id,
    reason: d.reason,
    action_id: d.action_id,
    run_id: d.run_id,
    capability: d.capability,
    payload_hash: d.payload_hash,
    tool_method: d.tool_method,
    tool_url: d.tool_url,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    expires_at: d.expires_at || null,
  };
}
