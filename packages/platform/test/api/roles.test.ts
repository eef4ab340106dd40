import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dispatch, type RequestContext } from "../../src/api/context.js";
import { PERMISSIONS, type Permission, ROLES, type Role, roleGrants } from "../../src/api/roles.js";
import { HttpError } from "../../src/errors.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;

/** What each role may do, written out: the table the router is checked against. */
const EXPECTED: Record<Role, Permission[]> = {
  admin: ["read", "approve", "develop", "admin"],
  operator: ["read", "approve"],
  developer: ["read", "develop"],
  viewer: ["read"],
};

describe("roles: every /api/v1 route checks the caller's role", () => {
  let platform: TestPlatform;
  const tokens = {} as Record<Role, string>;
  const as = (role: Role) => ({ "X-RunAgents-API-Key": tokens[role] });

  before(async () => {
    platform = await startTestPlatform();
    const first = await platform.call("POST", "/auth/api-keys", { name: "roles-admin", role: "admin" });
    assert.equal(first.status, 201, first.text);
    tokens.admin = (first.json as Json).token;
    for (const role of ROLES.filter((r) => r !== "admin")) {
      const res = await platform.call("POST", "/auth/api-keys", { name: `roles-${role}`, role }, as("admin"));
      assert.equal(res.status, 201, res.text);
      tokens[role] = (res.json as Json).token;
    }
  });
  after(() => platform.destroy());

  it("grants each role exactly its permissions", () => {
    for (const role of ROLES) {
      assert.deepEqual(
        PERMISSIONS.filter((p) => roleGrants(role, p)),
        EXPECTED[role],
        role,
      );
    }
    assert.equal(roleGrants("superuser", "read"), false, "an unknown stored role grants nothing");
    assert.equal(roleGrants("", "read"), false);
  });

  it("declares a permission (or public) on every registered route, so none is admin-only by accident", () => {
    const undeclared = platform.services.api.routes
      .filter((r) => !r.handler.public && r.handler.permission === undefined)
      .map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(undeclared, []);
  });

  it("asks more than read for every route that changes something (bar a reviewed few)", () => {
    // POSTs that only compute or read: evaluate a policy, speak MCP (its tools call the API with
    // the caller's own key), the MCP transport's 405 answers, and a ticket that opens the read-only
    // live feed.
    const readOnlyWrites = [
      "POST /policies/evaluate",
      "POST /mcp",
      "DELETE /mcp",
      "POST /events/stream-ticket",
    ];
    const loose = platform.services.api.routes
      .filter((r) => !r.handler.public && r.method !== "GET" && r.handler.permission === "read")
      .map((r) => `${r.method} ${r.path}`)
      .filter((r) => !readOnlyWrites.includes(r));
    assert.deepEqual(loose, []);
    const guardedReads = platform.services.api.routes
      .filter((r) => r.method === "GET" && !r.handler.public && r.handler.permission !== "read")
      .map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(guardedReads, ["GET /auth/api-keys"], "reads beyond viewers: only the key list");
  });

  it("answers each role over every registered route: allowed is never 403, refused is 403 with an error", async () => {
    const routes = platform.services.api.routes.filter((r) => !r.handler.public);
    assert.ok(routes.length > 90, `only ${routes.length} routes`);
    const wrong: string[] = [];
    for (const route of routes) {
      // Unknown names everywhere: allowed calls end in 400/404/405/409, never touching real data.
      const path = route.path.replace(/:[a-z]+/gi, "roles-missing");
      const needs = route.handler.permission ?? "admin";
      for (const role of ROLES) {
        const res = await platform.call(
          route.method,
          path,
          route.method === "GET" ? undefined : {},
          as(role),
        );
        const allowed = EXPECTED[role].includes(needs);
        const line = `${role} ${route.method} ${route.path} (${needs}) -> ${res.status} ${res.text.slice(0, 120)}`;
        if (allowed && (res.status === 403 || res.status === 401)) wrong.push(line);
        if (
          !allowed &&
          (res.status !== 403 ||
            typeof (res.json as Json)?.error !== "string" ||
            (res.json as Json).code !== "FORBIDDEN")
        ) {
          wrong.push(line);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("names the role and the missing permission in the refusal", async () => {
    const res = await platform.call(
      "POST",
      "/tools",
      { name: "x", base_url: "http://127.0.0.1:1" },
      as("viewer"),
    );
    assert.deepEqual(
      [res.status, res.json],
      [
        403,
        {
          error:
            'API key "roles-viewer" has role viewer, which does not grant the develop permission this route needs',
          code: "FORBIDDEN",
        },
      ],
    );
  });

  it("checks the role again on a route run in-process (action plans, deploy)", async () => {
    const viewer = { kind: "api_key", id: "k", name: "v", workspace: "default", role: "viewer", groups: [] };
    const ctx = { services: platform.services, principal: viewer } as unknown as RequestContext;
    await assert.rejects(dispatch(ctx, "POST", "/tools", { name: "x" }), (error: unknown) => {
      assert.ok(error instanceof HttpError);
      assert.equal(error.status, 403);
      return true;
    });
  });

  it("shows role and groups in GET /auth/api-keys; a key made without a role by an admin is a viewer", async () => {
    const made = await platform.call(
      "POST",
      "/auth/api-keys",
      { name: "roles-default", groups: ["ops"] },
      as("admin"),
    );
    assert.equal(made.status, 201, made.text);
    assert.equal((made.json as Json).key.role, "viewer");
    const list = (await platform.call("GET", "/auth/api-keys", undefined, as("admin"))).json as Json[];
    const byName = Object.fromEntries(list.map((k) => [k.name, [k.role, k.groups]]));
    assert.deepEqual(byName["roles-default"], ["viewer", ["ops"]]);
    assert.deepEqual(byName["roles-operator"], ["operator", []]);
    assert.deepEqual(byName["roles-admin"], ["admin", []]);
  });

  it("lets only admins manage API keys", async () => {
    for (const role of ["operator", "developer", "viewer"] as const) {
      const made = await platform.call(
        "POST",
        "/auth/api-keys",
        { name: `by-${role}`, role: "admin" },
        as(role),
      );
      assert.equal(made.status, 403, `${role} creating a key`);
      assert.equal((await platform.call("GET", "/auth/api-keys", undefined, as(role))).status, 403);
    }
  });

  it("gives the platform's own first key the admin role and a key made without a role the viewer role", async () => {
    const fresh = await startTestPlatform();
    try {
      const keys = (await fresh.call("GET", "/auth/api-keys")).json as Json[];
      assert.deepEqual(
        keys.map((k) => [k.name, k.role]),
        [["local-admin", "admin"]],
      );
      const second = await fresh.call("POST", "/auth/api-keys", { name: "second" });
      assert.equal((second.json as Json).key.role, "viewer");
    } finally {
      await fresh.destroy();
    }
  });

  it("rejects an unknown role and malformed groups with 400", async () => {
    const cases: [Json, string][] = [
      [{ name: "r1", role: "root" }, "role must be one of admin, operator, developer, viewer"],
      [{ name: "r2", role: 3 }, "role must be one of admin, operator, developer, viewer"],
      [
        { name: "r3", groups: "ops" },
        "groups must be a list of at most 32 group names (letters, digits and . _ : @ / -, starting with a letter or digit)",
      ],
      [
        { name: "r4", groups: ["ok", " "] },
        "groups must be a list of at most 32 group names (letters, digits and . _ : @ / -, starting with a letter or digit)",
      ],
    ];
    for (const [body, error] of cases) {
      const res = await platform.call("POST", "/auth/api-keys", body, as("admin"));
      assert.deepEqual([res.status, res.json], [400, { error }], JSON.stringify(body));
    }
  });
});
