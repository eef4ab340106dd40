/**
 * @module store/event-chain
 * What the audit chain hashes for one run event (docs/audit.md): the event's own fields, its
 * run's workspace, agent and user, the audit columns read from its data (tool, method, URL,
 * decision, rule, approver), the SHA-256 of its stored data, and the previous event's hash.
 * The store seals each event with it when appending; the audit export recomputes the same fields
 * from the stored row, so a row changed afterwards no longer matches its hash.
 */
import { AUDIT_VERSION, type AuditEventFields, eventHash, sha256 } from "runagents/audit";
import type { Doc } from "./store.js";

export interface ChainInput {
  workspace: string;
  runId: string;
  agentId: string;
  userId: string;
  seq: number;
  id: string;
  type: string;
  actor: string;
  payloadHash: string;
  data: Doc;
  /** The data exactly as stored (its JSON text). */
  dataText: string;
  time: string;
  prevHash: string;
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** Decisions that the event type itself states (approval events carry no `decision` key). */
const DECISION_OF_TYPE: Readonly<Record<string, string>> = {
  APPROVAL_REQUIRED: "approval_required",
  CONSENT_REQUIRED: "consent_required",
  APPROVED: "approved",
  APPROVAL_GRANTED: "approved",
  REJECTED: "rejected",
  APPROVAL_REJECTED: "rejected",
};

/** The audit record's fields. Version 1 of this projection must never change (see AUDIT_VERSION). */
export function chainFields(input: ChainInput): AuditEventFields {
  const data = input.data;
  return {
    v: AUDIT_VERSION,
    workspace: input.workspace,
    run_id: input.runId,
    seq: input.seq,
    event_id: input.id,
    time: input.time,
    type: input.type,
    agent: input.agentId,
    user: input.userId,
    actor: input.actor,
    tool: text(data.tool_id) || text(data.tool),
    method: text(data.tool_method),
    url: text(data.tool_url),
    decision: text(data.decision) || (DECISION_OF_TYPE[input.type] ?? ""),
    rule: ruleText(data.rule),
    approver: text(data.approver_id),
    payload_hash: input.payloadHash,
    data_hash: sha256(input.dataText),
    prev_hash: input.prevHash,
  };
}

/** `<policy>#<index>` also where an event carries the rule as an object (`TOOL_DENIED`). */
function ruleText(rule: unknown): string {
  if (typeof rule === "string") return rule;
  if (rule && typeof rule === "object" && "policy" in rule && "index" in rule) {
    return `${String(rule.policy)}#${String(rule.index)}`;
  }
  return "";
}

/** The event's `hash`: chained to `input.prevHash`. */
export const sealEvent = (input: ChainInput): string => eventHash(chainFields(input));
