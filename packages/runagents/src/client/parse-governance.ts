/**
 * @module
 * Lenient parsers for runs, events, approvals, policies, connectors, identity providers and action plans.
 */

import type {
  ActionPlanApplyResponse,
  ActionPlanValidationResponse,
  ApprovalConnector,
  ApprovalConnectorActivity,
  ApprovalConnectorDefaults,
  ApprovalConnectorTestResult,
  ApprovalRequest,
  ApprovalRule,
  IdentityProvider,
  Policy,
  PolicyRule,
  Run,
  RunEvent,
} from "./governance-types.js";
import {
  at,
  bool,
  firstList,
  firstText,
  isObject,
  num,
  obj,
  objects,
  phase,
  stringMap,
  text,
  texts,
} from "./parse.js";

export function toRun(value: unknown): Run {
  const d = obj(value);
  const agentId = firstText(d, "agent_id", "agent");
  return {
    id: text(d.id),
    conversationId: text(d.conversation_id),
    agentId,
    agent: agentId,
    agentUid: text(d.agent_uid),
    surfaceTurnId: text(d.surface_turn_id),
    namespace: text(d.namespace),
    userId: text(d.user_id),
    userAuth: text(d.user_auth),
    status: phase(d),
    blockedActionId: text(d.blocked_action_id),
    initialMessage: text(d.initial_message),
    invokeUrl: text(d.invoke_url),
    createdAt: text(d.created_at),
    updatedAt: text(d.updated_at),
    message: firstText(d, "message", "initial_message"),
  };
}

export function toRunEvent(value: unknown): RunEvent {
  const d = obj(value);
  return {
    id: firstText(d, "event_id", "id"),
    runId: text(d.run_id),
    sequence: num(d.seq ?? d.sequence),
    type: text(d.type),
    actor: text(d.actor),
    data: obj(d.data),
    timestamp: firstText(d, "timestamp", "created_at"),
    payloadHash: text(d.payload_hash),
  };
}

export function toApprovalRequest(value: unknown): ApprovalRequest {
  const d = obj(value);
  return {
    id: text(d.id),
    subject: text(d.subject),
    agentId: firstText(d, "agent_id", "agent"),
    toolId: firstText(d, "tool_id", "tool"),
    status: text(d.status),
    duration: text(d.duration),
    scope: text(d.scope),
    approverId: text(d.approver_id),
    reason: text(d.reason),
    actionId: text(d.action_id),
    runId: text(d.run_id),
    toolMethod: text(d.tool_method),
    toolUrl: text(d.tool_url),
    capability: text(d.capability),
    createdAt: text(d.created_at),
    updatedAt: text(d.updated_at),
    expiresAt: text(d.expires_at),
  };
}

export function toPolicyRule(value: unknown): PolicyRule {
  const d = obj(value);
  return {
    permission: text(d.permission),
    operations: texts(d.operations),
    resource: text(d.resource),
    tags: texts(d.tags),
  };
}

function toApprovalRule(value: unknown): ApprovalRule {
  const d = obj(value);
  const approvers = obj(d.approvers);
  const rule: ApprovalRule = {
    name: text(d.name),
    toolIds: texts(firstList(d, "toolIds", "tool_ids")),
    capabilities: texts(d.capabilities),
    operations: texts(d.operations),
    resource: text(d.resource),
    tags: texts(d.tags),
    approvers: { groups: texts(approvers.groups), match: text(approvers.match) },
    defaultDuration: firstText(d, "defaultDuration", "default_duration"),
  };
  if (isObject(d.delivery)) {
    rule.delivery = {
      connectors: texts(d.delivery.connectors),
      mode: text(d.delivery.mode),
      fallbackToUI: bool(d.delivery.fallbackToUI ?? d.delivery.fallback_to_ui),
    };
  }
  return rule;
}

export function toPolicy(value: unknown): Policy {
  const d = obj(value);
  const spec = obj(d.spec);
  const status = obj(d.status);
  return {
    name: firstText(d, "name", "metadata.name"),
    namespace: firstText(d, "namespace", "metadata.namespace"),
    spec: {
      policies: objects(spec.policies).map(toPolicyRule),
      approvals: objects(spec.approvals).map(toApprovalRule),
    },
    status: { ready: bool(status.ready), message: text(status.message) },
    usedBy: objects(d.used_by).map((u) => ({ name: text(u.name), namespace: text(u.namespace) })),
  };
}

export function toApprovalConnector(value: unknown): ApprovalConnector {
  const d = obj(value);
  return {
    id: text(d.id),
    name: text(d.name),
    type: text(d.type),
    endpoint: text(d.endpoint),
    headers: stringMap(d.headers),
    enabled: bool(d.enabled, true),
    timeoutSeconds: num(d.timeout_seconds),
    slackSecurityMode: text(d.slack_security_mode),
    createdAt: text(d.created_at),
    updatedAt: text(d.updated_at),
  };
}

export function toConnectorTestResult(value: unknown): ApprovalConnectorTestResult {
  const d = obj(value);
  return {
    status: text(d.status),
    connectorType: text(d.connector_type),
    endpoint: text(d.endpoint),
    checks: objects(d.checks).map((c) => ({
      id: text(c.id),
      label: text(c.label),
      status: text(c.status),
      message: text(c.message),
      durationMs: num(c.duration_ms),
    })),
  };
}

export function toConnectorDefaults(value: unknown): ApprovalConnectorDefaults {
  const d = obj(value);
  return {
    defaultDeliveryMode: text(d.default_delivery_mode),
    defaultFallbackToUi: bool(d.default_fallback_to_ui),
    defaultTimeoutSeconds: num(d.default_timeout_seconds),
    minTimeoutSeconds: num(d.min_timeout_seconds),
    maxTimeoutSeconds: num(d.max_timeout_seconds),
  };
}

export function toConnectorActivity(value: unknown): ApprovalConnectorActivity {
  const d = obj(value);
  return {
    id: text(d.id),
    timestamp: text(d.timestamp),
    event: text(d.event),
    connectorId: text(d.connector_id),
    connectorName: text(d.connector_name),
    requestId: text(d.request_id),
    actionId: text(d.action_id),
    runId: text(d.run_id),
    decision: text(d.decision),
    approverId: text(d.approver_id),
    statusCode: num(d.status_code),
    durationMs: num(d.duration_ms),
    message: text(d.message),
  };
}

export function toIdentityProvider(value: unknown): IdentityProvider {
  const d = obj(value);
  const spec = obj(d.spec);
  const idp = obj(at(spec, "identityProvider") ?? at(spec, "identity_provider"));
  return {
    name: firstText(d, "name", "metadata.name"),
    namespace: firstText(d, "namespace", "metadata.namespace"),
    spec: {
      host: text(spec.host),
      identityProvider: {
        issuer: text(idp.issuer),
        jwksUri: firstText(idp, "jwksUri", "jwks_uri"),
        audiences: texts(idp.audiences),
      },
      userIdClaim: firstText(spec, "userIDClaim", "user_id_claim", "userIdClaim"),
      allowedDomains: texts(firstList(spec, "allowedDomains", "allowed_domains")),
    },
  };
}

export function toValidationResponse(value: unknown): ActionPlanValidationResponse {
  const d = obj(value);
  return {
    planId: text(d.plan_id),
    namespace: text(d.namespace),
    valid: bool(d.valid),
    results: objects(d.results).map((r) => ({
      id: text(r.id),
      type: text(r.type),
      idempotencyKey: text(r.idempotency_key),
      valid: bool(r.valid),
      errors: texts(r.errors),
      warnings: texts(r.warnings),
      resourceRef: text(r.resource_ref),
    })),
  };
}

export function toApplyResponse(value: unknown): ActionPlanApplyResponse {
  const d = obj(value);
  return {
    planId: text(d.plan_id),
    namespace: text(d.namespace),
    applied: bool(d.applied),
    appliedCount: num(d.applied_count),
    failedCount: num(d.failed_count),
    results: objects(d.results).map((r) => ({
      id: text(r.id),
      type: text(r.type),
      idempotencyKey: text(r.idempotency_key),
      status: text(r.status),
      resourceRef: text(r.resource_ref),
      error: text(r.error),
      output: obj(r.output),
    })),
  };
}
