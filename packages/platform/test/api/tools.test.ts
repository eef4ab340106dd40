import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { NOT_PROBED_MESSAGE, toolProbeSettled } from "../../src/egress/tool-health.js";
import { isStale } from "../../src/probe-tracker.js";
import type { ResourceRecord } from "../../src/store/store.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("tools API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("says whether credentials are set, never what they are; keeps them on edit; null removes them", async () => {
    const body = { name: "crm-creds", base_url: "https://crm.example", auth_type: "APIKey" };
    const made = await platform.call("POST", "/tools", { ...body, credentials: { api_key: "sk-crm-9876" } });
    assert.equal(made.status, 201, made.text);
    assert.equal((made.json as Record<string, any>).credentials_set, true);
    const edited = await platform.call("POST", "/tools", { ...body, description: "edited" });
    assert.equal((edited.json as Record<string, any>).credentials_set, true);
    assert.deepEqual(await platform.store.getSecret("default", "crm-creds-credentials"), {
      api_key: "sk-crm-9876",
    });
    const cleared = await platform.call("POST", "/tools", { ...body, credentials: null });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal((cleared.json as Record<string, any>).credentials_set, false);
    assert.equal(await platform.store.getSecret("default", "crm-creds-credentials"), undefined);
    for (const res of [made, edited, cleared, await platform.call("GET", "/tools")]) {
      assert.ok(!res.text.includes("sk-crm-9876"));
    }
  });

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

describe("tool health", () => {
  let platform: TestPlatform;
  let listening: Server;
  let requests = 0;
  before(async () => {
    platform = await startTestPlatform();
    listening = createServer((_req, res) => {
      requests++;
      res.end("ok");
    });
    await new Promise<void>((resolve) => listening.listen(0, "127.0.0.1", resolve));
  });
  after(async () => {
    listening.close();
    await platform.destroy();
  });

  it("probes a tool when it is stored: Available when its host accepts connections, with no HTTP call", async () => {
    const { port } = listening.address() as AddressInfo;
    const res = await platform.call("POST", "/tools", {
      name: "up-tool",
      base_url: `http://127.0.0.1:${port}/v1`,
    });
    assert.equal((res.json as any).status.phase, "Pending", "the POST answers at once");
    const tool = (await platform.call("GET", "/tools/up-tool")).json as any;
    assert.deepEqual(
      [tool.status.phase, tool.status.message],
      ["Available", `reachable: 127.0.0.1:${port} accepts connections`],
    );
    assert.match(tool.status.last_probe_time, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(typeof tool.status.probe_latency_ms, "number");
    assert.equal(requests, 0, "the probe opens a connection and sends nothing");
  });

  it("marks a tool whose port is closed Unavailable, and a fixed base URL Available again", async () => {
    // Nothing listens on port 9 (the suite's unreachable address).
    await platform.call("POST", "/tools", { name: "down-tool", base_url: "http://127.0.0.1:9" });
    const listed = (await platform.call("GET", "/tools")).json as any[];
    const down = listed.find((t) => t.name === "down-tool");
    assert.deepEqual(
      [down.status.phase, down.status.message],
      ["Unavailable", "network error: ECONNREFUSED (127.0.0.1:9)"],
    );
    const { port: open } = listening.address() as AddressInfo;
    await platform.call("POST", "/tools", { name: "down-tool", base_url: `http://127.0.0.1:${open}` });
    await toolProbeSettled(platform.store, "default", "down-tool");
    const fixed = (await platform.call("GET", "/tools/down-tool")).json as any;
    assert.equal(fixed.status.phase, "Available");
  });

  it("never probes an internal target admitted by allowInternalTarget in the background", async () => {
    const res = await platform.call("POST", "/tools", {
      name: "metadata-tool",
      spec: { connection: { baseUrl: "http://169.254.169.254/latest" }, allowInternalTarget: true },
    });
    assert.equal(res.status, 201, res.text);
    await toolProbeSettled(platform.store, "default", "metadata-tool");
    const tool = (await platform.call("GET", "/tools/metadata-tool")).json as any;
    assert.deepEqual([tool.status.phase, tool.status.message], ["Pending", NOT_PROBED_MESSAGE]);
  });

  it("counts a status probed more than five minutes ago as stale", () => {
    const record = (at: string | undefined) =>
      ({ doc: { status: { phase: "Available", last_probe_time: at } } }) as unknown as ResourceRecord;
    const now = Date.parse("2026-01-01T12:00:00Z");
    assert.equal(isStale(record("2026-01-01T11:56:00Z"), now), false);
    assert.equal(isStale(record("2026-01-01T11:54:59Z"), now), true);
    assert.equal(isStale(record(undefined), now), true);
  });
});
