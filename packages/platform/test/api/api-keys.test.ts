import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;
const DAY_MS = 24 * 60 * 60 * 1000;
const NAME_RULE =
  "use at most 128 letters, digits, spaces and . _ - @ : ( ), starting with a letter or digit";

describe("workspace API keys API", () => {
  let platform: TestPlatform;
  let admin: string;
  const call = (method: string, path: string, body?: unknown) =>
    platform.call(method, path, body, { "X-RunAgents-API-Key": admin });

  before(async () => {
    platform = await startTestPlatform();
    const res = await platform.call("POST", "/auth/api-keys", { name: "admin", role: "admin" });
    assert.equal(res.status, 201);
    admin = (res.json as Json).token;
  });
  after(() => platform.destroy());

  it("creates a key, shows the token once, and stores only its SHA-256 hash", async () => {
    const res = await call("POST", "/auth/api-keys", { name: "  ci  " });
    assert.equal(res.status, 201);
    const body = res.json as Json;
    assert.deepEqual(Object.keys(body).sort(), ["header", "key", "token"]);
    assert.equal(body.header, "X-RunAgents-API-Key");
    assert.match(body.token, /^ra_ws_[A-Za-z0-9_-]{20,}$/);
    assert.deepEqual(Object.keys(body.key).sort(), [
      "createdAt",
      "groups",
      "id",
      "last4",
      "name",
      "prefix",
      "role",
    ]);
    assert.equal(body.key.name, "ci");
    assert.equal(body.key.role, "viewer", "no role asked: the least one");
    assert.deepEqual(body.key.groups, []);
    assert.equal(body.key.prefix, "ra_ws_");
    assert.equal(body.key.last4, body.token.slice(-4));
    assert.match(body.key.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    const stored = (await platform.store.listApiKeys("default")).find((k) => k.id === body.key.id);
    assert.ok(stored);
    assert.equal(stored.hash, createHash("sha256").update(body.token).digest("hex"));
    assert.ok(!JSON.stringify(stored).includes(body.token));
  });

  it("sets expiresAt from expiresInDays", async () => {
    const res = await call("POST", "/auth/api-keys", { name: "short-lived", expiresInDays: 30 });
    assert.equal(res.status, 201);
    const expires = Date.parse((res.json as Json).key.expiresAt);
    assert.ok(Math.abs(expires - (Date.now() + 30 * DAY_MS)) < 60_000);
  });

  it("rejects a create without a usable name or with a bad expiresInDays, naming the field", async () => {
    const cases: [unknown, string][] = [
      [{}, "name is required"],
      [{ name: 42 }, "name is required"],
      [{ name: "   " }, "name is required"],
      [{ name: "x".repeat(129) }, `invalid name "${"x".repeat(128)}": ${NAME_RULE}`],
      [{ name: "a\nb" }, `invalid name "a\nb": ${NAME_RULE}`],
      [{ name: "../etc/passwd" }, `invalid name "../etc/passwd": ${NAME_RULE}`],
      [{ name: "x'; DROP TABLE api_keys;--" }, `invalid name "x'; DROP TABLE api_keys;--": ${NAME_RULE}`],
      [{ name: "k", expiresInDays: 0 }, "expiresInDays must be an integer from 1 to 3650"],
      [{ name: "k", expiresInDays: 1.5 }, "expiresInDays must be an integer from 1 to 3650"],
      [{ name: "k", expiresInDays: "7" }, "expiresInDays must be an integer from 1 to 3650"],
      [{ name: "k", expiresInDays: 3651 }, "expiresInDays must be an integer from 1 to 3650"],
    ];
    const before = (await platform.store.listApiKeys()).length;
    for (const [body, error] of cases) {
      const res = await call("POST", "/auth/api-keys", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.json, { error });
    }
    assert.equal((await platform.store.listApiKeys()).length, before);
  });

  it("accepts readable names with spaces, punctuation and non-ASCII letters", async () => {
    for (const name of ["CI (GitHub) deploy-bot@acme: prod 2.0", "Équipe données_1"]) {
      const res = await call("POST", "/auth/api-keys", { name });
      assert.equal(res.status, 201, name);
      assert.equal((res.json as Json).key.name, name);
    }
  });

  it("refuses a second key with the same name in the workspace (409)", async () => {
    const res = await call("POST", "/auth/api-keys", { name: "admin" });
    assert.equal(res.status, 409);
    assert.deepEqual(res.json, { error: 'api key "admin" already exists' });
  });

  it("lists keys as a bare array of documented camelCase fields, never a token or hash", async () => {
    const res = await call("GET", "/auth/api-keys");
    assert.equal(res.status, 200);
    const keys = res.json as Json[];
    assert.ok(Array.isArray(keys));
    assert.ok(keys.some((k) => k.name === "admin"));
    const allowed = [
      "createdAt",
      "expiresAt",
      "groups",
      "id",
      "last4",
      "lastUsedAt",
      "name",
      "prefix",
      "role",
    ];
    for (const key of keys) for (const field of Object.keys(key)) assert.ok(allowed.includes(field), field);
    assert.ok(!res.text.includes(admin));
    assert.ok(!res.text.includes("hash"));
    const adminKey = keys.find((k) => k.name === "admin") as Json;
    assert.match(adminKey.lastUsedAt, /Z$/, "using a key records lastUsedAt");
  });

  it("records lastUsedAt at most once a minute per key", async () => {
    const adminKey = async () =>
      (await platform.store.listApiKeys("default")).find((k) => k.name === "admin");
    await call("GET", "/tools");
    const first = (await adminKey())?.lastUsedAt ?? "";
    assert.match(first, /Z$/);
    const writes: string[] = [];
    const update = platform.store.updateApiKey.bind(platform.store);
    platform.store.updateApiKey = (id, patch) => {
      writes.push(id);
      return update(id, patch);
    };
    try {
      for (let i = 0; i < 5; i++) assert.equal((await call("GET", "/tools")).status, 200);
      assert.deepEqual(writes, [], "no write within the minute");
      const key = await adminKey();
      assert.ok(key);
      await update(key.id, { lastUsedAt: new Date(Date.now() - 61_000).toISOString() });
      await call("GET", "/tools");
      assert.deepEqual(writes, [key.id]);
      assert.ok(((await adminKey())?.lastUsedAt ?? "") >= first);
    } finally {
      platform.store.updateApiKey = update;
    }
  });

  it("revokes a key once, then answers 404 with the contract's message", async () => {
    const id = ((await call("POST", "/auth/api-keys", { name: "doomed" })).json as Json).key.id;
    const res = await call("DELETE", `/auth/api-keys/${id}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, { status: "deleted" });
    const again = await call("DELETE", `/auth/api-keys/${id}`);
    assert.equal(again.status, 404);
    assert.deepEqual(again.json, { error: `api key ${id} not found` });
  });

  it("rotates a key: same id, new token, and the existing expiry is kept", async () => {
    const first = (await call("POST", "/auth/api-keys", { name: "rotating", expiresInDays: 10 }))
      .json as Json;
    const res = await call("POST", `/auth/api-keys/${first.key.id}/rotate`);
    assert.equal(res.status, 200);
    const rotated = res.json as Json;
    assert.equal(rotated.header, "X-RunAgents-API-Key");
    assert.equal(rotated.key.id, first.key.id);
    assert.notEqual(rotated.token, first.token);
    assert.equal(rotated.key.last4, rotated.token.slice(-4));
    assert.equal(rotated.key.expiresAt, first.key.expiresAt);
    const listed = ((await call("GET", "/auth/api-keys")).json as Json[]).find((k) => k.id === first.key.id);
    assert.equal(listed?.last4, rotated.token.slice(-4));
  });

  it("rotates with a new expiry when expiresInDays is given", async () => {
    const first = (await call("POST", "/auth/api-keys", { name: "rotating-2" })).json as Json;
    assert.equal(first.key.expiresAt, undefined);
    const res = await call("POST", `/auth/api-keys/${first.key.id}/rotate`, { expiresInDays: 2 });
    assert.equal(res.status, 200);
    const expires = Date.parse((res.json as Json).key.expiresAt);
    assert.ok(Math.abs(expires - (Date.now() + 2 * DAY_MS)) < 60_000);
    const bad = await call("POST", `/auth/api-keys/${first.key.id}/rotate`, { expiresInDays: -1 });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { error: "expiresInDays must be an integer from 1 to 3650" });
  });

  it("answers 404 when rotating an unknown key", async () => {
    const res = await call("POST", "/auth/api-keys/nope/rotate");
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, { error: "api key nope not found" });
  });

  it("keeps keys per workspace: a key made in workspace a is neither listed nor revocable in default", async () => {
    const res = await call("POST", "/workspaces/team-a/auth/api-keys", { name: "team-a-ci" });
    assert.equal(res.status, 201);
    const id = (res.json as Json).key.id;
    const inA = (await call("GET", "/workspaces/team-a/auth/api-keys")).json as Json[];
    assert.deepEqual(
      inA.map((k) => k.name),
      ["team-a-ci"],
    );
    const inDefault = (await call("GET", "/auth/api-keys")).json as Json[];
    assert.ok(!inDefault.some((k) => k.id === id));
    assert.equal((await call("DELETE", `/auth/api-keys/${id}`)).status, 404);
    assert.equal((await call("POST", `/auth/api-keys/${id}/rotate`)).status, 404);
    assert.equal((await call("DELETE", `/workspaces/team-a/auth/api-keys/${id}`)).status, 200);
  });
});

describe("workspace auth settings API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("answers the defaults and the programmatic header", async () => {
    const res = await platform.call("GET", "/settings/auth");
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, {
      sessionIdleTimeoutMinutes: 60,
      minSessionIdleTimeoutMinutes: 5,
      maxSessionIdleTimeoutMinutes: 1440,
      programmaticHeader: "X-RunAgents-API-Key",
      apiKeyPrefix: "ra_ws_",
      apiKeyCount: 1,
    });
  });

  it("changes only sessionIdleTimeoutMinutes, stores it as a setting, and keeps it per workspace", async () => {
    const res = await platform.call("PUT", "/settings/auth", {
      sessionIdleTimeoutMinutes: 120,
      apiKeyPrefix: "evil_",
      programmaticHeader: "X-Evil",
      apiKeyCount: 99,
    });
    assert.equal(res.status, 200);
    const body = res.json as Json;
    assert.equal(body.sessionIdleTimeoutMinutes, 120);
    assert.equal(body.apiKeyPrefix, "ra_ws_");
    assert.equal(body.programmaticHeader, "X-RunAgents-API-Key");
    assert.equal(body.apiKeyCount, 1);
    assert.equal(
      ((await platform.call("GET", "/settings/auth")).json as Json).sessionIdleTimeoutMinutes,
      120,
    );
    const stored = await platform.store.getResource("default", "setting", "auth");
    assert.deepEqual(stored?.doc, { sessionIdleTimeoutMinutes: 120 });
    const other = (await platform.call("GET", "/workspaces/other/settings/auth")).json as Json;
    assert.equal(other.sessionIdleTimeoutMinutes, 60);
  });

  it("rejects a missing or out-of-bounds timeout with a 400 naming the field", async () => {
    const missing = await platform.call("PUT", "/settings/auth", {});
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.json, { error: "sessionIdleTimeoutMinutes is required" });
    for (const value of [4, 1441, 30.5, "30", true]) {
      const res = await platform.call("PUT", "/settings/auth", { sessionIdleTimeoutMinutes: value });
      assert.equal(res.status, 400, String(value));
      assert.deepEqual(res.json, { error: "sessionIdleTimeoutMinutes must be an integer from 5 to 1440" });
    }
    assert.equal(
      ((await platform.call("GET", "/settings/auth")).json as Json).sessionIdleTimeoutMinutes,
      120,
    );
  });

  it("counts the workspace's API keys", async () => {
    const created = await platform.call("POST", "/workspaces/counted/auth/api-keys", { name: "one" });
    const token = (created.json as Json).token;
    const res = await platform.call("GET", "/workspaces/counted/settings/auth", undefined, {
      "X-RunAgents-API-Key": token,
    });
    assert.equal((res.json as Json).apiKeyCount, 1);
  });
});
