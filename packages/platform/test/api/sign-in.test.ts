/**
 * Browser sign-in settings of identity providers and what a signed-in person may do with the
 * API: `spec.signIn` is validated (endpoints discovered from the issuer when not given), the
 * public `GET /sign-in` lists names and public endpoints only, the console page's CSP lets the
 * browser reach exactly the token endpoints' origins, a signed-in user lists only the approval
 * requests a rule names their group for and decides them as their verified subject, tokens from
 * another issuer or for another audience are refused in words; `GET /workspaces` lists the
 * workspaces, and a key bound to one sees only its own.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type FakeOidc,
  financePolicy,
  pendingRequest,
  signInProvider,
  startFakeOidc,
} from "../helpers/fake-oidc.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;

describe("sign-in with an identity provider: settings, options, and what a signed-in user may do", () => {
  let platform: TestPlatform;
  let oidc: FakeOidc;
  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

  before(async () => {
    platform = await startTestPlatform();
    oidc = await startFakeOidc();
    await financePolicy(platform);
  });
  after(async () => {
    await platform.destroy();
    await oidc.close();
  });

  it("refuses bad sign-in settings in words", async () => {
    const cases: [Json, RegExp][] = [
      [{}, /spec\.signIn\.clientId is required/],
      [{ clientId: "has space" }, /clientId must be printable ASCII without spaces/],
      [
        {
          clientId: "c",
          authorizationEndpoint: "http://idp.example.com/auth",
          tokenEndpoint: oidc.tokenEndpoint,
        },
        /authorizationEndpoint must be an https URL \(http is accepted only on a loopback host\)/,
      ],
      [
        {
          clientId: "c",
          authorizationEndpoint: oidc.authorizationEndpoint,
          tokenEndpoint: "javascript:alert(1)",
        },
        /tokenEndpoint must be an https URL/,
      ],
      [{ clientId: "c", scopes: "openid" }, /scopes must be a list of strings/],
    ];
    for (const [signIn, message] of cases) {
      const res = await platform.call("POST", "/identity-providers", signInProvider(oidc, signIn));
      assert.equal(res.status, 400, `${JSON.stringify(signIn)}: ${res.text}`);
      assert.match((res.json as Json).error, message);
    }
    const unreachable = signInProvider(oidc);
    unreachable.spec.identityProvider.issuer = "http://127.0.0.1:1";
    const res = await platform.call("POST", "/identity-providers", unreachable);
    assert.equal(res.status, 400);
    assert.match(
      (res.json as Json).error,
      /cannot discover the sign-in endpoints from http:\/\/127\.0\.0\.1:1\/\.well-known\/openid-configuration: it cannot be reached; give spec\.signIn\.authorizationEndpoint and spec\.signIn\.tokenEndpoint/,
    );
    assert.equal(((await platform.call("GET", "/identity-providers")).json as Json[]).length, 0);
  });

  it("discovers the endpoints from the issuer and lists the option publicly, without secrets", async () => {
    const saved = await platform.call("POST", "/identity-providers", signInProvider(oidc));
    assert.equal(saved.status, 201, saved.text);
    assert.deepEqual((saved.json as Json).spec.signIn, {
      clientId: oidc.clientId,
      authorizationEndpoint: oidc.authorizationEndpoint,
      tokenEndpoint: oidc.tokenEndpoint,
      scopes: ["openid", "profile", "email"],
    });
    const expected = [
      {
        name: "corp",
        workspace: "default",
        issuer: oidc.issuer,
        client_id: oidc.clientId,
        authorization_endpoint: oidc.authorizationEndpoint,
        token_endpoint: oidc.tokenEndpoint,
        scopes: ["openid", "profile", "email"],
      },
    ];
    for (const path of ["/api/v1/sign-in", "/api/v1/workspaces/team/sign-in"]) {
      const res = await fetch(`${platform.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.deepEqual(await res.json(), expected, path);
    }
  });

  it("lets the console page connect to the token endpoint's origin and nowhere else", async () => {
    const res = await fetch(`${platform.url}/`, { headers: { Accept: "text/html" } });
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, new RegExp(`connect-src 'self' ${oidc.issuer.replace(/\./g, "\\.")};`));
    assert.match(csp, /script-src|default-src 'self'/);
    await res.arrayBuffer();
  });

  it("lists to a signed-in user only the requests their group decides; they approve as their subject", async () => {
    const mine = await pendingRequest(platform, "payments");
    const other = await pendingRequest(platform, "shipping");
    const token = await oidc.mint();
    const listed = await platform.call("GET", "/approvals/requests?status=PENDING", undefined, bearer(token));
    assert.equal(listed.status, 200, listed.text);
    const ids = (listed.json as Json[]).map((r) => r.id);
    assert.ok(ids.includes(mine), "the finance request is listed");
    assert.ok(!ids.includes(other), "a request no rule names their group for is not");
    const approved = await platform.call(
      "POST",
      `/approvals/requests/${mine}/approve`,
      { scope: "once", reason: "ok by me" },
      bearer(token),
    );
    assert.equal(approved.status, 200, approved.text);
    const seen = await platform.call("GET", `/approvals/requests/${mine}`);
    assert.equal((seen.json as Json).status, "APPROVED");
    assert.equal((seen.json as Json).approver_id, "ada");

    const outsider = await oidc.mint({ sub: "eve", groups: ["support"] });
    const none = await platform.call("GET", "/approvals/requests", undefined, bearer(outsider));
    assert.deepEqual(none.json, []);
    const refused = await platform.call("POST", `/approvals/requests/${other}/reject`, {}, bearer(outsider));
    assert.equal(refused.status, 403);
    assert.match(
      (refused.json as Json).error,
      /eve is not an approver for request .*: a signed-in user decides only where an approval rule names their group/,
    );
  });

  it("refuses tokens of another issuer, for another audience, or tampered, in words", async () => {
    const cases: [Promise<string>, string][] = [
      [oidc.mint({ iss: "https://evil.example.com" }), "invalid end-user token: bad issuer"],
      [oidc.mint({ aud: "someone-else" }), "invalid end-user token: bad audience"],
      [
        oidc.mint().then((t) => {
          const [h, p, s] = t.split(".");
          const claims = JSON.parse(Buffer.from(p as string, "base64url").toString());
          claims.groups = ["finance-approvers", "admins"];
          return `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`;
        }),
        "invalid end-user token: bad signature",
      ],
    ];
    for (const [minted, error] of cases) {
      const res = await platform.call("GET", "/approvals/requests", undefined, bearer(await minted));
      assert.deepEqual([res.status, res.json], [401, { error }]);
    }
    const keyOnly = await platform.call("GET", "/agents", undefined, bearer(await oidc.mint()));
    assert.equal(keyOnly.status, 401);
    assert.match((keyOnly.json as Json).error, /this route needs a workspace API key/);
  });

  it("lists the workspaces; a key bound to one workspace sees only its own", async () => {
    const made = await platform.call("POST", "/workspaces/team/auth/api-keys", {
      name: "team-viewer",
      role: "viewer",
    });
    assert.equal(made.status, 201, made.text);
    await platform.call("POST", "/workspaces/lab/policies", {
      name: "p",
      spec: { policies: [{ permission: "allow", resource: "*" }] },
    });
    const all = await platform.call("GET", "/workspaces");
    assert.equal(all.status, 200, all.text);
    const names = (all.json as Json[]).map((w) => w.name);
    for (const ws of ["default", "lab", "team"]) assert.ok(names.includes(ws), `${ws} in ${names}`);
    const teamKey = { "X-RunAgents-API-Key": (made.json as Json).token };
    const own = await platform.call("GET", "/workspaces/team/workspaces", undefined, teamKey);
    assert.deepEqual(own.json, [{ name: "team" }]);
  });
});
