import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

const SPEC = {
  host: "agents.example.com",
  identityProvider: {
    issuer: "https://login.example.com/",
    jwksUri: "https://login.example.com/.well-known/jwks.json",
    audiences: ["runagents"],
  },
  userIDClaim: "email",
  allowedDomains: ["example.com"],
};

describe("identity providers API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("creates with 201, updates the same name with 200, and answers camelCase", async () => {
    const first = await platform.call("POST", "/identity-providers", { name: "corp-sso", spec: SPEC });
    assert.equal(first.status, 201);
    const idp = first.json as Record<string, any>;
    assert.equal(idp.name, "corp-sso");
    assert.equal(idp.namespace, "default");
    assert.deepEqual(idp.spec, SPEC);
    assert.match(idp.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const second = await platform.call("POST", "/identity-providers", {
      name: "corp-sso",
      spec: { ...SPEC, userIDClaim: "sub" },
    });
    assert.equal(second.status, 200);
    assert.equal((second.json as any).spec.userIDClaim, "sub");
    const got = await platform.call("GET", "/identity-providers/corp-sso");
    assert.equal(got.status, 200);
    assert.equal((got.json as any).spec.userIDClaim, "sub");
  });

  it("accepts snake_case input and a spec given at the top level", async () => {
    const res = await platform.call("POST", "/identity-providers", {
      name: "snake",
      host: "h.example.com",
      identity_provider: { issuer: "https://i.example", jwks_uri: "https://i.example/jwks" },
      user_id_claim: "sub",
      allowed_domains: ["a.example"],
    });
    assert.equal(res.status, 201);
    assert.deepEqual((res.json as any).spec, {
      host: "h.example.com",
      identityProvider: { issuer: "https://i.example", jwksUri: "https://i.example/jwks", audiences: [] },
      userIDClaim: "sub",
      allowedDomains: ["a.example"],
    });
  });

  it("lists identity providers as a bare array", async () => {
    const res = await platform.call("GET", "/identity-providers");
    assert.equal(res.status, 200);
    assert.ok(Array.isArray(res.json));
    assert.deepEqual(
      (res.json as any[]).map((i) => i.name),
      ["corp-sso", "snake"],
    );
  });

  it("rejects a missing required field with 400 naming its path", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ spec: SPEC }, "name is required"],
      [{ name: "x", spec: { ...SPEC, host: "" } }, "spec.host is required"],
      [
        { name: "x", spec: { ...SPEC, identityProvider: { jwksUri: "https://j" } } },
        "spec.identityProvider.issuer is required",
      ],
      [
        { name: "x", spec: { ...SPEC, identityProvider: { issuer: "i" } } },
        "spec.identityProvider.jwksUri is required",
      ],
      [
        { name: "x", spec: { ...SPEC, identityProvider: { issuer: "i", jwksUri: "ftp://j" } } },
        "spec.identityProvider.jwksUri must be an absolute http(s) URL",
      ],
      [{ name: "x", spec: { ...SPEC, userIDClaim: undefined } }, "spec.userIDClaim is required"],
      [
        { name: "x", spec: { ...SPEC, allowedDomains: "example.com" } },
        "spec.allowedDomains must be a list of strings",
      ],
      [{ name: "x", spec: "nope" }, "spec must be an object"],
    ];
    for (const [body, error] of cases) {
      const res = await platform.call("POST", "/identity-providers", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.json, { error });
    }
  });

  it("answers 404 with the contract's message, and deletes once", async () => {
    const missing = await platform.call("GET", "/identity-providers/nope");
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'identity provider "nope" not found' });
    const del = await platform.call("DELETE", "/identity-providers/snake");
    assert.equal(del.status, 200);
    assert.deepEqual(del.json, { status: "deleted" });
    const again = await platform.call("DELETE", "/identity-providers/snake");
    assert.equal(again.status, 404);
    assert.deepEqual(again.json, { error: 'identity provider "snake" not found' });
  });
});
