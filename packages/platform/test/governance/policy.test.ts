import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  evaluateRules,
  type PolicyRule,
  resourceMatches,
  ruleMatches,
  validatePolicySpec,
} from "../../src/governance/policy.js";

const rule = (overrides: Partial<PolicyRule>): PolicyRule => ({
  permission: "allow",
  operations: [],
  resource: "*",
  tags: [],
  ...overrides,
});

describe("validatePolicySpec", () => {
  it("normalises rules: upper-case unique methods, default resource and empty lists", () => {
    const result = validatePolicySpec({
      policies: [
        { permission: "allow", resource: "https://api.stripe.com/*", operations: ["get", "POST", "get"] },
        { permission: "Deny", operations: ["*"], tags: ["financial"] },
        { permission: "approval_required", resource: "  " },
      ],
    });
    assert.deepEqual(result, {
      ok: true,
      spec: {
        policies: [
          {
            permission: "allow",
            operations: ["GET", "POST"],
            resource: "https://api.stripe.com/*",
            tags: [],
          },
          { permission: "deny", operations: [], resource: "*", tags: ["financial"] },
          { permission: "approval_required", operations: [], resource: "*", tags: [] },
        ],
        approvals: [],
      },
    });
  });

  it("normalises approval rules with defaults and snake_case aliases", () => {
    const result = validatePolicySpec({
      approvals: [
        {
          name: "financial-posts",
          tool_ids: ["calendar"],
          operations: ["post"],
          resource: "https://api.stripe.com/*",
          tags: ["financial"],
          approvers: { groups: ["finance-approvers"], match: "all" },
          defaultDuration: "4h",
          delivery: { connectors: ["slack-finance"], mode: "all", fallback_to_ui: false },
        },
        { name: "minimal" },
      ],
    });
    assert.deepEqual(result, {
      ok: true,
      spec: {
        policies: [],
        approvals: [
          {
            name: "financial-posts",
            toolIds: ["calendar"],
            capabilities: [],
            operations: ["POST"],
            resource: "https://api.stripe.com/*",
            tags: ["financial"],
            approvers: { groups: ["finance-approvers"], match: "all", allowSelfApproval: false },
            defaultDuration: "4h",
            delivery: { connectors: ["slack-finance"], mode: "all", fallbackToUI: false },
          },
          {
            name: "minimal",
            toolIds: [],
            capabilities: [],
            operations: [],
            resource: "*",
            tags: [],
            approvers: { groups: [], match: "any", allowSelfApproval: false },
            defaultDuration: "",
          },
        ],
      },
    });
  });

  it("accepts a whole Policy document and reads its spec", () => {
    const result = validatePolicySpec({
      apiVersion: "platform.ai/v1alpha1",
      kind: "Policy",
      metadata: { name: "payments-access" },
      spec: { policies: [{ permission: "deny", operations: ["DELETE"] }] },
    });
    assert.deepEqual(result, {
      ok: true,
      spec: {
        policies: [{ permission: "deny", operations: ["DELETE"], resource: "*", tags: [] }],
        approvals: [],
      },
    });
  });

  it("names the field path in every error", () => {
    const cases: [unknown, string][] = [
      [null, "spec must be an object"],
      [{ policies: {} }, "spec.policies must be an array"],
      [{ policies: ["allow"] }, "spec.policies[0] must be an object"],
      [
        { policies: [{ permission: "allow" }, { permission: "maybe" }] },
        "spec.policies[1].permission must be one of allow, deny, approval_required",
      ],
      [{ policies: [{}] }, "spec.policies[0].permission must be one of allow, deny, approval_required"],
      [
        { policies: [{ permission: "allow", operations: "GET" }] },
        "spec.policies[0].operations must be an array",
      ],
      [
        { policies: [{ permission: "allow", operations: ["GET", "FETCH"] }] },
        'spec.policies[0].operations[1] must be an HTTP method (GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE, CONNECT, TRACE) or "*"',
      ],
      [{ policies: [{ permission: "allow", resource: 5 }] }, "spec.policies[0].resource must be a string"],
      [
        { policies: [{ permission: "allow", resource: "https://*.example.com/" }] },
        'spec.policies[0].resource may contain "*" only as a trailing wildcard',
      ],
      [
        { policies: [{ permission: "allow", resource: "https://a b" }] },
        "spec.policies[0].resource must not contain whitespace",
      ],
      [
        { policies: [{ permission: "allow", tags: ["ok", ""] }] },
        "spec.policies[0].tags[1] must be a non-empty string",
      ],
      [{ approvals: [{}] }, "spec.approvals[0].name must be a non-empty string"],
      [
        { approvals: [{ name: "a", toolIds: [1] }] },
        "spec.approvals[0].toolIds[0] must be a non-empty string",
      ],
      [{ approvals: [{ name: "a", approvers: [] }] }, "spec.approvals[0].approvers must be an object"],
      [
        { approvals: [{ name: "a", approvers: { match: "most" } }] },
        "spec.approvals[0].approvers.match must be one of any, all",
      ],
      [
        { approvals: [{ name: "a", defaultDuration: "4 hours" }] },
        "spec.approvals[0].defaultDuration must be a duration such as 30m, 4h or 1h30m",
      ],
      [
        { approvals: [{ name: "a", delivery: { mode: "some" } }] },
        "spec.approvals[0].delivery.mode must be one of first_success, all",
      ],
      [
        { approvals: [{ name: "a", delivery: { fallbackToUI: "yes" } }] },
        "spec.approvals[0].delivery.fallbackToUI must be a boolean",
      ],
    ];
    for (const [spec, error] of cases) assert.deepEqual(validatePolicySpec(spec), { ok: false, error });
  });
});

describe("ruleMatches and resourceMatches", () => {
  const call = {
    method: "post",
    url: "https://api.stripe.com/v1/charges",
    tags: ["financial"],
    tool: "stripe-api",
  };

  it("matches methods case-insensitively, and any method when operations is empty", () => {
    assert.equal(ruleMatches(rule({ operations: ["POST"] }), call), true);
    assert.equal(ruleMatches(rule({ operations: ["GET"] }), call), false);
    assert.equal(ruleMatches(rule({}), call), true);
  });

  it("matches when any rule tag is on the tool", () => {
    assert.equal(ruleMatches(rule({ tags: ["pii", "financial"] }), call), true);
    assert.equal(ruleMatches(rule({ tags: ["pii"] }), call), false);
    assert.equal(ruleMatches(rule({ tags: ["pii"] }), { method: "GET", url: call.url }), false);
  });

  it("matches URL patterns exactly or by trailing-* prefix, and tool names when there is no scheme", () => {
    assert.equal(resourceMatches("https://api.stripe.com/*", call), true);
    assert.equal(resourceMatches("https://api.stripe.com/*", { url: "https://api.stripe.com" }), true);
    assert.equal(resourceMatches("https://api.stripe.com/v1/charges", call), true);
    assert.equal(resourceMatches("https://api.stripe.com/v1", call), false);
    assert.equal(resourceMatches("https://api.stripe.com.evil.io/*", call), false);
    assert.equal(resourceMatches("stripe-api", call), true);
    assert.equal(resourceMatches("stripe-*", call), true);
    assert.equal(resourceMatches("github-api", call), false);
    assert.equal(resourceMatches("stripe-api", { url: call.url }), false);
    assert.equal(resourceMatches("*", { url: "" }), true);
  });
});

describe("evaluateRules", () => {
  const call = { method: "DELETE", url: "https://api.github.com/repos/x", tags: [] };

  it("denies by default when nothing matches", () => {
    assert.deepEqual(evaluateRules([rule({ resource: "https://api.stripe.com/*" })], call), {
      decision: "deny",
      matched: [],
    });
  });

  it("applies deny > approval_required > allow and returns every matching rule", () => {
    const allow = rule({ resource: "https://api.github.com/*" });
    const approve = rule({ permission: "approval_required", operations: ["DELETE"] });
    const deny = rule({
      permission: "deny",
      operations: ["DELETE"],
      resource: "https://api.github.com/repos/*",
    });
    const other = rule({ permission: "deny", operations: ["GET"] });
    assert.deepEqual(evaluateRules([allow], call), { decision: "allow", matched: [allow] });
    assert.deepEqual(evaluateRules([allow, approve, other], call), {
      decision: "approval_required",
      matched: [allow, approve],
    });
    assert.deepEqual(evaluateRules([allow, approve, deny, other], call), {
      decision: "deny",
      matched: [allow, approve, deny],
    });
  });
});
