/**
 * @module governance/connectors
 * Approval connectors at rest: the connector document (kind `approval_connector`, name = its
 * `ac_...` id) keeps only the header NAMES; the header values are credentials and live in the
 * encrypted secret `connector-<id>-headers`. Also the workspace delivery defaults (setting
 * `approval-connector-defaults`) and the delivery activity log (kind
 * `approval_connector_activity`), which the approvals flow appends to.
 */
import { randomBytes } from "node:crypto";
import type { Doc, ResourceRecord, Store } from "../store/store.js";
import { nowIso } from "../time.js";

export const CONNECTOR_TYPES = ["webhook", "slack", "teams", "jira", "pagerduty"] as const;
export type ConnectorType = (typeof CONNECTOR_TYPES)[number];
export const SLACK_SECURITY_MODES = ["compat", "strict"] as const;
export const DELIVERY_MODES = ["first_success", "all"] as const;
export const MIN_TIMEOUT_SECONDS = 1;
export const MAX_TIMEOUT_SECONDS = 120;
/** What every response shows instead of a header value. */
export const MASKED_VALUE = "***";

export interface ConnectorDoc extends Doc {
  id: string;
  name: string;
  type: ConnectorType;
  endpoint: string;
  header_names: string[];
  enabled: boolean;
  timeout_seconds: number;
  slack_security_mode: string;
}

/** A connector with its real header values, for delivery and connectivity tests only. */
export interface DeliverableConnector extends ConnectorDoc {
  headers: Record<string, string>;
}

export interface ConnectorDefaults {
  default_delivery_mode: (typeof DELIVERY_MODES)[number];
  default_fallback_to_ui: boolean;
  default_timeout_seconds: number;
}

export const DEFAULTS_SETTING = "approval-connector-defaults";
const BUILTIN_DEFAULTS: ConnectorDefaults = {
  default_delivery_mode: "first_success",
  default_fallback_to_ui: true,
  default_timeout_seconds: 10,
};
const ACTIVITY_RETAINED = 1000;
let activitySeq = 0;

export const newConnectorId = (): string => `ac_${randomBytes(8).toString("hex")}`;
export const headersSecretName = (id: string): string => `connector-${id}-headers`;

export async function loadConnectorHeaders(
  store: Store,
  ws: string,
  id: string,
): Promise<Record<string, string>> {
  return (await store.getSecret(ws, headersSecretName(id))) ?? {};
}

/** Stores the header values encrypted (or removes the secret when there are none). */
export async function saveConnectorHeaders(
  store: Store,
  ws: string,
  id: string,
  headers: Record<string, string>,
): Promise<void> {
  if (Object.keys(headers).length === 0) await store.deleteSecret(ws, headersSecretName(id));
  else await store.putSecret(ws, headersSecretName(id), headers);
}

/** Looks a connector up by id, else by name, with its header values: for delivering approvals. */
export async function getDeliverableConnector(
  store: Store,
  ws: string,
  idOrName: string,
): Promise<DeliverableConnector | undefined> {
  let record = await store.getResource<ConnectorDoc>(ws, "approval_connector", idOrName);
  if (!record) {
    const all = await store.listResources<ConnectorDoc>(ws, "approval_connector");
    record = all.find((r) => r.doc.name === idOrName);
  }
  if (!record) return undefined;
  return { ...record.doc, headers: await loadConnectorHeaders(store, ws, record.doc.id) };
}

export async function listConnectorRecords(
  store: Store,
  ws: string,
): Promise<ResourceRecord<ConnectorDoc>[]> {
  return store.listResources<ConnectorDoc>(ws, "approval_connector");
}

export async function getConnectorDefaults(store: Store, ws: string): Promise<ConnectorDefaults> {
  const record = await store.getResource(ws, "setting", DEFAULTS_SETTING);
  return { ...BUILTIN_DEFAULTS, ...(record?.doc as Partial<ConnectorDefaults> | undefined) };
}

export async function putConnectorDefaults(
  store: Store,
  ws: string,
  patch: Partial<ConnectorDefaults>,
): Promise<ConnectorDefaults> {
  const next = { ...(await getConnectorDefaults(store, ws)), ...patch };
  await store.putResource(ws, "setting", DEFAULTS_SETTING, { ...next });
  return next;
}

export interface ConnectorActivity extends Doc {
  id: string;
  timestamp: string;
  event: string;
  connector_id: string;
  connector_name: string;
  request_id: string;
  action_id: string;
  run_id: string;
  decision: string;
  approver_id: string;
  status_code: number;
  duration_ms: number;
  message: string;
}

export type ConnectorActivityEntry = Partial<Omit<ConnectorActivity, "id" | "timestamp">> & {
  event: string;
};

/**
 * Appends one delivery event (e.g. `dispatch_succeeded`, `dispatch_failed`) to the workspace's
 * activity log; the oldest entries beyond the retention limit are dropped.
 */
export async function recordConnectorActivity(
  store: Store,
  ws: string,
  entry: ConnectorActivityEntry,
): Promise<ConnectorActivity> {
  const timestamp = nowIso();
  const id = `aca_${randomBytes(8).toString("hex")}`;
  const activity: ConnectorActivity = {
    connector_id: "",
    connector_name: "",
    request_id: "",
    action_id: "",
    run_id: "",
    decision: "",
    approver_id: "",
    status_code: 0,
    duration_ms: 0,
    message: "",
    ...entry,
    id,
    timestamp,
  };
  // Names sort by time (then by a per-process counter), so the store's order is the log's order.
  activitySeq = (activitySeq + 1) % 1e8;
  const name = `${timestamp}_${String(activitySeq).padStart(8, "0")}_${id}`;
  await store.putResource(ws, "approval_connector_activity", name, activity);
  const all = await store.listResources(ws, "approval_connector_activity");
  for (const old of all.slice(0, Math.max(0, all.length - ACTIVITY_RETAINED))) {
    await store.deleteResource(ws, "approval_connector_activity", old.name);
  }
  return activity;
}

/** Newest first. */
export async function listConnectorActivity(
  store: Store,
  ws: string,
  limit: number,
): Promise<ConnectorActivity[]> {
  const all = await store.listResources<ConnectorActivity>(ws, "approval_connector_activity");
  return all
    .reverse()
    .slice(0, limit)
    .map((r) => r.doc);
}
