/**
 * End-user JWTs at the platform's front door: once an identity provider exists, a bearer token
 * that is not an API key is verified against the provider's JWKS (alg pinned to RS256 / ES256 /
 * EdDSA, iss, aud, exp/nbf with 30 s of skew, e-mail domain) before any route runs. An accepted
 * token shows as the 404 of an unknown approval request; a refused one as a 401 with the reason.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import {
  hmacWithPublicKey,
  type JwksServer,
  makeKey,
  mint,
  providerDoc,
  startJwksServer,
  type TestKey,
  unsignedToken,
} from "./idp.js";

const DOMAIN_ISSUER = "https://domains.example.test/";

describe("end-user JWT verification", () => {
  let p: TestPlatform;
  let jwks: JwksServer;
  let rsa: TestKey;
  let ec: TestKey;
  let ed: TestKey;
  const decide = (token: string, path = "/approvals/requests/nope/approve") =>
    p.call("POST", path, {}, { Authorization: `Bearer ${token}` });
  const refused = async (token: string, reason: string) => {
    const res = await decide(token);
    assert.equal(res.status, 401, res.text);
    assert.deepEqual(res.json, { error: `invalid end-user token: ${reason}` });
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer error="invalid_token"/);
  };

  before(async () => {
    rsa = makeKey("rsa-1", "RS256");
    ec = makeKey("ec-1", "ES256");
    ed = makeKey("ed-1", "EdDSA");
    jwks = await startJwksServer([rsa, ec, ed]);
    p = await startTestPlatform({ config: { jwksRefreshCooldownMs: 0 } });
    assert.equal((await p.call("POST", "/identity-providers", providerDoc("corp", jwks.uri))).status, 201);
    const domains = providerDoc("partners", jwks.uri, {
      issuer: DOMAIN_ISSUER,
      allowedDomains: ["Example.com"],
    });
    assert.equal((await p.call("POST", "/identity-providers", domains)).status, 201);
  });
  after(async () => {
    await p.destroy();
    await jwks.close();
  });

  it("accepts tokens signed with RS256, ES256 and EdDSA keys from the provider's JWKS", async () => {
    for (const key of [rsa, ec, ed]) {
      const res = await decide(await mint(key));
      assert.equal(res.status, 404, `${key.alg}: ${res.text}`);
    }
  });

  it("refuses an expired token, and accepts one expired within the 30 s clock skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await mint(rsa, { exp: now - 120 }), "token expired");
    assert.equal((await decide(await mint(rsa, { exp: now - 10 }))).status, 404);
  });

  it("refuses a token that is not valid yet, and one without an expiry", async () => {
    const now = Math.floor(Date.now() / 1000);
    await refused(await mint(rsa, { nbf: now + 600 }), "token not yet valid");
    await refused(await mint(rsa, { exp: undefined }), "token has no expiry (exp)");
  });

  it("refuses a token for another audience", async () => {
    await refused(await mint(rsa, { aud: "some-other-app" }), "bad audience");
  });

  it("refuses a token from an issuer no provider names", async () => {
    await refused(await mint(rsa, { iss: "https://evil.example.test/" }), "bad issuer");
  });

  it("refuses a token signed by a key the JWKS does not publish", async () => {
    const stranger = makeKey("stranger", "RS256");
    await refused(await mint(stranger), "unknown signing key");
  });

  it("refuses a token signed by an unpublished key under a published kid (bad signature)", async () => {
    const impostor = { ...makeKey("rsa-1", "RS256") };
    await refused(await mint(impostor), "bad signature");
  });

  it("never trusts a key embedded in the token header", async () => {
    const attacker = makeKey("attacker", "RS256");
    await refused(await mint(attacker, {}, { jwk: attacker.jwk }), "unknown signing key");
  });

  it('refuses alg "none"', async () => {
    await refused(unsignedToken(), 'unsupported algorithm "none": use RS256, ES256, EdDSA');
  });

  it("refuses HS256 signed with the provider's public key as the HMAC secret", async () => {
    await refused(hmacWithPublicKey(rsa), 'unsupported algorithm "HS256": use RS256, ES256, EdDSA');
  });

  it("refuses a malformed token", async () => {
    await refused("not-a-jwt", "malformed token");
    await refused("a.b.c", "malformed token");
  });

  it("enforces allowedDomains on the email claim (case-insensitive, verified e-mail only)", async () => {
    const partner = (claims: Record<string, unknown>) => mint(ec, { iss: DOMAIN_ISSUER, ...claims });
    assert.equal((await decide(await partner({ email: "ada@EXAMPLE.com" }))).status, 404);
    await refused(await partner({ email: "eve@evil.test" }), "email domain not allowed");
    await refused(await partner({ email: "eve@example.com.evil.test" }), "email domain not allowed");
    await refused(await partner({ email: undefined }), "email domain not allowed");
    await refused(
      await partner({ email: "ada@example.com", email_verified: false }),
      "email domain not allowed",
    );
  });

  it("refuses a token without the user claim", async () => {
    await refused(await mint(rsa, { sub: undefined }), 'token has no "sub" claim');
  });

  it("picks up a rotated key: a new kid refetches the JWKS the platform had cached", async () => {
    assert.equal((await decide(await mint(rsa))).status, 404);
    const before = jwks.fetches;
    const rotated = makeKey("rsa-2", "RS256");
    jwks.serve([rotated, ec, ed]);
    assert.equal((await decide(await mint(rotated))).status, 404);
    assert.equal(jwks.fetches, before + 1);
    jwks.serve([rsa, ec, ed]);
  });

  it("keeps end users away from management routes, even in the keyless loopback mode", async () => {
    const token = await mint(rsa);
    for (const [method, path] of [
      ["GET", "/agents"],
      ["POST", "/auth/api-keys"],
      ["GET", "/identity-providers"],
    ] as const) {
      const res = await p.call(method, path, method === "POST" ? { name: "sneaky" } : undefined, {
        Authorization: `Bearer ${token}`,
      });
      assert.equal(res.status, 401, `${method} ${path}: ${res.text}`);
      assert.match((res.json as { error: string }).error, /^this route needs a workspace API key/);
    }
  });

  it("writes no token into the logs", async () => {
    const token = await mint(rsa, { exp: Math.floor(Date.now() / 1000) - 600 });
    await decide(token);
    assert.ok(p.logs.length > 0);
    assert.ok(!p.logs.some((line) => line.includes(token.split(".")[2] as string)));
  });
});

describe("JWKS refetches on unknown kids", () => {
  it("are rate-limited: made-up kids fetch the key set once per cooldown", async () => {
    const key = makeKey("only", "ES256");
    const jwks = await startJwksServer([key]);
    const p = await startTestPlatform();
    try {
      await p.call("POST", "/identity-providers", providerDoc("corp", jwks.uri));
      assert.equal(
        (
          await p.call(
            "POST",
            "/approvals/requests/x/approve",
            {},
            { Authorization: `Bearer ${await mint(key)}` },
          )
        ).status,
        404,
      );
      for (let i = 0; i < 5; i++) {
        const forged = await mint(makeKey(`made-up-${i}`, "ES256"));
        const res = await p.call(
          "POST",
          "/approvals/requests/x/approve",
          {},
          { Authorization: `Bearer ${forged}` },
        );
        assert.deepEqual(res.json, { error: "invalid end-user token: unknown signing key" });
      }
      assert.equal(jwks.fetches, 1);
    } finally {
      await p.destroy();
      await jwks.close();
    }
  });
});
