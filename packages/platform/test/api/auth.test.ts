import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig, saveConfig } from "runagents";
import { authenticate } from "../../src/api/auth.js";
import { loadPlatformConfig } from "../../src/config.js";
import { writeAdminKey } from "../../src/local-config.js";
import { silentLogger } from "../../src/log.js";
import { startPlatform } from "../../src/platform.js";
import { request, startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;

describe("API-key authentication over HTTP", () => {
  let platform: TestPlatform;
  let first: Json;
  const withKey = (token: string) => ({ "X-RunAgents-API-Key": token });

  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("starts with one admin key of its own and answers 401 JSON without a key, loopback included", async () => {
    first = { token: platform.adminKey };
    const keys = (await platform.call("GET", "/auth/api-keys")).json as Json;
    const list = (Array.isArray(keys) ? keys : keys.keys) as Json[];
    assert.deepEqual(
      list.map((k) => [k.name, k.role]),
      [["local-admin", "admin"]],
    );
    const res = await request(`${platform.api}/tools`, "GET");
    assert.equal(res.status, 401);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    assert.deepEqual(res.json, { error: "missing API key: send it in the X-RunAgents-API-Key header" });
    const create = await request(`${platform.api}/auth/api-keys`, "POST", { name: "sneaky" });
    assert.equal(create.status, 401, "creating keys needs a key");
  });

  it("accepts the key in X-RunAgents-API-Key and as Authorization: Bearer", async () => {
    assert.equal((await platform.call("GET", "/tools", undefined, withKey(first.token))).status, 200);
    const bearer = await platform.call("GET", "/tools", undefined, {
      Authorization: `Bearer ${first.token}`,
    });
    assert.equal(bearer.status, 200);
    const lower = await platform.call("GET", "/tools", undefined, { authorization: `bearer ${first.token}` });
    assert.equal(lower.status, 200);
  });

  it("answers 401 to a wrong key in either header", async () => {
    for (const headers of [withKey("ra_ws_wrong"), { Authorization: "Bearer ra_ws_wrong" }]) {
      const res = await platform.call("GET", "/tools", undefined, headers);
      assert.equal(res.status, 401);
      assert.deepEqual(res.json, { error: "invalid or expired API key" });
    }
  });

  it("keeps public routes open: the OpenAPI document and the health check", async () => {
    assert.equal((await platform.call("GET", "/openapi.json")).status, 200);
    assert.equal((await request(`${platform.url}/healthz`, "GET")).status, 200);
  });

  it("stops accepting a revoked token", async () => {
    const doomed = (await platform.call("POST", "/auth/api-keys", { name: "doomed" }, withKey(first.token)))
      .json as Json;
    assert.equal((await platform.call("GET", "/tools", undefined, withKey(doomed.token))).status, 200);
    const del = await platform.call(
      "DELETE",
      `/auth/api-keys/${doomed.key.id}`,
      undefined,
      withKey(first.token),
    );
    assert.equal(del.status, 200);
    const res = await platform.call("GET", "/tools", undefined, withKey(doomed.token));
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { error: "invalid or expired API key" });
  });

  it("stops accepting a rotated-away token and accepts the new one", async () => {
    const old = (await platform.call("POST", "/auth/api-keys", { name: "rotated" }, withKey(first.token)))
      .json as Json;
    const rotated = await platform.call(
      "POST",
      `/auth/api-keys/${old.key.id}/rotate`,
      {},
      withKey(first.token),
    );
    assert.equal(rotated.status, 200);
    const fresh = (rotated.json as Json).token as string;
    assert.equal((await platform.call("GET", "/tools", undefined, withKey(old.token))).status, 401);
    assert.equal((await platform.call("GET", "/tools", undefined, withKey(fresh))).status, 200);
  });

  it("answers 401 to an expired key", async () => {
    const key = (await platform.call("POST", "/auth/api-keys", { name: "expiring" }, withKey(first.token)))
      .json as Json;
    await platform.store.updateApiKey(key.key.id, { expiresAt: new Date(Date.now() - 1000).toISOString() });
    const res = await platform.call("GET", "/tools", undefined, withKey(key.token));
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, { error: "invalid or expired API key" });
  });

  it("answers 403 to a key from another workspace; a default key works everywhere", async () => {
    const res = await platform.call(
      "POST",
      "/workspaces/team-a/auth/api-keys",
      { name: "team-a" },
      withKey(first.token),
    );
    assert.equal(res.status, 201);
    const teamA = (res.json as Json).token as string;
    assert.equal(
      (await platform.call("GET", "/workspaces/team-a/tools", undefined, withKey(teamA))).status,
      200,
    );
    for (const path of ["/workspaces/team-b/tools", "/tools"]) {
      const denied = await platform.call("GET", path, undefined, withKey(teamA));
      assert.equal(denied.status, 403, path);
      const ws = path === "/tools" ? "default" : "team-b";
      assert.deepEqual(denied.json, { error: `API key "team-a" is not valid for workspace "${ws}"` });
    }
    assert.equal(
      (await platform.call("GET", "/workspaces/team-b/tools", undefined, withKey(first.token))).status,
      200,
    );
  });

  it("never shows a token in a list response or a log line", async () => {
    const list = await platform.call("GET", "/auth/api-keys", undefined, withKey(first.token));
    assert.ok(!list.text.includes(first.token));
    assert.ok(!list.text.includes(first.token.slice(6)));
    const logs = platform.logs.join("\n");
    assert.ok(platform.logs.length > 0);
    assert.ok(!logs.includes(first.token.slice(6)), "no token in the logs");
    assert.ok(!logs.includes("ra_ws_"), "no token fragment at all in the logs");
  });
});

describe("the platform's first admin key", () => {
  const fakeRequest = (remoteAddress: string, headers: Record<string, string> = {}) =>
    ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage;

  it("is created at first start only, and a loopback caller without a key is refused", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "runagents-auth-test-"));
    const config = { ...loadPlatformConfig([], {}), dataDir, port: 0, host: "0.0.0.0" };
    try {
      const first = await startPlatform(config, { logger: silentLogger });
      const token = first.bootstrapKey;
      try {
        assert.match(token ?? "", /^ra_ws_/);
        assert.equal((await request(`${first.url}/api/v1/tools`, "GET")).status, 401);
        await assert.rejects(authenticate(first.store, fakeRequest("127.0.0.1"), "default"), {
          status: 401,
          message: "missing API key: send it in the X-RunAgents-API-Key header",
        });
      } finally {
        await first.close();
      }
      const again = await startPlatform(config, { logger: silentLogger });
      try {
        assert.equal(again.bootstrapKey, undefined, "a restart creates no second key");
        const withKey = await request(`${again.url}/api/v1/tools`, "GET", undefined, {
          "X-RunAgents-API-Key": token ?? "",
        });
        assert.equal(withKey.status, 200);
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("is written into the local configuration when it points at this platform, and only then", () => {
    const dir = mkdtempSync(join(tmpdir(), "runagents-config-test-"));
    const saved = process.env.RUNAGENTS_CONFIG_DIR;
    process.env.RUNAGENTS_CONFIG_DIR = dir;
    try {
      const written = writeAdminKey("ra_ws_first", "http://127.0.0.1:8092");
      assert.deepEqual(written, { written: join(dir, "config.json") });
      assert.equal(statSync(join(dir, "config.json")).mode & 0o777, 0o600);
      assert.equal(loadConfig({ env: { RUNAGENTS_CONFIG_DIR: dir } }).apiKey, "ra_ws_first");

      saveConfig(
        { endpoint: "https://runagents.example.com", apiKey: "ra_ws_remote" },
        { path: join(dir, "config.json") },
      );
      const refused = writeAdminKey("ra_ws_second", "http://127.0.0.1:8092");
      assert.ok("notWritten" in refused);
      assert.equal(loadConfig({ env: { RUNAGENTS_CONFIG_DIR: dir } }).apiKey, "ra_ws_remote");
    } finally {
      if (saved === undefined) delete process.env.RUNAGENTS_CONFIG_DIR;
      else process.env.RUNAGENTS_CONFIG_DIR = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
