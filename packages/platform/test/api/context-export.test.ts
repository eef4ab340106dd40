import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

const TOOL_SECRET = "sk-tool-export-secret-4242";
const PROVIDER_KEY = "sk-provider-export-key-7777";
const HEADER_SECRET = "xoxb-connector-export-token-5555";
const KEYS = [
  "agents",
  "tools",
  "model_providers",
  "policies",
  "identity_providers",
  "approval_connectors",
  "approvals",
  "deploy_drafts",
];

describe("context export API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
    const setup: [string, Record<string, unknown>][] = [
      [
        "/tools",
        {
          name: "payments-api",
          base_url: "https://api.payments.example",
          auth_type: "APIKey",
          credentials: { api_key: TOOL_SECRET },
        },
      ],
      [
        "/model-providers",
        {
          name: "openai-main",
          spec: { provider: "openai", endpoint: "https://api.openai.com", models: ["gpt-4o-mini"] },
          api_key: PROVIDER_KEY,
        },
      ],
      ["/policies", { name: "payments-access", spec: { policies: [{ permission: "allow" }] } }],
      [
        "/approval-connectors",
        {
          name: "slack-finance",
          type: "slack",
          endpoint: "C123",
          headers: { "X-Slack-Bot-Token": HEADER_SECRET },
        },
      ],
      ["/deploy-drafts", { step: "source" }],
    ];
    for (const [path, body] of setup) {
      const res = await platform.call("POST", path, body);
      assert.equal(res.status, 201, `${path}: ${res.text}`);
    }
  });
  after(() => platform.destroy());

  it("exports every section with the list routes' shapes, counts and no secrets", async () => {
    const res = await platform.call("GET", "/context/export");
    assert.equal(res.status, 200);
    const body = res.json as Record<string, any>;
    assert.match(body.generated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(body.namespace, "default");
    assert.equal(body.user_id, platform.adminSubject);
    assert.deepEqual(body.errors, {});
    assert.deepEqual(Object.keys(body.resources).sort(), [...KEYS].sort());
    for (const key of KEYS) {
      assert.ok(Array.isArray(body.resources[key]), key);
      assert.equal(body.meta[`${key}_count`], body.resources[key].length, key);
    }
    assert.equal(body.meta.tools_count, 1);
    assert.equal(body.resources.tools[0].name, "payments-api");
    assert.deepEqual(body.resources.approval_connectors[0].headers, { "X-Slack-Bot-Token": "***" });
    assert.equal(body.meta.deploy_drafts_count, 1);
    assert.deepEqual(body.resources.policies, (await platform.call("GET", "/policies")).json);
    for (const secret of [TOOL_SECRET, PROVIDER_KEY, HEADER_SECRET]) {
      assert.ok(!res.text.includes(secret), `${secret} leaked into the export`);
    }
  });

  it("scopes the export to the workspace in the URL", async () => {
    const res = await platform.call("GET", "/workspaces/empty-ws/context/export");
    const body = res.json as Record<string, any>;
    assert.equal(body.namespace, "empty-ws");
    assert.equal(body.meta.tools_count, 0);
    assert.deepEqual(body.resources.policies, []);
  });

  it("reports a failing section in errors and still exports the others", async () => {
    await platform.store.putResource("broken-ws", "approval_connector", "ac_bad", {
      id: "ac_bad",
      name: "bad",
      header_names: "not-a-list",
    });
    const res = await platform.call("GET", "/workspaces/broken-ws/context/export");
    assert.equal(res.status, 200);
    const body = res.json as Record<string, any>;
    assert.deepEqual(body.errors, { approval_connectors: "internal error" });
    assert.equal(body.resources.approval_connectors, undefined);
    assert.equal(body.meta.approval_connectors_count, undefined);
    assert.deepEqual(body.resources.tools, []);
    assert.ok(platform.logs.some((l) => l.includes("context export section failed")));
  });
});
