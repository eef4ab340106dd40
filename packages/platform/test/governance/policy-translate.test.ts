import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type PolicyRule, validatePolicySpec } from "../../src/governance/policy.js";
import { translatePolicyText } from "../../src/governance/policy-translate.js";

const WRITES = ["POST", "PUT", "PATCH", "DELETE"];
const READS = ["GET", "HEAD", "OPTIONS"];

const rule = (
  permission: PolicyRule["permission"],
  operations: string[],
  resource: string,
  tags: string[] = [],
) => ({
  permission,
  operations,
  resource,
  tags,
});

describe("translatePolicyText", () => {
  const examples: [string, PolicyRule[]][] = [
    ["allow GET on https://api.example.com/*", [rule("allow", ["GET"], "https://api.example.com/*")]],
    ["require approval for POST to stripe-api", [rule("approval_required", ["POST"], "stripe-api")]],
    ["deny DELETE", [rule("deny", ["DELETE"], "*")]],
    ["allow all requests to https://api.github.com/*", [rule("allow", [], "https://api.github.com/*")]],
    ["block writes to https://api.stripe.com/*", [rule("deny", WRITES, "https://api.stripe.com/*")]],
    ["Let the agent read from github", [rule("allow", READS, "github")]],
    [
      "permit GET, POST on api.stripe.com/v1/*",
      [rule("allow", ["GET", "POST"], "https://api.stripe.com/v1/*")],
    ],
    ["forbid deletes on api.github.com", [rule("deny", ["DELETE"], "https://api.github.com/*")]],
    ["never delete on 'stripe-api'", [rule("deny", ["DELETE"], "stripe-api")]],
    ["approve POST to crm", [rule("approval_required", ["POST"], "crm")]],
    ["stripe-api writes need approval", [rule("approval_required", WRITES, "stripe-api")]],
    ["github reads are allowed", [rule("allow", READS, "github")]],
    ["require approval for writes", [rule("approval_required", WRITES, "*")]],
    [
      "require human approval for writes to tools tagged financial and pii",
      [rule("approval_required", WRITES, "*", ["financial", "pii"])],
    ],
    [
      "don't allow writes to crm and billing-api",
      [rule("deny", WRITES, "crm"), rule("deny", WRITES, "billing-api")],
    ],
    [
      "allow GET on https://example.com/a without approval",
      [rule("allow", ["GET"], "https://example.com/a")],
    ],
    ["deny everything", [rule("deny", [], "*")]],
  ];
  for (const [text, rules] of examples) {
    it(`translates "${text}"`, () => {
      assert.deepEqual(translatePolicyText(text), { rules });
    });
  }

  it("turns several sentences separated by '.', ';' or newlines into several rules", () => {
    const text =
      "Allow GET on https://api.example.com/v1/*. Deny DELETE; require approval for POST to stripe-api\npermit reads from crm.";
    assert.deepEqual(translatePolicyText(text), {
      rules: [
        rule("allow", ["GET"], "https://api.example.com/v1/*"),
        rule("deny", ["DELETE"], "*"),
        rule("approval_required", ["POST"], "stripe-api"),
        rule("allow", READS, "crm"),
      ],
    });
  });

  it("produces rules that validate as a policy spec unchanged", () => {
    const translated = translatePolicyText(
      "block writes to https://api.stripe.com/*; allow GET on github-api",
    );
    assert.ok("rules" in translated);
    assert.deepEqual(validatePolicySpec({ policies: translated.rules }), {
      ok: true,
      spec: { policies: translated.rules, approvals: [] },
    });
  });

  it("names the sentence it could not understand", () => {
    assert.deepEqual(translatePolicyText("allow GET on crm. hello world"), {
      error:
        'could not understand "hello world": no permission verb (allow, deny/block, or require approval)',
    });
    assert.deepEqual(translatePolicyText("allow"), {
      error:
        'could not understand "allow": say which requests it covers (a method such as GET, reads, writes, or all requests) or a resource',
    });
    assert.deepEqual(translatePolicyText("allow GET on https://*.example.com/x"), {
      error:
        'could not understand "allow GET on https://*.example.com/x": "*" is only supported at the end of a resource (https://*.example.com/x)',
    });
  });

  it("rejects empty, oversized and non-string text without throwing", () => {
    const empty = {
      error: 'text is empty: describe at least one rule, e.g. "allow GET on https://api.example.com/*"',
    };
    assert.deepEqual(translatePolicyText(""), empty);
    assert.deepEqual(translatePolicyText(" ;\n. "), empty);
    assert.deepEqual(translatePolicyText("x".repeat(20_001)), {
      error: "text is longer than 20000 characters",
    });
    assert.deepEqual(translatePolicyText(42 as unknown as string), { error: "text must be a string" });
    assert.doesNotThrow(() => translatePolicyText("\u0000\uffff ))((** allow ** ''' \\ to to to"));
  });
});
