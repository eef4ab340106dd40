import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { phaseIs, waitForAgent } from "../deploy/helpers.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

const AGENT_TS =
  "export async function handler(req: { message: string }) {\n  return { response: req.message };\n}\n";

describe("deploy API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  const deploy = (body: unknown) => platform.call("POST", "/deploy", body);
  const error = async (body: unknown) => {
    const res = await deploy(body);
    assert.equal(res.status, 400, res.text);
    return (res.json as { error: string }).error;
  };

  it("records a source deployment and answers the DeployResult fields", async () => {
    const res = await deploy({
      agent_name: "hello-bot",
      source_files: { "agent.ts": AGENT_TS, "README.md": "hi" },
      system_prompt: "Be brief.",
      required_tools: [" echo-tool ", ""],
      llm_configs: [{ provider: "openai", model: "gpt-4o-mini", monthly_budget_usd: 5 }],
      env: [{ name: "GREETING", value: "hello" }],
      policies: ["hello-policy"],
      identity_provider: "corp-idp",
    });
    assert.equal(res.status, 201, res.text);
    const body = res.json as Record<string, any>;
    assert.equal(body.agent, "hello-bot");
    assert.equal(body.agent_name, "hello-bot");
    assert.equal(body.namespace, "default");
    assert.equal(body.status, "created");
    assert.equal(body.execution_mode, "FAST_OVERLAY");
    assert.equal(body.build_required, false);
    assert.equal(body.build_profile, "fast_overlay");
    assert.equal(typeof body.decision_reason, "string");
    assert.equal(body.entry_point, "agent.ts");
    assert.equal(body.version, 1);
    assert.equal(body.phase, "Pending");
    assert.equal(body.message, 'agent "hello-bot" created: building version 1');
    assert.deepEqual(body.tools_created, []);
    assert.deepEqual(body.warnings, [
      'tool "echo-tool" is not registered',
      'policy "hello-policy" does not exist: until it does, it allows nothing',
      'identity provider "corp-idp" does not exist',
      'no model provider serves model "gpt-4o-mini"',
    ]);

    const agent = await waitForAgent(platform, "hello-bot", phaseIs("Running"));
    assert.equal(agent.status.message, "version 1 is running");
    assert.match(agent.image, /^local:\/\/hello-bot:[0-9a-f]{12}$/);
    assert.deepEqual(agent.spec.requiredTools, [{ name: "echo-tool" }]);
    assert.deepEqual(agent.spec.llmConfig, { provider: "openai", model: "gpt-4o-mini" });
    assert.deepEqual(agent.spec.env, [{ name: "GREETING", value: "hello" }]);
    assert.deepEqual(agent.spec.policies, ["hello-policy"]);
    assert.equal(agent.labels["platform.ai/identity-provider"], "corp-idp");
    assert.equal(agent.runtime, "node");

    const source = await platform.store.getResource("default", "agent_source", "hello-bot");
    assert.equal((source?.doc.files as Record<string, string> | undefined)?.["agent.ts"], AGENT_TS);
    assert.equal(source?.doc.entry_point, "agent.ts");
  });

  it("is idempotent per agent name: a redeploy updates and keeps created_at", async () => {
    const first = (await platform.call("GET", "/agents/hello-bot")).json as Record<string, any>;
    const res = await deploy({ agent_name: "hello-bot", image: "registry.example/hello:2" });
    assert.equal(res.status, 201);
    assert.equal((res.json as Record<string, unknown>).status, "updated");
    assert.equal((res.json as Record<string, unknown>).phase, "Failed", "an image cannot run locally");
    const agent = await waitForAgent(platform, "hello-bot", (a) => a.status.pid === undefined);
    assert.match(agent.status.message, /^cannot run on the local platform: it runs agents from source files/);
    assert.equal(agent.created_at, first.created_at);
    assert.equal(agent.image, "registry.example/hello:2");
    assert.equal(agent.runtime, "container");
    assert.deepEqual(agent.spec.policies, [], "a deploy declares the whole agent");
    assert.equal(await platform.store.getResource("default", "agent_source", "hello-bot"), undefined);
  });

  it("creates tools_to_create through the tools route and binds them as required tools", async () => {
    const body = {
      agent_name: "tool-bot",
      image: "img:1",
      tools_to_create: [
        {
          name: "crm",
          base_url: "https://crm.example",
          auth_type: "APIKey",
          credentials: { api_key: "sk-crm-secret-1234" },
        },
      ],
    };
    const res = await deploy(body);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual((res.json as Record<string, unknown>).tools_created, ["crm"]);
    assert.ok(!res.text.includes("sk-crm-secret-1234"));
    const tool = (await platform.call("GET", "/tools/crm")).json as Record<string, any>;
    assert.equal(tool.base_url, "https://crm.example");
    assert.deepEqual(await platform.store.getSecret("default", "crm-credentials"), {
      api_key: "sk-crm-secret-1234",
    });
    const agent = await platform.call("GET", "/agents/tool-bot");
    assert.deepEqual((agent.json as Record<string, any>).required_tools, ["crm"]);
    assert.ok(!agent.text.includes("sk-crm-secret-1234"));
    const again = (await deploy(body)).json as Record<string, unknown>;
    assert.deepEqual(again.tools_created, []);
    assert.deepEqual(again.tools_updated, ["crm"]);
  });

  it("rejects anything but exactly one source", async () => {
    const message = "provide exactly one deploy source: source_files, image, draft_id, or artifact_id";
    assert.equal(await error({ agent_name: "x" }), message);
    assert.equal(await error({ agent_name: "x", source_files: {} }), message);
    assert.equal(await error({ agent_name: "x", image: "  " }), message);
    assert.equal(await error({ agent_name: "x", image: "a", artifact_id: "b" }), message);
    assert.equal(await error({ agent_name: "x", image: "a", source_files: { "a.ts": "" } }), message);
  });

  it("validates every field, naming it", async () => {
    assert.equal(await error({ image: "a" }), "agent_name is required");
    assert.match(await error({ agent_name: "Bad_Name", image: "a" }), /^invalid agent_name "Bad_Name"/);
    assert.match(await error({ agent_name: "x".repeat(64), image: "a" }), /^invalid agent_name/);
    assert.equal(
      await error({ agent_name: "x", image: "a", requirements: "openai" }),
      "requirements can only be used with source_files",
    );
    assert.equal(
      await error({ agent_name: "x", artifact_id: "a", entry_point: "a.ts" }),
      "entry_point can only be used with source_files",
    );
    assert.equal(
      await error({ agent_name: "x", source_files: { "a.ts": "" }, entry_point: "b.ts" }),
      'entry_point "b.ts" is not one of the source_files',
    );
    assert.match(
      await error({ agent_name: "x", source_files: { "../a.ts": "" } }),
      /^source_files: file path "..\/a.ts"/,
    );
    assert.match(
      await error({ agent_name: "x", source_files: "agent.ts" }),
      /^source_files must be an object/,
    );
    assert.equal(
      await error({ agent_name: "x", image: "a", system_prompt: 3 }),
      "system_prompt must be a string",
    );
    assert.equal(
      await error({ agent_name: "x", image: "a", required_tools: "t" }),
      "required_tools must be a list of strings",
    );
    assert.equal(
      await error({ agent_name: "x", image: "a", policies: [1] }),
      "policies must be a list of strings",
    );
    assert.equal(
      await error({ agent_name: "x", image: "a", tool_url_mappings: { "https://a": 1 } }),
      'tool_url_mappings["https://a"] must be a string',
    );
    assert.equal(await error({ agent_name: "x", image: "a", llm_configs: {} }), "llm_configs must be a list");
    assert.equal(
      await error({ agent_name: "x", image: "a", llm_configs: [{ provider: "openai" }] }),
      "llm_configs[0].model is required",
    );
    assert.equal(
      await error({
        agent_name: "x",
        image: "a",
        llm_configs: [{ provider: "o", model: "m", monthly_budget_usd: -1 }],
      }),
      "llm_configs[0].monthly_budget_usd must be a number >= 0 or null",
    );
    assert.equal(
      await error({
        agent_name: "x",
        image: "a",
        llm_configs: [
          { provider: "o", model: "m" },
          { provider: "o", model: "n" },
        ],
      }),
      'llm_configs[1].role "default" is already used by llm_configs[0]',
    );
    assert.equal(
      await error({ agent_name: "x", image: "a", env: [{ name: "1X", value: "" }] }),
      "env[0].name must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)",
    );
    assert.equal(
      await error({ agent_name: "x", image: "a", env: [{ name: "OPENAI_API_KEY", value: "sk" }] }),
      'env[0].name "OPENAI_API_KEY" is set by the platform and cannot be overridden',
    );
    assert.equal(
      await error({ agent_name: "x", image: "a", env: [{ name: "TOOL_URL_CRM", value: "u" }] }),
      'env[0].name "TOOL_URL_CRM" is set by the platform and cannot be overridden',
    );
    assert.equal(
      await error({ agent_name: "x", image: "a", identity_provider: 5 }),
      "identity_provider must be a string",
    );
  });

  it("writes nothing when any part of the request is invalid", async () => {
    const msg = await error({
      agent_name: "half-bot",
      image: "img",
      tools_to_create: [{ name: "first-tool", base_url: "https://first.example" }, { name: "second-tool" }],
    });
    assert.equal(msg, "tools_to_create[1]: base_url is required");
    assert.equal((await platform.call("GET", "/tools/first-tool")).status, 404);
    assert.equal((await platform.call("GET", "/agents/half-bot")).status, 404);
    assert.equal(
      await error({
        agent_name: "x",
        image: "a",
        tools_to_create: [
          { name: "t", base_url: "https://t" },
          { name: "t", base_url: "https://t" },
        ],
      }),
      'tools_to_create[1].name "t" appears more than once',
    );
  });

  it("hydrates a deploy from its draft and refuses an unknown draft", async () => {
    const missing = await deploy({ agent_name: "draft-bot", draft_id: "nope" });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, { error: 'deploy draft "nope" not found' });
    await platform.store.putResource("default", "deploy_draft", "draft-1", {
      id: "draft-1",
      policies: ["p1"],
      required_tool_names: ["crm"],
      model_mappings: { default: { provider: "openai", model: "gpt-4o", monthly_budget_usd: 3 } },
      agent_config: { agent_name: "draft-bot", system_prompt: "From the draft" },
    });
    const res = await deploy({ agent_name: "draft-bot", draft_id: "draft-1", policies: ["explicit"] });
    assert.equal(res.status, 201, res.text);
    const agent = (await platform.call("GET", "/agents/draft-bot")).json as Record<string, any>;
    assert.equal(agent.system_prompt, "From the draft");
    assert.deepEqual(agent.policies, ["explicit"], "the request wins over the draft");
    assert.deepEqual(agent.required_tools, ["crm"]);
    assert.equal(agent.llm_configs[0].monthly_budget_usd, 3);
    assert.deepEqual(agent.spec.source, { type: "draft", draft_id: "draft-1" });
  });

  it("previews a deploy without side effects", async () => {
    const res = await platform.call("POST", "/deploy/preview", {
      agent_name: "preview-bot",
      source_files: { "agent.ts": AGENT_TS },
      tools_to_create: [{ name: "preview-tool", base_url: "https://preview.example" }],
    });
    assert.equal(res.status, 200, res.text);
    const body = res.json as Record<string, any>;
    assert.equal(body.user_state, "instant");
    assert.equal(body.confidence, "high");
    assert.equal(typeof body.state_label, "string");
    assert.equal(typeof body.eta_range, "string");
    assert.equal(body.advanced_details.execution_mode, "FAST_OVERLAY");
    assert.equal(body.advanced_details.build_required, false);
    assert.equal((await platform.call("GET", "/agents/preview-bot")).status, 404);
    assert.equal((await platform.call("GET", "/tools/preview-tool")).status, 404);
    const bad = await platform.call("POST", "/deploy/preview", { agent_name: "preview-bot" });
    assert.equal(bad.status, 400);
  });

  it("keeps deployments per workspace", async () => {
    const res = await platform.call("POST", "/workspaces/team-a/deploy", {
      agent_name: "ws-bot",
      image: "img",
    });
    assert.equal(res.status, 201);
    assert.equal((res.json as Record<string, unknown>).namespace, "team-a");
    assert.equal((await platform.call("GET", "/agents/ws-bot")).status, 404);
    assert.equal((await platform.call("GET", "/workspaces/team-a/agents/ws-bot")).status, 200);
  });
});
