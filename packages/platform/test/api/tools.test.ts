import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("tools API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("creates a tool from the SDK's flat body and answers the nested shape plus flat keys", async () => {
    const res = await platform.call("POST", "/tools", {
      name: "payments-api",
      base_url: "https://api.payments.example",
      description: "Payments",
      auth_type: "APIKey",
      port: 443,
      scheme: "HTTPS",
      credentials: { api_key: "sk-super-secret-value" },
    });
    assert.equal(res.status, 201);
    const tool = res.json as Record<string, any>;
    assert.equal(tool.name, "payments-api");
    assert.equal(tool.spec.connection.baseUrl, "https://api.payments.example");
    assert.equal(tool.spec.connection.authentication.type, "APIKey");
    assert.deepEqual(tool.spec.connection.authentication.apiKeyConfig.secretRef, {
      name: "payments-api-credentials",
    });
    assert.equal(tool.base_url, "https://api.payments.example");
    assert.equal(tool.status.phase, "Pending");
    assert.ok(!res.text.includes("sk-super-secret-value"));
    const again = await platform.call("POST", "/tools", {
      name: "payments-api",
      base_url: "https://api.payments.example",
    });
    assert.equal(again.status, 200, "a second create is an update");
  });

  it("routes /tools/probe to the probe, not to a tool named probe", async () => {
    const res = await platform.call("POST", "/tools/probe", { url: `${platform.url}/healthz` });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json as object).sort(), ["latency_ms", "reachable", "status_code"]);
    assert.equal((res.json as { reachable: boolean }).reachable, true);
  });

  it("tests a registered tool and records the probe in its status", async () => {
    await platform.call("POST", "/tools", { name: "self", base_url: platform.url });
    const res = await platform.call("POST", "/tools/self/test");
    assert.equal((res.json as { reachable: boolean }).reachable, true);
    const tool = (await platform.call("GET", "/tools/self")).json as Record<string, any>;
    assert.equal(tool.status.phase, "Available");
    assert.equal(typeof tool.status.probe_latency_ms, "number");
  });

  it("deletes a tool once, then answers 404 with the contract's message", async () => {
    await platform.call("POST", "/tools", { name: "gone", base_url: "https://gone.example" });
    assert.equal((await platform.call("DELETE", "/tools/gone")).status, 200);
    const res = await platform.call("DELETE", "/tools/gone");
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, { error: 'tool "gone" not found' });
  });

  it("ignores a caller-supplied secretRef so a tool cannot borrow another resource's secret", async () => {
    const res = await platform.call("POST", "/tools", {
      name: "borrower",
      spec: {
        connection: {
          baseUrl: "https://attacker.example",
          authentication: {
            type: "APIKey",
            apiKeyConfig: { in: "Header", name: "X-Key", secretRef: { name: "payments-api-credentials" } },
          },
        },
      },
    });
    assert.equal(res.status, 201);
    const auth = (res.json as Record<string, any>).spec.connection.authentication;
    assert.deepEqual(auth.apiKeyConfig, { in: "Header", name: "X-Key" });
  });

  it("keeps the stored credential reference when a tool is updated without credentials", async () => {
    await platform.call("POST", "/tools", {
      name: "keeper",
      base_url: "https://keeper.example",
      auth_type: "APIKey",
      credentials: { api_key: "keeper-secret" },
    });
    const res = await platform.call("POST", "/tools", {
      name: "keeper",
      base_url: "https://keeper.example/v2",
      auth_type: "APIKey",
    });
    const auth = (res.json as Record<string, any>).spec.connection.authentication;
    assert.deepEqual(auth.apiKeyConfig.secretRef, { name: "keeper-credentials" });
  });
});
