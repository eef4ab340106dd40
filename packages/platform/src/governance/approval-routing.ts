/**
 * @module governance/approval-routing
 * Which approval rule (`spec.approvals[]` of the policies bound to the agent) a blocked call falls
 * under: it supplies the request's default window (`defaultDuration`) and where the request is
 * delivered (`delivery.connectors`, `mode`, `fallbackToUI`). Selectors that are empty match
 * everything; the first matching rule, in binding order, wins.
 */
import type { Store } from "../store/store.js";
import type { AccessRequest } from "./approvals.js";
import { boundPolicyNames } from "./decide.js";
import { type ApprovalRule, resourceMatches, validatePolicySpec } from "./policy.js";

export interface RoutedCall {
  agent: string;
  tool: string;
  method: string;
  /** The upstream URL (query included or not: resources match by prefix or exactly without it). */
  url: string;
  capability: string;
  tags: readonly string[];
}

export function approvalRuleMatches(rule: ApprovalRule, call: RoutedCall): boolean {
  const method = call.method.toUpperCase();
  return (
    (rule.toolIds.length === 0 || rule.toolIds.includes(call.tool)) &&
    (rule.capabilities.length === 0 || rule.capabilities.includes(call.capability)) &&
    (rule.operations.length === 0 || rule.operations.includes(method)) &&
    (rule.tags.length === 0 || rule.tags.some((t) => call.tags.includes(t))) &&
    resourceMatches(rule.resource, { url: call.url.split("?")[0] as string, tool: call.tool })
  );
}

/** The approval rule for `call`, with the policy it comes from; undefined when none matches. */
export async function findApprovalRule(
  store: Store,
  ws: string,
  call: RoutedCall,
): Promise<{ policy: string; rule: ApprovalRule } | undefined> {
  const agent = await store.getResource(ws, "agent", call.agent);
  if (!agent) return undefined;
  for (const name of boundPolicyNames(agent.doc)) {
    const record = await store.getResource(ws, "policy", name);
    const spec = record ? validatePolicySpec(record.doc.spec) : undefined;
    if (!spec?.ok) continue;
    const rule = spec.spec.approvals.find((r) => approvalRuleMatches(r, call));
    if (rule) return { policy: name, rule };
  }
  return undefined;
}

/** The rule a stored request falls under now (its delivery, its approvers); none without an agent. */
export async function findRequestRule(
  store: Store,
  ws: string,
  request: Pick<AccessRequest, "agent_id" | "tool_id" | "tool_method" | "tool_url" | "capability">,
): Promise<{ policy: string; rule: ApprovalRule } | undefined> {
  if (!request.agent_id) return undefined;
  return findApprovalRule(store, ws, {
    agent: request.agent_id,
    tool: request.tool_id,
    method: request.tool_method,
    url: request.tool_url,
    capability: request.capability,
    tags: await toolTags(store, ws, request.tool_id),
  });
}

async function toolTags(store: Store, ws: string, tool: string): Promise<string[]> {
  const record = await store.getResource(ws, "tool", tool);
  const spec = record?.doc.spec as { riskTags?: unknown } | undefined;
  return Array.isArray(spec?.riskTags) ? spec.riskTags.filter((t): t is string => typeof t === "string") : [];
}
