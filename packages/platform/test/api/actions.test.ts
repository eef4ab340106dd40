import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

const TOOL_SECRET = "sk-plan-tool-secret-991";

const fullPlan = () => ({
  plan_id: "plan-setup",
  actions: [
    {
      id: "tool",
      type: "tool.upsert",
      idempotency_key: "tool:payments-api",
      params: {
        name: "payments-api",
        spec: { connection: { baseUrl: "https://api.payments.example", authentication: { type: "APIKey" } } },
        credentials: { api_key: TOOL_SECRET },
      },
    },
    {
      id: "model",
      type: "model_provider.upsert",
      idempotency_key: "model:openai",
      params: {
        name: "openai-main",
        spec: { provider: "openai", endpoint: "https://api.openai.com", models: ["gpt-4o-mini"] },
      },
    },
    {
      id: "policy",
      type: "policy.upsert",
      idempotency_key: "policy:payments",
      params: {
        name: "payments-access",
        spec: { policies: [{ permission: "allow", resource: "https://api.payments.example/*" }] },
      },
    },
    {
      id: "draft",
      type: "deploy_draft.create_or_patch",
      idempotency_key: "draft:billing",
      params: {
        id: "billing-draft",
        artifact_id: "art-1",
        policies: ["payments-access"],
        agent_config: { agent_name: "billing", system_prompt: "You bill." },
      },
    },
    {
      id: "deploy",
      type: "deploy.execute",
      idempotency_key: "deploy:billing",
      params: { agent_name: "billing", draft_id: "billing-draft" },
    },
    { id: "kit", type: "starter_kit.seed", idempotency_key: "kit" },
  ],
});

describe("action plans API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("validates a plan without changing anything", async () => {
    const res = await platform.call("POST", "/actions/validate", fullPlan());
    assert.equal(res.status, 200, res.text);
    const body = res.json as Record<string, any>;
    assert.equal(body.plan_id, "plan-setup");
    assert.equal(body.namespace, "default");
    assert.equal(body.valid, true, res.text);
    assert.deepEqual(
      body.results.map((r: any) => [r.id, r.valid, r.resource_ref]),
      [
        ["tool", true, "/tools/payments-api"],
        ["model", true, "/model-providers/openai-main"],
        ["policy", true, "/policies/payments-access"],
        ["draft", true, "/deploy-drafts/billing-draft"],
        ["deploy", true, "/agents/billing"],
        ["kit", true, "/starter-kit"],
      ],
    );
    assert.deepEqual(Object.keys(body.results[0]).sort(), [
      "errors",
      "id",
      "idempotency_key",
      "resource_ref",
      "type",
      "valid",
      "warnings",
    ]);
    assert.equal((await platform.call("GET", "/tools/payments-api")).status, 404);
    assert.equal((await platform.call("GET", "/policies/payments-access")).status, 404);
  });

  it("answers 400 {error} for a malformed plan", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, "actions is required: a list of at least one action"],
      [{ actions: [] }, "actions must contain at least one action"],
      [
        { actions: [], extra: 1 },
        'unknown plan field(s) "extra": a plan has plan_id, continue_on_error, actions',
      ],
      [{ actions: [{}], continue_on_error: "yes" }, "continue_on_error must be true or false"],
      [{ actions: [{}], plan_id: 7 }, "plan_id must be a string"],
    ];
    for (const path of ["/actions/validate", "/actions/apply"]) {
      for (const [body, error] of cases) {
        const res = await platform.call("POST", path, body);
        assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
        assert.deepEqual(res.json, { error });
      }
    }
  });

  it("reports schema and per-type errors per action", async () => {
    const res = await platform.call("POST", "/actions/validate", {
      actions: [
        {
          type: "tool.upsert",
          idempotency_key: "a",
          params: { name: "t", spec: { connection: {} } },
          extra: true,
        },
        {
          type: "tool.upsert",
          idempotency_key: "a",
          params: { name: "t2", spec: { connection: { baseUrl: "ftp://x" } } },
        },
        {
          type: "model_provider.upsert",
          idempotency_key: "b",
          params: { name: "m", spec: { provider: "openai", endpoint: "https://x", models: [] } },
        },
        {
          type: "policy.upsert",
          idempotency_key: "c",
          params: { name: "p", spec: { policies: [{ permission: "perhaps" }] } },
        },
        { type: "deploy.execute", idempotency_key: "d", params: { agent_name: "x" } },
        { type: "rocket.launch", idempotency_key: "e" },
        { type: "starter_kit.seed", idempotency_key: "" },
        { type: "deploy_draft.create_or_patch", idempotency_key: "f", params: { expected_version: 0 } },
      ],
    });
    assert.equal(res.status, 200);
    const body = res.json as Record<string, any>;
    assert.equal(body.valid, false);
    const errors = body.results.map((r: any) => r.errors);
    assert.deepEqual(errors[0], [
      'unknown action field(s) "extra": an action has id, type, idempotency_key, params',
      "params.spec.connection.baseUrl is required",
    ]);
    assert.deepEqual(
      errors[1],
      ['duplicate idempotency_key "a" (also used by actions[0])'],
      "schema errors first; the deep check runs only on a schema-clean action",
    );
    assert.deepEqual(errors[2], ["params.spec.models must list at least one model"]);
    assert.deepEqual(errors[3], [
      "params.spec.policies[0].permission must be one of allow, deny, approval_required",
    ]);
    assert.deepEqual(errors[4], [
      "params needs a deploy source: one of draft_id, artifact_id, image, source_files",
    ]);
    assert.deepEqual(errors[5], [
      'type "rocket.launch" is not one of tool.upsert, model_provider.upsert, policy.upsert, deploy_draft.create_or_patch, deploy.execute, starter_kit.seed',
    ]);
    assert.deepEqual(errors[6], ["idempotency_key is required (a non-empty string)"]);
    assert.deepEqual(errors[7], ["params.expected_version must be an integer >= 1"]);
    assert.equal(body.results[0].id, "action-1", "ids default to the position");
  });

  it("runs the routes' own parsers in validation (bad URL, bad draft field)", async () => {
    const res = await platform.call("POST", "/actions/validate", {
      actions: [
        {
          type: "tool.upsert",
          idempotency_key: "x1",
          params: { name: "t2", spec: { connection: { baseUrl: "ftp://x" } } },
        },
        { type: "deploy_draft.create_or_patch", idempotency_key: "x2", params: { step: 5 } },
      ],
    });
    const body = res.json as Record<string, any>;
    assert.deepEqual(body.results[0].errors, [
      "params: spec.connection.baseUrl must be an absolute http(s) URL",
    ]);
    assert.deepEqual(body.results[1].errors, ["params.step must be a string"]);
  });

  it("refuses to apply an invalid plan: 400 with an apply-shaped body, every result invalid", async () => {
    const plan = fullPlan();
    (plan.actions[1] as any).params.spec.models = [];
    const res = await platform.call("POST", "/actions/apply", plan);
    assert.equal(res.status, 400);
    const body = res.json as Record<string, any>;
    assert.match(
      body.error,
      /^action plan is invalid: model: params.spec.models must list at least one model/,
    );
    assert.equal(body.applied, false);
    assert.equal(body.applied_count, 0);
    assert.equal(body.failed_count, 0);
    assert.ok(body.results.every((r: any) => r.status === "invalid"));
    assert.equal(body.results[1].error, "params.spec.models must list at least one model");
    assert.equal((await platform.call("GET", "/tools/payments-api")).status, 404, "nothing was applied");
  });

  it("applies a plan in order through the real routes, without leaking credentials", async () => {
    const res = await platform.call("POST", "/actions/apply", fullPlan());
    assert.equal(res.status, 200, res.text);
    const body = res.json as Record<string, any>;
    assert.equal(body.applied, true, res.text);
    assert.equal(body.applied_count, 6);
    assert.equal(body.failed_count, 0);
    assert.deepEqual(
      body.results.map((r: any) => [r.id, r.status, r.resource_ref]),
      [
        ["tool", "applied", "/tools/payments-api"],
        ["model", "applied", "/model-providers/openai-main"],
        ["policy", "applied", "/policies/payments-access"],
        ["draft", "applied", "/deploy-drafts/billing-draft"],
        ["deploy", "applied", "/agents/billing"],
        ["kit", "applied", "/starter-kit"],
      ],
    );
    assert.equal(body.results[0].output.base_url, "https://api.payments.example");
    assert.ok(!res.text.includes(TOOL_SECRET));
    assert.equal((await platform.call("GET", "/tools/payments-api")).status, 200);
    const policy = (await platform.call("GET", "/policies/payments-access")).json as any;
    assert.deepEqual(policy.used_by, [{ name: "billing", namespace: "default" }]);
    const agent = (await platform.call("GET", "/agents/billing")).json as any;
    assert.equal(agent.system_prompt, "You bill.");
  });

  it("skips already-applied idempotency keys on a second apply, with the earlier resource_ref", async () => {
    const res = await platform.call("POST", "/actions/apply", fullPlan());
    assert.equal(res.status, 200);
    const body = res.json as Record<string, any>;
    assert.equal(body.applied_count, 0);
    assert.ok(body.results.every((r: any) => r.status === "skipped"));
    assert.equal(body.results[3].resource_ref, "/deploy-drafts/billing-draft");
    const validated = (await platform.call("POST", "/actions/validate", fullPlan())).json as any;
    assert.equal(validated.valid, true);
    assert.match(validated.results[0].warnings[0], /^already applied at .*: apply will skip it$/);
  });

  it("refuses an idempotency key reused for a different action type", async () => {
    const res = await platform.call("POST", "/actions/validate", {
      actions: [{ type: "starter_kit.seed", idempotency_key: "tool:payments-api" }],
    });
    assert.deepEqual((res.json as any).results[0].errors, [
      'idempotency_key "tool:payments-api" was already used by a tool.upsert action',
    ]);
  });

  it("stops after a failure unless continue_on_error, and does not remember failed keys", async () => {
    const plan = (continueOnError: boolean, suffix: string) => ({
      continue_on_error: continueOnError,
      actions: [
        {
          id: "deploy",
          type: "deploy.execute",
          idempotency_key: `deploy-missing-${suffix}`,
          params: { agent_name: "ghost", draft_id: "no-such-draft" },
        },
        {
          id: "policy",
          type: "policy.upsert",
          idempotency_key: `policy-after-${suffix}`,
          params: { name: `after-${suffix}`, spec: { policies: [] } },
        },
      ],
    });
    const validated = (await platform.call("POST", "/actions/validate", plan(false, "a"))).json as any;
    assert.equal(validated.valid, true);
    assert.deepEqual(validated.results[0].warnings, ['deploy draft "no-such-draft" does not exist yet']);

    const stop = (await platform.call("POST", "/actions/apply", plan(false, "a"))).json as any;
    assert.equal(stop.applied, false);
    assert.equal(stop.failed_count, 1);
    assert.deepEqual(
      stop.results.map((r: any) => r.status),
      ["failed", "skipped"],
    );
    assert.equal(stop.results[0].error, 'deploy draft "no-such-draft" not found');
    assert.equal(stop.results[1].error, "not run: an earlier action failed");
    assert.equal((await platform.call("GET", "/policies/after-a")).status, 404);

    const go = (await platform.call("POST", "/actions/apply", plan(true, "b"))).json as any;
    assert.deepEqual(
      go.results.map((r: any) => r.status),
      ["failed", "applied"],
    );
    assert.equal(go.applied_count, 1);

    const retry = (await platform.call("POST", "/actions/apply", plan(true, "b"))).json as any;
    assert.deepEqual(
      retry.results.map((r: any) => r.status),
      ["failed", "skipped"],
      "the failed key runs again",
    );
  });

  it("patches an existing draft through create_or_patch, mapping a version conflict to failed", async () => {
    const ok = (
      await platform.call("POST", "/actions/apply", {
        actions: [
          {
            type: "deploy_draft.create_or_patch",
            idempotency_key: "patch-1",
            params: { id: "billing-draft", step: "review", expected_version: 1 },
          },
        ],
      })
    ).json as any;
    assert.equal(ok.results[0].status, "applied", JSON.stringify(ok));
    assert.equal(ok.results[0].output.version, 2);
    const stale = (
      await platform.call("POST", "/actions/apply", {
        actions: [
          {
            type: "deploy_draft.create_or_patch",
            idempotency_key: "patch-2",
            params: { id: "billing-draft", step: "x", expected_version: 1 },
          },
        ],
      })
    ).json as any;
    assert.equal(stale.results[0].status, "failed");
    assert.equal(stale.results[0].error, "version conflict: expected 1, current is 2");
  });
});
