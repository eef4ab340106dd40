/**
 * @module
 * Typed results and inputs for runs, approvals, policies, approval connectors, identity providers and
 * action plans (api-contract §3.6-3.17).
 */

import type { JsonObject } from "./types.js";

/** Every status a run can have: the platform's lifecycle and the CLI's help list both come from here. */
export const RUN_STATUSES = [
  "RUNNING",
  "PAUSED",
  "PAUSED_APPROVAL",
  "PAUSED_CONSENT",
  "COMPLETED",
  "FAILED",
] as const;

/** One of {@link RUN_STATUSES}; typed as string so a newer platform's status still parses. */
export type RunStatus = string;

export interface Run {
  id: string;
  conversationId: string;
  agentId: string;
  /** Same value as `agentId`. */
  agent: string;
  agentUid: string;
  surfaceTurnId: string;
  namespace: string;
  userId: string;
  /**
   * How the platform established `userId`: `jwt:<identity provider>` (a verified end-user token),
   * `service:<api key id>` (a key allowed to act for users) or `none` (unverified); `""` when the
   * platform did not say.
   */
  userAuth: string;
  status: RunStatus;
  blockedActionId: string;
  initialMessage: string;
  invokeUrl: string;
  createdAt: string;
  updatedAt: string;
  /** `message`, else `initial_message`. */
  message: string;
}

export interface RunEvent {
  id: string;
  runId: string;
  sequence: number;
  type: string;
  actor: string;
  data: JsonObject;
  timestamp: string;
  payloadHash: string;
}

export interface RunTimelineEntry {
  sequence: number;
  type: string;
  actor: string;
  summary: string;
  timestamp: string;
  data: JsonObject;
}

export interface RunExport {
  run: Run;
  events: RunEvent[];
  timeline: RunTimelineEntry[];
}

export interface RunListOptions {
  agent?: string;
  status?: string;
  user?: string;
  conversation?: string;
  /** @default 20; 0 or less means no limit */
  limit?: number;
}

export interface RunEventsOptions {
  /** Case-insensitive event type filter (applied client-side). */
  type?: string;
  /** Keep only the last `limit` events; 0 means all. */
  limit?: number;
}

export interface RunWaitOptions {
  /** @default 300000 */
  timeoutMs?: number;
  /** @default 2000 */
  intervalMs?: number;
}

export interface ApprovalRequest {
  id: string;
  subject: string;
  agentId: string;
  toolId: string;
  /** `PENDING` | `APPROVED` | `REJECTED` | `EXPIRED` */
  status: string;
  duration: string;
  /** `once` | `run` | `agent_user_ttl` */
  scope: string;
  approverId: string;
  reason: string;
  actionId: string;
  runId: string;
  /** The blocked call: its HTTP method, URL and the capability it needs (`""` when not given). */
  toolMethod: string;
  toolUrl: string;
  capability: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}

/** `window` (aliases `ttl`, `agent_user_ttl`) is sent as `agent_user_ttl`. */
export type ApprovalScope = "once" | "run" | "window" | "ttl" | "agent_user_ttl";

export interface ApproveInput {
  /** `once` (this call; the default), `run` (the rest of its run) or `window` (with `duration`). */
  scope?: ApprovalScope;
  /** e.g. `1h`, `4h`; only with scope `window` (or no scope). */
  duration?: string;
  reason?: string;
}

export interface PolicyRule {
  /** `allow` | `deny` | `approval_required` */
  permission: string;
  operations: string[];
  resource: string;
  tags: string[];
}

export interface ApprovalRule {
  name: string;
  toolIds: string[];
  capabilities: string[];
  operations: string[];
  resource: string;
  tags: string[];
  approvers: { groups: string[]; match: string };
  defaultDuration: string;
  delivery?: { connectors: string[]; mode: string; fallbackToUI: boolean };
}

export interface Policy {
  name: string;
  namespace: string;
  spec: { policies: PolicyRule[]; approvals: ApprovalRule[] };
  status: { ready: boolean; message: string };
  usedBy: { name: string; namespace: string }[];
}

export interface ApprovalConnector {
  id: string;
  name: string;
  /** `webhook` | `slack` | `teams` | `jira` | `pagerduty` */
  type: string;
  endpoint: string;
  headers: Record<string, string>;
  enabled: boolean;
  timeoutSeconds: number;
  slackSecurityMode: string;
  createdAt: string;
  updatedAt: string;
}

export interface ApprovalConnectorTestResult {
  /** `healthy` | `unhealthy` */
  status: string;
  connectorType: string;
  endpoint: string;
  checks: { id: string; label: string; status: string; message: string; durationMs: number }[];
}

export interface ApprovalConnectorDefaults {
  defaultDeliveryMode: string;
  defaultFallbackToUi: boolean;
  defaultTimeoutSeconds: number;
  minTimeoutSeconds: number;
  maxTimeoutSeconds: number;
}

export interface ApprovalConnectorDefaultsInput {
  deliveryMode?: "first_success" | "all";
  fallbackToUi?: boolean;
  timeoutSeconds?: number;
}

export interface ApprovalConnectorActivity {
  id: string;
  timestamp: string;
  event: string;
  connectorId: string;
  connectorName: string;
  requestId: string;
  actionId: string;
  runId: string;
  decision: string;
  approverId: string;
  statusCode: number;
  durationMs: number;
  message: string;
}

export interface IdentityProvider {
  name: string;
  namespace: string;
  spec: {
    host: string;
    identityProvider: { issuer: string; jwksUri: string; audiences: string[] };
    userIdClaim: string;
    allowedDomains: string[];
  };
}

export type ActionType =
  | "tool.upsert"
  | "model_provider.upsert"
  | "policy.upsert"
  | "deploy_draft.create_or_patch"
  | "deploy.execute"
  | "starter_kit.seed";

/** An action plan, in its wire shape (sent as given). */
export interface ActionPlan {
  plan_id?: string;
  continue_on_error?: boolean;
  actions: { id?: string; type: ActionType; idempotency_key: string; params?: JsonObject }[];
}

export interface ActionPlanValidationResponse {
  planId: string;
  namespace: string;
  valid: boolean;
  results: {
    id: string;
    type: string;
    idempotencyKey: string;
    valid: boolean;
    errors: string[];
    warnings: string[];
    resourceRef: string;
  }[];
}

export interface ActionPlanApplyResponse {
  planId: string;
  namespace: string;
  applied: boolean;
  appliedCount: number;
  failedCount: number;
  results: {
    id: string;
    type: string;
    idempotencyKey: string;
    /** `applied` | `failed` | `skipped` | `invalid` */
    status: string;
    resourceRef: string;
    error: string;
    output: JsonObject;
  }[];
}
