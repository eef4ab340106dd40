import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { seedStarterKit } from "../../src/deploy/starter-kit.js";
import { request, startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("starter kit API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("seeds the echo tool and the offline playground provider", async () => {
    const res = await platform.call("POST", "/starter-kit");
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json, {
      tool_created: "echo-tool",
      model_provider_created: "playground-llm",
      tools_created: ["echo-tool"],
      model_providers_created: ["playground-llm"],
      message: "starter kit seeded: created echo-tool, playground-llm",
    });
    const tool = (await platform.call("GET", "/tools/echo-tool")).json as Record<string, any>;
    assert.equal(tool.base_url, platform.url);
    assert.equal(tool.topology, "Internal");
    assert.equal(tool.auth_type, "None");
    assert.equal(tool.access_mode, "Restricted");
    assert.deepEqual(
      tool.capabilities.map((c: { method: string; path: string }) => `${c.method} ${c.path}`),
      ["POST /echo"],
    );
    const echo = await request(`${tool.base_url}/echo`, "POST", { message: "hi" });
    assert.equal((echo.json as { reply: string }).reply, "hi");
    const provider = (await platform.call("GET", "/model-providers/playground-llm")).json as Record<
      string,
      any
    >;
    assert.equal(provider.provider, "playground");
    assert.deepEqual(provider.models, ["gpt-4o-mini", "playground"]);
    // Working resources never read as Pending: the first read waits for their probes.
    assert.deepEqual(
      [provider.status.phase, provider.status.message],
      ["Available", "offline playground model: no network or key needed"],
    );
    const port = new URL(platform.url).port;
    assert.deepEqual(
      [tool.status.phase, tool.status.message],
      ["Available", `reachable: 127.0.0.1:${port} accepts connections`],
    );
    const listed = (await platform.call("GET", "/tools")).json as Record<string, any>[];
    assert.equal(listed.find((t) => t.name === "echo-tool")?.status.phase, "Available");
  });

  it("creates nothing the second time", async () => {
    const res = await platform.call("POST", "/starter-kit");
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, {
      tool_created: "",
      model_provider_created: "",
      tools_created: [],
      model_providers_created: [],
      message: "starter kit already present: echo-tool, playground-llm",
    });
  });

  it("leaves a user's own echo-tool alone but re-points the kit's tool at the platform", async () => {
    await platform.store.putResource("default", "tool", "echo-tool", {
      ...(await platform.store.getResource("default", "tool", "echo-tool"))?.doc,
      spec: {
        connection: { baseUrl: "http://127.0.0.1:1", topology: "Internal", authentication: { type: "None" } },
      },
    });
    await seedStarterKit(platform.services, "default");
    const tool = (await platform.call("GET", "/tools/echo-tool")).json as Record<string, any>;
    assert.equal(tool.base_url, platform.url);
    await platform.call("POST", "/tools", { name: "echo-tool", base_url: "https://mine.example" });
    await seedStarterKit(platform.services, "default");
    const mine = (await platform.call("GET", "/tools/echo-tool")).json as Record<string, any>;
    assert.equal(mine.base_url, "https://mine.example");
  });

  it("seeds each workspace separately", async () => {
    const res = await platform.call("POST", "/workspaces/team-b/starter-kit");
    assert.equal(res.status, 201);
    assert.equal((await platform.call("GET", "/workspaces/team-b/tools/echo-tool")).status, 200);
  });
});

describe("starter kit with a platform OpenAI key", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform({ config: { openaiApiKey: "sk-platform-openai-key-42" } });
  });
  after(() => platform.destroy());

  it("registers an openai playground-llm using the key from a secret only", async () => {
    const res = await platform.call("POST", "/starter-kit");
    assert.equal(res.status, 201);
    const get = await platform.call("GET", "/model-providers/playground-llm");
    const provider = get.json as Record<string, any>;
    assert.equal(provider.provider, "openai");
    assert.equal(provider.endpoint, "https://api.openai.com/v1");
    assert.deepEqual(provider.models, ["gpt-4o-mini"]);
    assert.deepEqual(provider.spec.auth.apiKeyConfig.secretRef, { name: "playground-llm-provider-key" });
    assert.ok(!get.text.includes("sk-platform-openai-key-42"));
    assert.deepEqual(await platform.store.getSecret("default", "playground-llm-provider-key"), {
      api_key: "sk-platform-openai-key-42",
    });
  });
});
