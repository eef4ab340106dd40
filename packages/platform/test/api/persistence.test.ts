/**
 * One of everything through HTTP, a clean close, a new platform on the same data dir: every read
 * answers the same, secrets still decrypt, keys still authenticate, and a paused run is still
 * paused. A wrong RUNAGENTS_SECRET_KEY fails loudly instead of returning garbage.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { request, startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;

describe("persistence across a restart", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "runagents-persist-test-"));
  let platform: TestPlatform;
  let token = "";
  const ids: Json = {};
  const call = (method: string, path: string, body?: unknown) =>
    platform.call(method, path, body, { "X-RunAgents-API-Key": token });
  const must = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const res = await call(method, path, body);
    assert.ok(res.status === 200 || res.status === 201, `${method} ${path}: ${res.status} ${res.text}`);
    return res.json as Json;
  };

  /** Everything readable, keyed by path; `lastUsedAt` moves on every authenticated call. */
  const readAll = async (): Promise<Json> => {
    const paths = [
      "/tools",
      "/tools/pay-api",
      "/model-providers",
      "/model-providers/main-llm",
      "/policies",
      "/policies/read-only",
      "/identity-providers",
      "/identity-providers/corp-idp",
      "/approval-connectors",
      `/approval-connectors/${ids.connector}`,
      "/approval-connectors/defaults",
      `/deploy-drafts/${ids.draft}`,
      "/agents",
      "/agents/persist-agent",
      "/agents/persist-agent/config",
      "/runs",
      `/runs/${ids.doneRun}`,
      `/runs/${ids.doneRun}/events`,
      `/runs/${ids.pausedRun}`,
      `/runs/${ids.pausedRun}/events`,
      `/runs/${ids.pausedRun}/actions/${ids.action}`,
      "/approvals/requests",
      `/approvals/requests/${ids.request}`,
      "/settings/auth",
      "/auth/api-keys",
      "/workspaces/team-a/tools",
    ];
    const out: Json = {};
    for (const path of paths) {
      const res = await call("GET", path);
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      out[path] = JSON.parse(res.text, (k, v) => (k === "lastUsedAt" ? undefined : v));
    }
    return out;
  };

  let before1: Json;

  before(async () => {
    platform = await startTestPlatform({ dataDir });
    const key = (await platform.call("POST", "/auth/api-keys", { name: "persist-admin", role: "admin" }))
      .json as Json;
    token = key.token;
    const doomed = await must("POST", "/auth/api-keys", { name: "revoked", expiresInDays: 5 });
    ids.revokedToken = doomed.token;
    await must("DELETE", `/auth/api-keys/${doomed.key.id}`);
    await must("POST", "/auth/api-keys", { name: "expiring", expiresInDays: 7 });

    await must("POST", "/tools", {
      name: "pay-api",
      base_url: "https://pay.example",
      auth_type: "APIKey",
      credentials: { api_key: "sk-pay-secret" },
      capabilities: [{ name: "charge", method: "POST", path: "/charges" }],
    });
    await must("POST", "/workspaces/team-a/tools", { name: "team-tool", base_url: "https://team.example" });
    await must("POST", "/model-providers", {
      name: "main-llm",
      spec: { provider: "openai", endpoint: "https://llm.example/v1", models: ["gpt-4o-mini"] },
      api_key: "sk-llm-secret",
    });
    await must("POST", "/policies", {
      name: "read-only",
      spec: { policies: [{ permission: "allow", operations: ["GET"], resource: "https://pay.example/*" }] },
    });
    await must("POST", "/identity-providers", {
      name: "corp-idp",
      spec: {
        host: "agents.corp.example",
        identityProvider: {
          issuer: "https://login.corp.example",
          jwksUri: "https://login.corp.example/jwks",
        },
        userIDClaim: "email",
      },
    });
    ids.connector = (
      await must("POST", "/approval-connectors", {
        name: "ops-hook",
        type: "webhook",
        endpoint: "https://hooks.corp.example/approvals",
        headers: { Authorization: "Bearer hook-secret" },
      })
    ).id;
    await must("PUT", "/approval-connectors/defaults", { default_timeout_seconds: 30 });
    ids.draft = (await must("POST", "/deploy-drafts", { step: "tools", policies: ["read-only"] })).id;
    await must("POST", "/deploy", {
      agent_name: "persist-agent",
      image: "registry.example/persist-agent:1",
      system_prompt: "You persist.",
      required_tools: ["pay-api"],
      policies: ["read-only"],
    });
    await must("PUT", "/settings/auth", { sessionIdleTimeoutMinutes: 45 });

    ids.doneRun = (await must("POST", "/runs", { agent_id: "persist-agent", user_id: "ana" })).id;
    await must("POST", `/runs/${ids.doneRun}/events`, { type: "USER_MESSAGE", data: { message: "hi" } });
    await must("POST", `/runs/${ids.doneRun}/events`, { type: "AGENT_MESSAGE", data: { message: "hello" } });
    await must("PATCH", `/runs/${ids.doneRun}`, { status: "COMPLETED" });
    ids.pausedRun = (await must("POST", "/runs", { agent_id: "persist-agent", user_id: "bo" })).id;
    ids.action = (
      await must("POST", `/runs/${ids.pausedRun}/actions`, { tool_id: "pay-api", payload_hash: "abc123" })
    ).action_id;
    ids.request = (
      await must("POST", "/approvals/requests", {
        subject: "bo",
        tool_id: "pay-api",
        agent_id: "persist-agent",
        run_id: ids.pausedRun,
        action_id: ids.action,
      })
    ).id;

    before1 = await readAll();
    await platform.close();
    platform = await startTestPlatform({ dataDir });
  });
  after(async () => {
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("reads every resource back identical", async () => {
    assert.deepEqual(await readAll(), before1);
  });

  it("still decrypts the stored credentials", async () => {
    assert.deepEqual(await platform.store.getSecret("default", "pay-api-credentials"), {
      api_key: "sk-pay-secret",
    });
    assert.deepEqual(await platform.store.getSecret("default", "main-llm-provider-key"), {
      api_key: "sk-llm-secret",
    });
  });

  it("keeps API keys working and revoked keys dead", async () => {
    assert.equal((await call("GET", "/tools")).status, 200);
    const revoked = await platform.call("GET", "/tools", undefined, {
      "X-RunAgents-API-Key": ids.revokedToken,
    });
    assert.equal(revoked.status, 401);
    const none = await request(`${platform.api}/tools`, "GET");
    assert.equal(none.status, 401, "still locked without a key");
  });

  it("keeps a paused run paused with its blocked action", () => {
    assert.equal(before1[`/runs/${ids.pausedRun}`].status, "PAUSED_APPROVAL");
    assert.equal(before1[`/runs/${ids.pausedRun}/actions/${ids.action}`].status, "BLOCKED");
    assert.equal(before1[`/runs/${ids.doneRun}/events`].length >= 3, true);
  });

  it("keeps event sequences gapless when appending after the restart", async () => {
    const events = (await call("GET", `/runs/${ids.pausedRun}/events`)).json as Json[];
    const appended = await must("POST", `/runs/${ids.pausedRun}/events`, { type: "AGENT_MESSAGE" });
    assert.deepEqual(
      events.map((e) => e.seq),
      events.map((_, i) => i + 1),
    );
    assert.equal(appended.seq, events.length + 1);
  });
});

describe("restart with a different RUNAGENTS_SECRET_KEY", () => {
  it("refuses to decrypt secrets instead of returning garbage", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "runagents-persist-key-test-"));
    try {
      const first = await startTestPlatform({ dataDir, env: { RUNAGENTS_SECRET_KEY: "the-right-key" } });
      const res = await first.call("POST", "/tools", {
        name: "keyed",
        base_url: "https://keyed.example",
        auth_type: "APIKey",
        credentials: { api_key: "sk-keyed" },
      });
      assert.equal(res.status, 201);
      await first.close();

      const same = await startTestPlatform({ dataDir, env: { RUNAGENTS_SECRET_KEY: "the-right-key" } });
      assert.deepEqual(await same.store.getSecret("default", "keyed-credentials"), { api_key: "sk-keyed" });
      await same.close();

      const wrong = await startTestPlatform({ dataDir, env: { RUNAGENTS_SECRET_KEY: "a-wrong-key" } });
      try {
        await assert.rejects(wrong.store.getSecret("default", "keyed-credentials"), (err: Error) => {
          assert.match(err.message, /cannot decrypt a stored secret/);
          assert.match(err.message, /RUNAGENTS_SECRET_KEY/);
          assert.ok(!err.message.includes("sk-keyed"));
          return true;
        });
        assert.equal((await wrong.call("GET", "/tools/keyed")).status, 200, "documents are still readable");
      } finally {
        await wrong.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
