import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { revokeAgentTokens } from "../../src/governance/agent-identity.js";
import { request, startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { addAgent, addProvider, authenticateOpenGateway, chat } from "./fake-provider.js";

const hello = [{ role: "user", content: "hello" }];

describe("gateway routes and who may call them", () => {
  let platform: TestPlatform;
  let agent: { token: string; gateway: string };
  before(async () => {
    platform = await startTestPlatform();
    authenticateOpenGateway(platform);
    await addProvider(platform, {
      name: "pg",
      spec: { provider: "playground", models: ["playground", "gpt-4o-mini"] },
    });
    await addProvider(
      platform,
      { name: "team-pg", spec: { provider: "playground", models: ["team-model"] } },
      "team",
    );
    await addProvider(platform, {
      name: "rock",
      spec: { provider: "bedrock", endpoint: "http://127.0.0.1:9", models: ["anthropic.claude-v2"] },
    });
    agent = await addAgent(platform, "helper", [], "team");
  });
  after(() => platform.destroy());

  it("answers on every documented path", async () => {
    const paths = [`${platform.url}/v1`, `${platform.api}`, `${platform.api}/v1`];
    for (const base of paths) {
      const res = await chat(base, { model: "playground", messages: hello });
      assert.equal(res.status, 200, base);
      assert.equal(res.json.choices[0].message.content, "[playground] You said: hello");
    }
    const team = await chat(`${platform.api}/workspaces/team/v1`, { model: "team-model", messages: hello });
    assert.equal(team.status, 200);
    const other = await chat(`${platform.api}/workspaces/team/v1`, { model: "playground", messages: hello });
    assert.deepEqual(
      [other.status, other.json],
      [404, { error: 'no provider found for model "playground"' }],
    );
    const viaToken = await chat(agent.gateway, { model: "team-model", messages: hello });
    assert.equal(viaToken.status, 200);
    const withoutV1 = await chat(agent.gateway.replace(/\/v1$/, ""), {
      model: "team-model",
      messages: hello,
    });
    assert.equal(withoutV1.status, 200);
  });

  it("lists the workspace's models in OpenAI form", async () => {
    const ids = async (url: string) => {
      const res = await request(url, "GET", undefined, platform.authHeaders);
      assert.equal(res.status, 200, url);
      const body = res.json as { object: string; data: { id: string; object: string; owned_by: string }[] };
      assert.equal(body.object, "list");
      return body.data.map((m) => [m.id, m.object, m.owned_by]);
    };
    const defaults = [
      ["playground", "model", "pg"],
      ["gpt-4o-mini", "model", "pg"],
      ["anthropic.claude-v2", "model", "rock"],
    ];
    const sorted = (rows: string[][]) => [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    assert.deepEqual(sorted(await ids(`${platform.url}/v1/models`)), sorted(defaults));
    assert.deepEqual(sorted(await ids(`${platform.api}/models`)), sorted(defaults));
    assert.deepEqual(sorted(await ids(`${platform.api}/v1/models`)), sorted(defaults));
    assert.deepEqual(await ids(`${agent.gateway}/models`), [["team-model", "model", "team-pg"]]);
  });

  it("answers a provider type it cannot call yet with 501", async () => {
    const res = await chat(`${platform.url}/v1`, { model: "anthropic.claude-v2", messages: hello });
    assert.deepEqual(
      [res.status, res.json],
      [501, { error: 'model provider "rock" has type "bedrock", which the gateway cannot call yet' }],
    );
  });

  it("refuses an unknown or revoked agent token with 401", async () => {
    const unknown = `${platform.url}/gateway/ra_agt_${"x".repeat(32)}/v1`;
    const health = await request(`${agent.gateway.replace(/\/v1$/, "")}/healthz`, "GET");
    assert.deepEqual([health.status, health.json], [200, { status: "ok", service: "runagents-llm-gateway" }]);
    const extra = await addAgent(platform, "temp", [], "team");
    await revokeAgentTokens(platform.store, "team", "temp");
    for (const base of [unknown, extra.gateway, `${platform.url}/gateway/not-a-token/v1`]) {
      const res = await chat(base, { model: "team-model", messages: hello });
      assert.deepEqual([res.status, res.json], [401, { error: "invalid or revoked agent token" }], base);
      assert.equal((await request(`${base}/models`, "GET")).status, 401);
      assert.equal((await request(`${base.replace(/\/v1$/, "")}/healthz`, "GET")).status, 401);
    }
  });

  it("needs a workspace API key on the open paths, but not on an agent's own URL", async () => {
    const created = await platform.call("POST", "/auth/api-keys", { name: "gateway-test", role: "admin" });
    assert.equal(created.status, 201);
    const token = (created.json as { token: string }).token;
    const body = { model: "playground", messages: hello };
    const bare = (base: string, headers: Record<string, string> = {}) =>
      request(`${base}/chat/completions`, "POST", body, headers);
    const open = await bare(`${platform.url}/v1`);
    assert.deepEqual(
      [open.status, open.json],
      [401, { error: "missing API key: send it in the X-RunAgents-API-Key header" }],
    );
    assert.equal((await request(`${platform.url}/v1/models`, "GET")).status, 401);
    const wrong = await bare(`${platform.url}/v1`, { Authorization: "Bearer platform-managed" });
    assert.deepEqual([wrong.status, wrong.json], [401, { error: "invalid or expired API key" }]);
    const keyed = await bare(`${platform.url}/v1`, { Authorization: `Bearer ${token}` });
    assert.equal(keyed.status, 200);
    assert.equal((await bare(platform.api)).status, 401);
    assert.equal((await chat(agent.gateway, { model: "team-model", messages: hello })).status, 200);
  });
});
