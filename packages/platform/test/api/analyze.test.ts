import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

const FILES = {
  "agent.ts": [
    'import OpenAI from "openai";',
    "const client = new OpenAI();",
    "export async function handler(req: { message: string }) {",
    '  const res = await fetch("https://api.stripe.com/v1/charges");',
    "  return { response: await res.text() };",
    "}",
  ].join("\n"),
};

describe("analyze API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("analyses sources, answers 201 with an id, and serves the cached result", async () => {
    const res = await platform.call("POST", "/analyze", { files: FILES });
    assert.equal(res.status, 201, res.text);
    const analysis = res.json as Record<string, any>;
    assert.match(analysis.id, /^analysis-[0-9a-f]{16}$/);
    assert.equal(analysis.entry_point, "agent.ts");
    assert.ok(analysis.detected_requirements.includes("openai"));
    for (const key of [
      "framework",
      "tools",
      "model_providers",
      "model_usages",
      "secrets",
      "outbound_destinations",
      "system_prompt_suggestion",
    ]) {
      assert.ok(key in analysis, key);
    }
    const cached = await platform.call("GET", `/analysis/${analysis.id}`);
    assert.equal(cached.status, 200);
    assert.deepEqual(cached.json, analysis);
  });

  it("answers 404 for an unknown or expired analysis and purges it", async () => {
    const missing = await platform.call("GET", "/analysis/analysis-0000");
    assert.deepEqual([missing.status, missing.json], [404, { error: "analysis not found" }]);
    const { id } = (await platform.call("POST", "/analyze", { files: FILES })).json as { id: string };
    const record = await platform.store.getResource("default", "analysis", id);
    await platform.store.putResource("default", "analysis", id, {
      ...record?.doc,
      expires_at: "2000-01-01T00:00:00.000Z",
    });
    const expired = await platform.call("GET", `/analysis/${id}`);
    assert.deepEqual([expired.status, expired.json], [404, { error: "analysis not found" }]);
    assert.equal(await platform.store.getResource("default", "analysis", id), undefined);
  });

  it("keeps analyses per workspace", async () => {
    const { id } = (await platform.call("POST", "/analyze", { files: FILES })).json as { id: string };
    assert.equal((await platform.call("GET", `/workspaces/other/analysis/${id}`)).status, 404);
  });

  it("detects requirements and the entry point", async () => {
    const res = await platform.call("POST", "/requirements", { files: FILES });
    assert.equal(res.status, 200);
    const body = res.json as { requirements: string[]; entry_point: string };
    assert.deepEqual(Object.keys(body).sort(), ["entry_point", "requirements"]);
    assert.ok(body.requirements.includes("openai"));
    assert.equal(body.entry_point, "agent.ts");
  });

  it("rejects a missing or invalid files map on both routes", async () => {
    for (const path of ["/analyze", "/requirements"]) {
      const none = await platform.call("POST", path, {});
      assert.deepEqual([none.status, none.json], [400, { error: "files is required" }]);
      const list = await platform.call("POST", path, { files: ["agent.ts"] });
      assert.deepEqual(
        [list.status, list.json],
        [400, { error: "files must be an object mapping relative file paths to file contents" }],
      );
      const empty = await platform.call("POST", path, { files: {} });
      assert.deepEqual([empty.status, empty.json], [400, { error: "files must contain at least one file" }]);
      const absolute = await platform.call("POST", path, { files: { "/etc/passwd": "x" } });
      assert.equal(absolute.status, 400);
    }
  });
});
