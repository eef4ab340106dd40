import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

const SPEC = {
  policies: [
    { permission: "allow", resource: "https://api.stripe.com/*", operations: ["get"] },
    {
      permission: "approval_required",
      resource: "https://api.stripe.com/*",
      operations: ["POST"],
      tags: ["financial"],
    },
  ],
  approvals: [
    {
      name: "financial-posts",
      operations: ["POST"],
      approvers: { groups: ["finance-approvers"], match: "any" },
      defaultDuration: "4h",
      delivery: { connectors: ["slack-finance"], mode: "all", fallbackToUI: true },
    },
  ],
};

describe("policies API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("creates a policy with 201 and answers the normalised spec with status and used_by", async () => {
    const res = await platform.call("POST", "/policies", { name: "payments-access", spec: SPEC });
    assert.equal(res.status, 201);
    const p = res.json as Record<string, any>;
    assert.equal(p.name, "payments-access");
    assert.equal(p.namespace, "default");
    assert.deepEqual(p.status, { ready: true, message: "" });
    assert.deepEqual(p.used_by, []);
    assert.deepEqual(p.spec.policies[0], {
      permission: "allow",
      resource: "https://api.stripe.com/*",
      operations: ["GET"],
      tags: [],
    });
    assert.equal(p.spec.approvals[0].defaultDuration, "4h");
    assert.deepEqual(p.spec.approvals[0].delivery, {
      connectors: ["slack-finance"],
      mode: "all",
      fallbackToUI: true,
    });
    assert.ok(p.created_at && p.updated_at);
  });

  it("follows the SDK's apply flow: GET 404 → POST, then GET → PUT updates with 200", async () => {
    const missing = await platform.call("GET", "/policies/read-only");
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'policy "read-only" not found' });
    const spec = { policies: [{ permission: "allow", operations: ["GET"] }] };
    assert.equal((await platform.call("POST", "/policies", { name: "read-only", spec })).status, 201);
    const put = await platform.call("PUT", "/policies/read-only", {
      name: "read-only",
      spec: { policies: [{ permission: "deny", operations: ["DELETE"] }] },
    });
    assert.equal(put.status, 200);
    assert.equal((put.json as any).spec.policies[0].permission, "deny");
    assert.equal((put.json as any).spec.policies[0].resource, "*");
    const again = await platform.call("POST", "/policies", { name: "read-only", spec });
    assert.equal(again.status, 200, "POST of an existing name updates it");
    const list = (await platform.call("GET", "/policies")).json as any[];
    assert.deepEqual(
      list.map((p) => p.name),
      ["payments-access", "read-only"],
    );
  });

  it("PUT without a name in the body takes the path; a different name is 400; PUT of a new name creates", async () => {
    const noName = await platform.call("PUT", "/policies/read-only", { spec: { policies: [] } });
    assert.equal(noName.status, 200);
    const mismatch = await platform.call("PUT", "/policies/read-only", {
      name: "other",
      spec: { policies: [] },
    });
    assert.equal(mismatch.status, 400);
    assert.deepEqual(mismatch.json, {
      error: 'name "other" does not match the policy in the path ("read-only")',
    });
    const fresh = await platform.call("PUT", "/policies/brand-new", { spec: { policies: [] } });
    assert.equal(fresh.status, 201);
  });

  it("rejects invalid specs with the validator's message", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ spec: SPEC }, "policy name is required"],
      [{ name: "x" }, "spec is required"],
      [{ name: "x", spec: "allow all" }, "spec must be an object"],
      [
        { name: "x", spec: { policies: [{ permission: "maybe" }] } },
        "spec.policies[0].permission must be one of allow, deny, approval_required",
      ],
      [
        { name: "x", spec: { policies: [{ permission: "allow", resource: "https://*.example.com" }] } },
        'spec.policies[0].resource may contain "*" only as a trailing wildcard',
      ],
      [
        { name: "bad name!", spec: { policies: [] } },
        `invalid policy name "bad name!": use letters, digits, '.', '_' and '-', starting and ending with a letter or digit (at most 253 characters)`,
      ],
    ];
    for (const [body, error] of cases) {
      const res = await platform.call("POST", "/policies", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.json, { error });
    }
  });

  it("lists the agents that bind a policy in used_by and refuses to delete it while bound", async () => {
    await platform.store.putResource("default", "agent", "billing-agent", {
      name: "billing-agent",
      policies: ["payments-access"],
    });
    await platform.store.putResource("default", "agent", "other-agent", {
      name: "other-agent",
      policies: ["read-only"],
    });
    const got = (await platform.call("GET", "/policies/payments-access")).json as any;
    assert.deepEqual(got.used_by, [{ name: "billing-agent", namespace: "default" }]);
    const listed = (await platform.call("GET", "/policies")).json as any[];
    assert.deepEqual(listed.find((p) => p.name === "read-only").used_by, [
      { name: "other-agent", namespace: "default" },
    ]);

    const del = await platform.call("DELETE", "/policies/payments-access");
    assert.equal(del.status, 409);
    assert.deepEqual(del.json, {
      error:
        'policy "payments-access" is bound to agent(s) "billing-agent": remove it from their policies first',
    });
    await platform.store.deleteResource("default", "agent", "billing-agent");
    const ok = await platform.call("DELETE", "/policies/payments-access");
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { status: "deleted" });
    const gone = await platform.call("DELETE", "/policies/payments-access");
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.json, { error: 'policy "payments-access" not found' });
  });

  it("translates text to rules at /policies/translate (not a policy named translate)", async () => {
    const res = await platform.call("POST", "/policies/translate", {
      text: "Require approval for POST to api.stripe.com",
    });
    assert.equal(res.status, 200);
    const rules = (res.json as { rules: any[] }).rules;
    assert.equal(rules.length, 1);
    assert.equal(rules[0].permission, "approval_required");
    assert.deepEqual(rules[0].operations, ["POST"]);
    const missing = await platform.call("POST", "/policies/translate", {});
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json, { error: "text is required" });
    const nonsense = await platform.call("POST", "/policies/translate", { text: "hello there" });
    assert.equal(nonsense.status, 400);
    assert.equal(typeof (nonsense.json as { error: string }).error, "string");
  });
});
