import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { normalizeIdentityProviderDocument } from "../../src/client/identity-providers.js";
import { clientFor, serve } from "../helpers/recording-server.js";

const SPEC = {
  host: " app.example.com ",
  identityProvider: { issuer: "https://idp/", jwksUri: "https://idp/jwks", audiences: ["api"] },
  userIDClaim: "email",
  allowedDomains: ["example.com"],
};

describe("identity provider apply", () => {
  test("posts the normalised {name, spec} to /identity-providers", async (t) => {
    const server = await serve(t);
    server.reply({ status: 201, json: { name: "okta", namespace: "default", spec: SPEC } });
    const idp = await clientFor(server).identityProviders.apply({ name: "okta", spec: SPEC, extra: 1 });
    assert.equal(server.only().url, "/api/v1/identity-providers");
    assert.equal(server.only().method, "POST");
    assert.deepEqual(server.only().json, {
      name: "okta",
      spec: {
        host: "app.example.com",
        identityProvider: { issuer: "https://idp/", jwksUri: "https://idp/jwks", audiences: ["api"] },
        userIDClaim: "email",
        allowedDomains: ["example.com"],
      },
    });
    assert.deepEqual(idp, {
      name: "okta",
      namespace: "default",
      spec: {
        host: " app.example.com ",
        identityProvider: { issuer: "https://idp/", jwksUri: "https://idp/jwks", audiences: ["api"] },
        userIdClaim: "email",
        allowedDomains: ["example.com"],
      },
    });
  });

  test("accepts a document without a spec wrapper and an override name; omits empty lists", () => {
    const document = {
      name: "ignored",
      ...SPEC,
      identityProvider: { ...SPEC.identityProvider, audiences: [] },
      allowedDomains: [],
    };
    assert.deepEqual(normalizeIdentityProviderDocument(document, " auth0 "), {
      name: "auth0",
      spec: {
        host: "app.example.com",
        identityProvider: { issuer: "https://idp/", jwksUri: "https://idp/jwks" },
        userIDClaim: "email",
      },
    });
  });

  const missing: [string, Record<string, unknown>][] = [
    ["name", { spec: SPEC }],
    ["spec.host", { name: "n", spec: { ...SPEC, host: " " } }],
    ["spec.identityProvider.issuer", { name: "n", spec: { ...SPEC, identityProvider: { jwksUri: "j" } } }],
    [
      "spec.identityProvider.jwksUri",
      { name: "n", spec: { ...SPEC, identityProvider: { issuer: "i", jwks_uri: "j" } } },
    ],
    ["spec.userIDClaim", { name: "n", spec: { ...SPEC, userIDClaim: undefined, user_id_claim: "email" } }],
  ];
  for (const [path, document] of missing) {
    test(`requires ${path}`, async (t) => {
      const server = await serve(t);
      await assert.rejects(clientFor(server).identityProviders.apply(document), {
        code: "VALIDATION_ERROR",
        message: `identity provider ${path} is required`,
      });
      assert.equal(server.requests.length, 0);
    });
  }

  test("list, get (camelCase or snake_case wire) and delete", async (t) => {
    const server = await serve(t);
    const snake = {
      name: "s",
      spec: {
        host: "h",
        identity_provider: { issuer: "i", jwks_uri: "j" },
        user_id_claim: "sub",
        allowed_domains: ["d"],
      },
    };
    server.reply(
      { json: [snake] },
      { json: { metadata: { name: "m" }, spec: SPEC } },
      { json: { status: "deleted" } },
    );
    const client = clientFor(server);
    const [listed] = await client.identityProviders.list();
    assert.deepEqual(listed?.spec, {
      host: "h",
      identityProvider: { issuer: "i", jwksUri: "j", audiences: [] },
      userIdClaim: "sub",
      allowedDomains: ["d"],
    });
    assert.equal((await client.identityProviders.get("m")).name, "m");
    assert.deepEqual(await client.identityProviders.delete("m"), { status: "deleted" });
    assert.deepEqual(server.calls(), [
      "GET /api/v1/identity-providers",
      "GET /api/v1/identity-providers/m",
      "DELETE /api/v1/identity-providers/m",
    ]);
  });
});
