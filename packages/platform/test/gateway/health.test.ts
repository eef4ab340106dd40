import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { providerProbeSettled } from "../../src/gateway/health.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { deferred, type FakeProvider, sendJson, startFakeProvider } from "./fake-provider.js";

const KEY = "sk-health-key-0123456789";

describe("model provider health probes", () => {
  let platform: TestPlatform;
  let fake: FakeProvider;
  before(async () => {
    platform = await startTestPlatform();
    fake = await startFakeProvider((req, res) => {
      if (req.url === "/good/v1/models" || req.url === "/api/tags") return sendJson(res, 200, { data: [] });
      if (req.url === "/v1/models") return sendJson(res, 401, { error: { message: `bad key ${KEY}` } });
      return sendJson(res, 404, { error: "not found" });
    });
  });
  after(async () => {
    await fake.close();
    await platform.destroy();
  });

  /** Registers a provider; returns the POST's status and the status stored after the probe. */
  async function register(name: string, spec: Record<string, unknown>, apiKey?: string) {
    const res = await platform.call("POST", "/model-providers", {
      name,
      spec,
      ...(apiKey ? { api_key: apiKey } : {}),
    });
    assert.equal(res.status, 201, res.text);
    assert.equal((res.json as any).status.phase, "Pending");
    await providerProbeSettled(platform.store, "default", name);
    const stored = (await platform.call("GET", `/model-providers/${name}`)).json as any;
    assert.equal(typeof stored.status.last_probe_time, "string");
    assert.equal(typeof stored.status.probe_latency_ms, "number");
    return [stored.status.phase, stored.status.message];
  }

  it("marks each provider type Available or Unavailable from its own probe", async () => {
    assert.deepEqual(
      await register("good", { provider: "openai", endpoint: `${fake.url}/good/v1`, models: ["a"] }),
      ["Available", "GET /good/v1/models: HTTP 200"],
    );
    assert.deepEqual(
      await register("badkey", { provider: "openai", endpoint: fake.url, models: ["b"] }, KEY),
      ["Unavailable", "GET /v1/models: HTTP 401: bad key [REDACTED]"],
    );
    assert.deepEqual(
      await register("claude", { provider: "anthropic", endpoint: fake.url, models: ["c"] }, KEY),
      ["Available", "GET /v1/models: HTTP 401"],
    );
    assert.deepEqual(await register("llama", { provider: "ollama", endpoint: fake.url, models: ["d"] }), [
      "Available",
      "GET /api/tags: HTTP 200",
    ]);
    assert.deepEqual(await register("offline", { provider: "playground", models: ["e"] }), [
      "Available",
      "offline playground model: no network or key needed",
    ]);
    const gone = await startFakeProvider((_req, res) => sendJson(res, 200, {}));
    await gone.close();
    assert.deepEqual(await register("gone", { provider: "ollama", endpoint: gone.url, models: ["f"] }), [
      "Unavailable",
      `GET /api/tags: connection refused by ${new URL(gone.url).host}`,
    ]);
  });

  it("answers the POST at once while a slow host is still being probed, then times the probe out", {
    timeout: 10_000,
  }, async () => {
    const probeArrived = deferred();
    const silent = createServer(() => probeArrived.resolve());
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const res = await platform.call("POST", "/model-providers", {
        name: "slow",
        spec: { provider: "openai", endpoint: `http://127.0.0.1:${port}/v1`, models: ["s"] },
      });
      assert.equal((res.json as any).status.phase, "Pending");
      await probeArrived.promise;
      // The POST answered before the probe arrived; a read waits for the probe's outcome.
      const stored = (await platform.call("GET", "/model-providers/slow")).json as any;
      assert.deepEqual(
        [stored.status.phase, stored.status.message],
        ["Unavailable", `GET /v1/models: no answer from 127.0.0.1:${port} within 2 s`],
      );
      assert.ok(stored.status.probe_latency_ms >= 1900 && stored.status.probe_latency_ms < 4000);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it("never lets an older probe overwrite a newer registration", async () => {
    const first = await platform.call("POST", "/model-providers", {
      name: "flip",
      spec: { provider: "openai", endpoint: fake.url, models: ["x"] },
    });
    assert.equal(first.status, 201);
    const second = await platform.call("POST", "/model-providers", {
      name: "flip",
      spec: { provider: "openai", endpoint: `${fake.url}/good/v1`, models: ["x"] },
    });
    assert.equal(second.status, 200);
    await providerProbeSettled(platform.store, "default", "flip");
    const stored = (await platform.call("GET", "/model-providers/flip")).json as any;
    assert.deepEqual([stored.status.phase, stored.spec.endpoint], ["Available", `${fake.url}/good/v1`]);
  });
});
