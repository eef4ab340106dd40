import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type ActionPlan, APIError } from "../../src/index.js";
import { clientFor, serve } from "../helpers/recording-server.js";

const PLAN: ActionPlan = {
  plan_id: "p1",
  actions: [{ id: "a", type: "starter_kit.seed", idempotency_key: "seed-1", params: {} }],
};

describe("actions", () => {
  test("validate posts the plan as given and types the response", async (t) => {
    const server = await serve(t);
    server.reply({
      json: {
        plan_id: "p1",
        namespace: "default",
        valid: true,
        results: [
          {
            id: "a",
            type: "starter_kit.seed",
            idempotency_key: "seed-1",
            valid: true,
            errors: [],
            warnings: ["w"],
            resource_ref: "",
          },
        ],
      },
    });
    const result = await clientFor(server).actions.validate(PLAN);
    assert.equal(`${server.only().method} ${server.only().url}`, "POST /api/v1/actions/validate");
    assert.deepEqual(server.only().json, PLAN);
    assert.deepEqual(result, {
      planId: "p1",
      namespace: "default",
      valid: true,
      results: [
        {
          id: "a",
          type: "starter_kit.seed",
          idempotencyKey: "seed-1",
          valid: true,
          errors: [],
          warnings: ["w"],
          resourceRef: "",
        },
      ],
    });
  });

  test("apply types the response, and a 400 is an APIError carrying the apply-shaped body", async (t) => {
    const server = await serve(t);
    const invalid = {
      plan_id: "p1",
      applied: false,
      applied_count: 0,
      failed_count: 1,
      results: [{ id: "a", status: "invalid", error: "bad" }],
    };
    server.reply(
      {
        json: {
          plan_id: "p1",
          namespace: "default",
          applied: true,
          applied_count: 1,
          failed_count: 0,
          results: [
            {
              id: "a",
              type: "starter_kit.seed",
              idempotency_key: "seed-1",
              status: "applied",
              resource_ref: "/starter-kit",
              output: { ok: 1 },
            },
          ],
        },
      },
      { status: 400, json: invalid },
    );
    const client = clientFor(server);
    const applied = await client.actions.apply(PLAN);
    assert.equal(applied.appliedCount, 1);
    assert.deepEqual(applied.results[0], {
      id: "a",
      type: "starter_kit.seed",
      idempotencyKey: "seed-1",
      status: "applied",
      resourceRef: "/starter-kit",
      error: "",
      output: { ok: 1 },
    });
    await assert.rejects(client.actions.apply(PLAN), (error: unknown) => {
      assert.ok(error instanceof APIError);
      assert.equal(error.status, 400);
      assert.deepEqual(error.detail, invalid);
      return true;
    });
    assert.deepEqual(server.calls(), ["POST /api/v1/actions/apply", "POST /api/v1/actions/apply"]);
  });
});

describe("analyze / starter kit / context export", () => {
  test("analyze posts {files} and returns an AnalysisResult", async (t) => {
    const server = await serve(t);
    server.reply({
      status: 201,
      json: {
        id: "analysis-1",
        framework: "openai",
        runtime_family: "node",
        tools: [{ name: "crm", base_url: "https://crm", file: "a.ts", line: 3 }],
        model_providers: [{ provider: "openai", model: "gpt-4o" }],
        model_usages: [{ role: "default", variable_name: "llm", file: "a.ts", line: 1 }],
        secrets: [{ type: "api_key", file: "a.ts", line: 2, severity: "high" }],
        outbound_destinations: ["crm"],
        detected_requirements: ["openai>=1.0"],
        entry_point: "a.ts",
      },
    });
    const files = { "a.ts": "const llm = 1" };
    const result = await clientFor(server).analyze(files);
    assert.equal(`${server.only().method} ${server.only().url}`, "POST /api/v1/analyze");
    assert.deepEqual(server.only().json, { files });
    assert.deepEqual(result, {
      id: "analysis-1",
      framework: "openai",
      runtimeFamily: "node",
      adapter: "",
      tools: [{ name: "crm", baseUrl: "https://crm", file: "a.ts", line: 3 }],
      modelProviders: [{ provider: "openai", model: "gpt-4o" }],
      modelUsages: [{ role: "default", variableName: "llm", file: "a.ts", line: 1 }],
      secrets: [{ type: "api_key", file: "a.ts", line: 2, severity: "high" }],
      outboundDestinations: ["crm"],
      detectedRequirements: ["openai>=1.0"],
      entryPoint: "a.ts",
      systemPromptSuggestion: "",
    });
  });

  test("seedStarterKit posts no body; exportContext returns the raw object", async (t) => {
    const server = await serve(t);
    const seeded = { tool_created: true, tools_created: ["echo-tool"], message: "ok" };
    const context = { generated_at: "t", namespace: "default", resources: { agents: [] } };
    server.reply({ status: 201, json: seeded }, { json: context });
    const client = clientFor(server);
    assert.deepEqual(await client.seedStarterKit(), seeded);
    assert.deepEqual(await client.exportContext(), context);
    assert.deepEqual(server.calls(), ["POST /api/v1/starter-kit", "GET /api/v1/context/export"]);
    assert.equal(server.requests[0]?.body, "");
    assert.equal(server.requests[0]?.headers["content-type"], "application/json");
  });
});
