/**
 * @module governance/decide
 * The decision for one governed tool call (platform-and-cli A5): the policies bound to the agent
 * (`spec.policies` on its document), deny > approval_required > allow > default deny, then the
 * tool's capabilities when it declares any, then — for `approval_required` — an approval grant
 * covering the call. The egress enforces the result; `POST /policies/evaluate` explains it.
 *
 * Deliberate choice where the contract is open: capabilities are checked for `approval_required`
 * too, before any approval request is created, so nobody is asked to approve an impossible call.
 * A call whose tool or agent is not registered is denied. Resources are matched against the URL
 * without its query string; tags are the tool's risk tags, the matched capability's, and any the
 * caller adds.
 */
import type { Doc, ResourceRecord, Store } from "../store/store.js";
import { type AccessRequest, findGrant } from "./approvals.js";
import { evaluateRules, type Permission, type PolicyRule, validatePolicySpec } from "./policy.js";
import { type Capability, matchCapability, type ToolInfo } from "./tool-info.js";

export interface CallInput {
  workspace: string;
  agent: string;
  tool: ToolInfo;
  method: string;
  /** The real upstream URL (tool base URL + the path and query the agent asked for). */
  url: URL;
  /** Extra risk tags for this call. */
  tags?: readonly string[];
}

export interface MatchedRule extends PolicyRule {
  policy: string;
  /** Position of the rule in its policy's `spec.policies`. */
  index: number;
}

export interface CapabilityCheck {
  /** False when the tool declares no capabilities (nothing to check). */
  checked: boolean;
  allowed: boolean;
  matched: Capability | null;
  path: string;
}

export type DenyCode = "POLICY_DENIED" | "CAPABILITY_DENIED";

export interface CallEvaluation {
  /** The decision before grants: `allow`, `deny` or `approval_required`. */
  decision: Permission;
  /** Set when the decision is `deny`. */
  code?: DenyCode;
  reason: string;
  /** Policy names bound to the agent, as listed on it. */
  policies: string[];
  /** Every rule that matched the call. */
  matched: MatchedRule[];
  /** The matched rules with the winning permission: the ones that produced the decision. */
  decisive: MatchedRule[];
  capability: CapabilityCheck;
  tags: string[];
}

const obj = (value: unknown): Doc =>
  value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Doc) : {};

/** Policy names an agent document binds (`spec.policies`, or a top-level `policies`). */
export function boundPolicyNames(doc: Doc): string[] {
  const names: string[] = [];
  for (const list of [obj(doc.spec).policies, doc.policies]) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const name = typeof item === "string" ? item : obj(item).name;
      if (typeof name === "string" && name.trim() !== "" && !names.includes(name.trim())) {
        names.push(name.trim());
      }
    }
  }
  return names;
}

/** Policy + capability decision for one call; reads the agent and its policies from the store. */
export async function evaluateCall(store: Store, input: CallInput): Promise<CallEvaluation> {
  const { tool, url } = input;
  const method = input.method.toUpperCase();
  const capabilityMatch = matchCapability(tool, method, url.pathname);
  const tags =
    (capabilityMatch?.riskTags.length ?? 0) + (input.tags?.length ?? 0) === 0
      ? tool.riskTags
      : [...new Set([...tool.riskTags, ...(capabilityMatch?.riskTags ?? []), ...(input.tags ?? [])])];
  const capability: CapabilityCheck = {
    checked: tool.capabilities.length > 0,
    allowed: tool.capabilities.length === 0 || capabilityMatch !== undefined,
    matched: capabilityMatch ?? null,
    path: url.pathname,
  };
  const agent = await store.readResource(input.workspace, "agent", input.agent);
  if (!agent) {
    return {
      decision: "deny",
      code: "POLICY_DENIED",
      reason: `agent ${input.agent} is not registered`,
      policies: [],
      matched: [],
      decisive: [],
      capability,
      tags,
    };
  }
  const policies = policyNamesOf(agent);
  const rules = await boundRules(store, input.workspace, policies);
  const target = `${url.origin}${url.pathname}`;
  const evaluation = evaluateRules(rules, { method, url: target, tags, tool: tool.name });
  const matched = evaluation.matched as MatchedRule[];
  const decisive = matched.filter((r) => r.permission === evaluation.decision);
  const result: CallEvaluation = {
    decision: evaluation.decision,
    reason: "",
    policies,
    matched,
    decisive,
    capability,
    tags,
  };
  if (evaluation.decision === "deny") {
    result.code = "POLICY_DENIED";
    result.reason =
      decisive.length > 0
        ? `denied by ${describe(decisive[0] as MatchedRule)}`
        : policies.length === 0
          ? `no policy is bound to agent ${input.agent}: default deny`
          : `no rule of the agent's policies (${policies.join(", ")}) allows ${method} ${target}: default deny`;
  } else if (!capability.allowed) {
    const declared = tool.capabilities.map((c) => `${c.method} ${c.path}`).join(", ");
    result.decision = "deny";
    result.code = "CAPABILITY_DENIED";
    result.reason = `tool ${tool.name} has no capability for ${method} ${url.pathname} (declared: ${declared})`;
  } else {
    const verb = evaluation.decision === "allow" ? "allowed" : "approval required";
    result.reason = `${verb} by ${describe(decisive[0] as MatchedRule)}`;
  }
  return result;
}

/**
 * The rule that decided a call, for the audit trail: `<policy>#<index>` of the first decisive
 * rule, `capability` when the tool's capabilities refused it, `default` when no rule matched.
 */
export function decidingRule(evaluation: CallEvaluation): string {
  if (evaluation.code === "CAPABILITY_DENIED") return "capability";
  const rule = evaluation.decisive[0];
  return rule ? `${rule.policy}#${rule.index}` : "default";
}

export interface GrantInput {
  workspace: string;
  agent: string;
  tool: string;
  userId: string;
  runId?: string;
  actionId?: string;
  method: string;
  /** The full upstream URL, query included, as a blocked action records it. */
  url: string;
  payloadHash?: string;
  now?: string;
}

/** The approved access request covering this call (see `findGrant` for the scopes), if any. */
export async function findCoveringGrant(store: Store, input: GrantInput): Promise<AccessRequest | undefined> {
  const requests = await store.listResources<AccessRequest>(input.workspace, "access_request");
  return findGrant(
    requests.map((r) => r.doc),
    {
      agentId: input.agent,
      userId: input.userId,
      toolId: input.tool,
      ...(input.runId ? { runId: input.runId } : {}),
      ...(input.actionId ? { actionId: input.actionId } : {}),
      now: input.now ?? new Date().toISOString(),
      method: input.method.toUpperCase(),
      url: input.url,
      ...(input.payloadHash ? { payloadHash: input.payloadHash } : {}),
    },
  );
}

// Derived once per shared (frozen, unchanged) record: see `Store.readResource`.
const namesByAgent = new WeakMap<ResourceRecord, string[]>();
const rulesByPolicy = new WeakMap<ResourceRecord, MatchedRule[]>();

function policyNamesOf(agent: ResourceRecord): string[] {
  let names = namesByAgent.get(agent);
  if (!names) {
    names = boundPolicyNames(agent.doc);
    namesByAgent.set(agent, names);
  }
  return names;
}

async function boundRules(store: Store, ws: string, names: readonly string[]): Promise<MatchedRule[]> {
  if (names.length === 1) {
    const record = await store.readResource(ws, "policy", names[0] as string);
    return record ? rulesOf(record) : []; // a missing policy allows nothing
  }
  const records = await Promise.all(names.map((name) => store.readResource(ws, "policy", name)));
  return records.flatMap((record) => (record ? rulesOf(record) : []));
}

/** Stored specs were validated on write; re-normalising guards against hand-edited documents. */
function rulesOf(record: ResourceRecord): MatchedRule[] {
  let rules = rulesByPolicy.get(record);
  if (!rules) {
    const result = validatePolicySpec(record.doc.spec);
    rules = (result.ok ? result.spec.policies : []).map((rule, index) => ({
      ...rule,
      policy: record.name,
      index,
    }));
    rulesByPolicy.set(record, rules);
  }
  return rules;
}

function describe(rule: MatchedRule): string {
  const ops = rule.operations.length > 0 ? rule.operations.join(",") : "*";
  const tags = rule.tags.length > 0 ? ` tags ${rule.tags.join(",")}` : "";
  return `policy ${rule.policy} rule ${rule.index} (${rule.permission} ${ops} ${rule.resource}${tags})`;
}
