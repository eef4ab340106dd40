import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { normalizePolicyDocument } from "../../src/client/policies.js";
import { APIError } from "../../src/index.js";
import { clientFor, serve } from "../helpers/recording-server.js";

const SPEC = {
  policies: [{ permission: "allow", operations: ["GET"], resource: "https://crm/*", tags: ["pii"] }],
};
const WIRE_POLICY = {
  name: "crm-read",
  namespace: "default",
  spec: {
    ...SPEC,
    approvals: [
      {
        name: "refunds",
        toolIds: ["pay"],
        approvers: { groups: ["ops"], match: "any" },
        defaultDuration: "4h",
        delivery: { connectors: ["slack"], mode: "all", fallbackToUI: true },
      },
    ],
  },
  status: { ready: true, message: "ok" },
  used_by: [{ name: "bot", namespace: "default" }],
};

describe("policy document normalisation", () => {
  test("takes spec from a spec key, else the whole document, and the name from the override or document", () => {
    assert.deepEqual(normalizePolicyDocument({ name: "p", spec: SPEC }), { name: "p", spec: SPEC });
    assert.deepEqual(normalizePolicyDocument({ name: "p", spec: SPEC }, " q "), { name: "q", spec: SPEC });
    assert.deepEqual(normalizePolicyDocument({ name: " p ", ...SPEC }), {
      name: "p",
      spec: { name: " p ", ...SPEC },
    });
  });

  test("requires a name and an object spec", () => {
    assert.throws(() => normalizePolicyDocument({ spec: SPEC }), {
      code: "VALIDATION_ERROR",
      message: "policy name is required",
    });
    assert.throws(() => normalizePolicyDocument({ name: "p", spec: [1] }), {
      code: "VALIDATION_ERROR",
      message: "policy spec must be an object",
    });
    assert.throws(() => normalizePolicyDocument([]), { message: "policy document must be an object" });
  });
});

describe("policies on the wire", () => {
  test("list and get parse Policy objects", async (t) => {
    const server = await serve(t);
    server.reply({ json: [WIRE_POLICY] }, { json: WIRE_POLICY });
    const client = clientFor(server);
    const [listed] = await client.policies.list();
    const policy = await client.policies.get("crm-read");
    assert.deepEqual(server.calls(), ["GET /api/v1/policies", "GET /api/v1/policies/crm-read"]);
    assert.deepEqual(listed, policy);
    assert.deepEqual(policy, {
      name: "crm-read",
      namespace: "default",
      spec: {
        policies: [{ permission: "allow", operations: ["GET"], resource: "https://crm/*", tags: ["pii"] }],
        approvals: [
          {
            name: "refunds",
            toolIds: ["pay"],
            capabilities: [],
            operations: [],
            resource: "",
            tags: [],
            approvers: { groups: ["ops"], match: "any" },
            defaultDuration: "4h",
            delivery: { connectors: ["slack"], mode: "all", fallbackToUI: true },
          },
        ],
      },
      status: { ready: true, message: "ok" },
      usedBy: [{ name: "bot", namespace: "default" }],
    });
  });

  test("apply creates with POST /policies when GET answers 404", async (t) => {
    const server = await serve(t);
    server.reply({ status: 404, json: { error: "policy not found" } }, { status: 201, json: WIRE_POLICY });
    const policy = await clientFor(server).policies.apply({ name: "crm-read", spec: SPEC });
    assert.equal(policy.name, "crm-read");
    assert.deepEqual(server.calls(), ["GET /api/v1/policies/crm-read", "POST /api/v1/policies"]);
    assert.deepEqual(server.requests[1]?.json, { name: "crm-read", spec: SPEC });
  });

  test("apply updates with PUT /policies/{name} when the policy exists", async (t) => {
    const server = await serve(t);
    server.reply({ json: WIRE_POLICY }, { json: WIRE_POLICY });
    await clientFor(server).policies.apply(SPEC, "crm read");
    assert.deepEqual(server.calls(), ["GET /api/v1/policies/crm%20read", "PUT /api/v1/policies/crm%20read"]);
    assert.deepEqual(server.requests[1]?.json, { name: "crm read", spec: SPEC });
  });

  test("apply re-raises any other GET error and writes nothing", async (t) => {
    const server = await serve(t);
    server.reply({ status: 500, json: { error: "db down" } });
    await assert.rejects(
      clientFor(server).policies.apply({ name: "p", spec: SPEC }),
      (e: unknown) => e instanceof APIError && e.status === 500,
    );
    assert.deepEqual(server.calls(), ["GET /api/v1/policies/p"]);
  });

  test("delete and translate", async (t) => {
    const server = await serve(t);
    server.reply({ json: { status: "deleted" } }, { json: { rules: SPEC.policies } }, { json: "no rules" });
    const client = clientFor(server);
    assert.deepEqual(await client.policies.delete("p"), { status: "deleted" });
    assert.deepEqual(await client.policies.translate("allow reads on crm"), SPEC.policies);
    assert.deepEqual(await client.policies.translate("x"), []);
    assert.deepEqual(server.calls(), [
      "DELETE /api/v1/policies/p",
      "POST /api/v1/policies/translate",
      "POST /api/v1/policies/translate",
    ]);
    assert.deepEqual(server.requests[1]?.json, { text: "allow reads on crm" });
  });
});
