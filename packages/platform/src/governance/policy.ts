/**
 * @module
 * Policy documents: validation + normalisation of a `spec` (platform-and-cli A5, api-contract
 * §3.11), and rule matching / evaluation for the egress.
 *
 * Normal form: `operations` upper-cased and deduplicated (`[]` or `["*"]` = every method), a
 * missing or empty `resource` becomes `"*"` (every resource), missing lists become `[]`.
 * Approval rules keep the wire camelCase; `tool_ids`, `default_duration` and `fallback_to_ui` are
 * accepted as aliases. A missing `defaultDuration` is `""` (the approval falls back to the tool's
 * or the platform default), `approvers` defaults to `{groups: [], match: "any", allowSelfApproval:
 * false}`, `delivery.mode`
 * to `first_success` and `delivery.fallbackToUI` to `true`. Unknown keys are ignored.
 *
 * Resources: a pattern containing `://` is matched against the request URL; any other pattern is a
 * tool name (`stripe-api`) matched against the request's tool. Both match exactly, or by prefix
 * when the pattern ends with `*` (the only wildcard allowed); `https://h/*` also matches `https://h`.
 */

export type Permission = "allow" | "deny" | "approval_required";

export interface PolicyRule {
  permission: Permission;
  /** Upper-case HTTP methods; empty = all. */
  operations: string[];
  /** URL pattern or tool name; `*` only as a trailing wildcard; `"*"` = everything. */
  resource: string;
  /** Tool risk tags; the rule matches when any is on the tool. Empty = any tool. */
  tags: string[];
}

export interface ApprovalRule {
  name: string;
  toolIds: string[];
  capabilities: string[];
  operations: string[];
  resource: string;
  tags: string[];
  /**
   * Who may decide requests under this rule: members of any (or all) of `groups`; nobody named
   * means any operator or admin. The end user a request was made for may approve it only with
   * `allowSelfApproval`.
   */
  approvers: { groups: string[]; match: "any" | "all"; allowSelfApproval: boolean };
  defaultDuration: string;
  delivery?: { connectors: string[]; mode: "first_success" | "all"; fallbackToUI: boolean };
}

export interface PolicySpec {
  policies: PolicyRule[];
  approvals: ApprovalRule[];
}

export type PolicySpecValidation = { ok: true; spec: PolicySpec } | { ok: false; error: string };

/** What the egress knows about a call. `tool` is needed for rules whose resource is a tool name. */
export interface PolicyRequest {
  method: string;
  url: string;
  tags?: readonly string[];
  tool?: string;
}

export interface PolicyEvaluation {
  decision: Permission;
  /** Every matching rule, in the given order. */
  matched: PolicyRule[];
}

export const PERMISSIONS: readonly Permission[] = ["allow", "deny", "approval_required"];
export const HTTP_METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "TRACE"];
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;

class SpecError extends Error {}

/** Validates and normalises a policy spec (or a `{kind, metadata, spec}` document wrapping one). */
export function validatePolicySpec(spec: unknown): PolicySpecValidation {
  try {
    const body = unwrapDocument(spec);
    const root = asObject(body, "spec");
    return {
      ok: true,
      spec: {
        policies: asArray(root.policies, "spec.policies").map((rule, i) =>
          toPolicyRule(rule, `spec.policies[${i}]`),
        ),
        approvals: asArray(root.approvals, "spec.approvals").map((rule, i) =>
          toApprovalRule(rule, `spec.approvals[${i}]`),
        ),
      },
    };
  } catch (error) {
    if (error instanceof SpecError) return { ok: false, error: error.message };
    return { ok: false, error: "spec is not a valid policy spec" };
  }
}

/** Whether `rule` applies to `request` (method, tags and resource all match). */
export function ruleMatches(rule: PolicyRule, request: PolicyRequest): boolean {
  const method = request.method.toUpperCase();
  if (rule.operations.length > 0 && !rule.operations.some((op) => op.toUpperCase() === method)) return false;
  if (rule.tags.length > 0 && !rule.tags.some((tag) => request.tags?.includes(tag) === true)) return false;
  return resourceMatches(rule.resource, request);
}

/** Whether a resource pattern covers the request's URL (pattern with `://`) or tool name (without). */
export function resourceMatches(pattern: string, request: Pick<PolicyRequest, "url" | "tool">): boolean {
  if (pattern === "" || pattern === "*") return true;
  const target = pattern.includes("://") ? request.url : (request.tool ?? "");
  if (target === "") return false;
  if (!pattern.endsWith("*")) return target === pattern;
  const prefix = pattern.slice(0, -1);
  return target.startsWith(prefix) || (prefix.endsWith("/") && target === prefix.slice(0, -1));
}

/** deny > approval_required > allow > default deny. */
export function evaluateRules(rules: readonly PolicyRule[], request: PolicyRequest): PolicyEvaluation {
  const matched = rules.filter((rule) => ruleMatches(rule, request));
  const has = (permission: Permission): boolean => matched.some((rule) => rule.permission === permission);
  const decision: Permission = has("deny")
    ? "deny"
    : has("approval_required")
      ? "approval_required"
      : has("allow")
        ? "allow"
        : "deny";
  return { decision, matched };
}

function unwrapDocument(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const isWrapper = "spec" in record && !("policies" in record) && !("approvals" in record);
  return isWrapper ? record.spec : value;
}

function toPolicyRule(value: unknown, path: string): PolicyRule {
  const rule = asObject(value, path);
  const permission = typeof rule.permission === "string" ? rule.permission.trim().toLowerCase() : "";
  if (!isPermission(permission)) {
    throw new SpecError(`${path}.permission must be one of ${PERMISSIONS.join(", ")}`);
  }
  return {
    permission,
    operations: toOperations(rule.operations, `${path}.operations`),
    resource: toResource(rule.resource, `${path}.resource`),
    tags: toStrings(rule.tags, `${path}.tags`),
  };
}

function toApprovalRule(value: unknown, path: string): ApprovalRule {
  const rule = asObject(value, path);
  if (typeof rule.name !== "string" || rule.name.trim() === "") {
    throw new SpecError(`${path}.name must be a non-empty string`);
  }
  const approvers = rule.approvers === undefined ? {} : asObject(rule.approvers, `${path}.approvers`);
  const match = approvers.match ?? "any";
  if (match !== "any" && match !== "all")
    throw new SpecError(`${path}.approvers.match must be one of any, all`);
  const allowSelfApproval = approvers.allowSelfApproval ?? approvers.allow_self_approval ?? false;
  if (typeof allowSelfApproval !== "boolean") {
    throw new SpecError(`${path}.approvers.allowSelfApproval must be true or false`);
  }
  const duration = rule.defaultDuration ?? rule.default_duration ?? "";
  if (typeof duration !== "string" || (duration !== "" && !DURATION.test(duration))) {
    throw new SpecError(`${path}.defaultDuration must be a duration such as 30m, 4h or 1h30m`);
  }
  const normalised: ApprovalRule = {
    name: rule.name.trim(),
    toolIds: toStrings(rule.toolIds ?? rule.tool_ids, `${path}.toolIds`),
    capabilities: toStrings(rule.capabilities, `${path}.capabilities`),
    operations: toOperations(rule.operations, `${path}.operations`),
    resource: toResource(rule.resource, `${path}.resource`),
    tags: toStrings(rule.tags, `${path}.tags`),
    approvers: {
      groups: toStrings(approvers.groups, `${path}.approvers.groups`),
      match,
      allowSelfApproval,
    },
    defaultDuration: duration,
  };
  if (rule.delivery !== undefined) normalised.delivery = toDelivery(rule.delivery, `${path}.delivery`);
  return normalised;
}

function toDelivery(value: unknown, path: string): NonNullable<ApprovalRule["delivery"]> {
  const delivery = asObject(value, path);
  const mode = delivery.mode ?? "first_success";
  if (mode !== "first_success" && mode !== "all") {
    throw new SpecError(`${path}.mode must be one of first_success, all`);
  }
  const fallback = delivery.fallbackToUI ?? delivery.fallback_to_ui ?? true;
  if (typeof fallback !== "boolean") throw new SpecError(`${path}.fallbackToUI must be a boolean`);
  return { connectors: toStrings(delivery.connectors, `${path}.connectors`), mode, fallbackToUI: fallback };
}

function toOperations(value: unknown, path: string): string[] {
  const methods: string[] = [];
  for (const [i, item] of asArray(value, path).entries()) {
    const method = typeof item === "string" ? item.trim().toUpperCase() : "";
    if (method === "*") return [];
    if (!HTTP_METHODS.includes(method)) {
      throw new SpecError(`${path}[${i}] must be an HTTP method (${HTTP_METHODS.join(", ")}) or "*"`);
    }
    if (!methods.includes(method)) methods.push(method);
  }
  return methods;
}

function toResource(value: unknown, path: string): string {
  if (value === undefined || value === null) return "*";
  if (typeof value !== "string") throw new SpecError(`${path} must be a string`);
  const resource = value.trim();
  if (resource === "") return "*";
  if (/\s/.test(resource)) throw new SpecError(`${path} must not contain whitespace`);
  const star = resource.indexOf("*");
  if (star >= 0 && star !== resource.length - 1) {
    throw new SpecError(`${path} may contain "*" only as a trailing wildcard`);
  }
  return resource;
}

function toStrings(value: unknown, path: string): string[] {
  const out: string[] = [];
  for (const [i, item] of asArray(value, path).entries()) {
    if (typeof item !== "string" || item.trim() === "")
      throw new SpecError(`${path}[${i}] must be a non-empty string`);
    if (!out.includes(item.trim())) out.push(item.trim());
  }
  return out;
}

function asArray(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new SpecError(`${path} must be an array`);
  return value;
}

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SpecError(`${path} must be an object`);
  }
  return value as Record<string, unknown>;
}

function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
