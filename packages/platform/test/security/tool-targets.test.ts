import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { issueAgentToken } from "../../src/governance/agent-identity.js";
import { call, governedAgent } from "../egress/helpers.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("security: a tool cannot point at the platform's API or a metadata address", () => {
  let platform: TestPlatform;
  let port: number;

  before(async () => {
    platform = await startTestPlatform();
    port = platform.port;
  });
  after(() => platform.destroy());

  const create = (name: string, baseUrl: string, extra: Record<string, unknown> = {}) =>
    platform.call("POST", "/tools", { name, spec: { connection: { baseUrl }, ...extra } });

  it("a tool's base URL cannot be a link-local or cloud metadata address", async () => {
    for (const base of [
      "http://169.254.169.254/latest/meta-data",
      "http://[fe80::1]/",
      "http://[fd00:ec2::254]/",
      "http://metadata.google.internal/computeMetadata/v1",
    ]) {
      const res = await create("meta", base);
      assert.equal(res.status, 400, `${base}: ${res.text}`);
      assert.match(
        (res.json as { error: string }).error,
        /^spec\.connection\.baseUrl points at a link-local or cloud metadata address \(.+\): refused unless spec\.allowInternalTarget is true$/,
      );
    }
    const flat = await platform.call("POST", "/tools", { name: "meta", base_url: "http://169.254.169.254" });
    assert.equal(flat.status, 400, flat.text);
  });

  it("a tool's base URL cannot be the platform's own API, whatever loopback spelling it uses", async () => {
    for (const base of [
      `${platform.url}/api/v1`,
      `http://localhost:${port}/api/v1`,
      `http://127.0.0.2:${port}/gateway`,
      `http://[::1]:${port}/api`,
      `http://0.0.0.0:${port}/internal`,
      `http://[::ffff:127.0.0.1]:${port}/egress`,
    ]) {
      const res = await create("self-api", base);
      assert.equal(res.status, 400, `${base}: ${res.text}`);
      assert.match((res.json as { error: string }).error, /points at the platform's own API/);
    }
  });

  it("a platform tool holding an admin key cannot reach the API through the egress", async () => {
    const { egress } = await governedAgent(platform, {
      agent: "escalator",
      tool: {
        name: "self-root",
        spec: {
          connection: {
            baseUrl: platform.url,
            authentication: { type: "APIKey", apiKeyConfig: { in: "Header", name: "X-RunAgents-API-Key" } },
          },
        },
        credentials: { api_key: "ra_ws_pretend_admin_key" },
      },
      rules: [{ permission: "allow" }],
    });
    for (const path of ["/api/v1/tools", "/gateway/x/v1/models", "/healthz", "/API/v1/tools"]) {
      const res = await call(`${egress}${path}`);
      assert.equal(res.status, 403, `${path}: ${res.text}`);
      assert.deepEqual(res.json, {
        error: "tool self-root points at the platform itself: only /echo may be reached",
        code: "TARGET_DENIED",
        tool: "self-root",
      });
    }
  });

  it("the built-in echo tool on the platform itself keeps working", async () => {
    const { egress } = await governedAgent(platform, {
      agent: "echoer",
      tool: {
        name: "echo-self",
        spec: {
          connection: { baseUrl: platform.url },
          capabilities: [{ name: "echo", method: "POST", path: "/echo" }],
        },
      },
      rules: [{ permission: "allow" }],
    });
    const res = await call(`${egress}/echo`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message: "hi" }),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.reply, "hi");
    assert.equal((await create("echo-base", `${platform.url}/echo`)).status, 201);
  });

  it("allowInternalTarget admits an internal base URL, but never the platform's API at call time", async () => {
    const meta = await create("meta-ok", "http://169.254.169.254/latest", { allowInternalTarget: true });
    assert.equal(meta.status, 201, meta.text);
    assert.equal((meta.json as { spec: { allowInternalTarget: boolean } }).spec.allowInternalTarget, true);
    const bad = await create("meta-bad", "http://169.254.169.254/latest", { allowInternalTarget: "yes" });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { error: "spec.allowInternalTarget must be a boolean" });

    const api = await create("api-ok", `${platform.url}/api/v1`, { allowInternalTarget: true });
    assert.equal(api.status, 201, api.text);
    await platform.store.putResource("default", "agent", "insider", {
      name: "insider",
      spec: { policies: ["insider-policy"] },
    });
    await platform.call("POST", "/policies", {
      name: "insider-policy",
      spec: { policies: [{ permission: "allow" }] },
    });
    const token = await issueAgentToken(platform.store, "default", "insider");
    const res = await call(`${platform.url}/egress/${token}/api-ok/tools`);
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.code, "TARGET_DENIED");
  });
});
