import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { cliWithPlatform } from "./helpers.js";

const env = cliWithPlatform();
const { cli, ok } = env;

describe("workspace commands", () => {
  test("starter-kit, catalog, analyze, action, context export", async () => {
    assert.equal(
      await ok("starter-kit"),
      "Starter kit seeded successfully.\nMessage: starter kit already present: echo-tool, playground-llm\n",
    );
    assert.match(
      await ok("catalog", "list"),
      /^hello-world +\| Hello World +\| Getting Started +\| 1\.1\.0 +\| echo-tool$/m,
    );
    assert.match(await ok("catalog", "versions", "hello-world"), /^1\.0\.0 +\| 2025-01-15T09:00:00Z \|/m);
    const shown = JSON.parse(await ok("catalog", "show", "hello-world", "-o", "json")) as { id: string };
    assert.equal(shown.id, "hello-world");
    const dry = JSON.parse(
      await ok("catalog", "deploy", "hello-world", "--dry-run", "--name", "hi"),
    ) as Record<string, unknown>;
    assert.deepEqual(Object.keys(dry), [
      "agent_name",
      "source_files",
      "required_tools",
      "policies",
      "system_prompt",
      "llm_configs",
    ]);
    assert.deepEqual(dry.llm_configs, [{ provider: "openai", model: "gpt-4o-mini", role: "default" }]);
    assert.match(
      await ok("catalog", "init", "hello-world", "hw"),
      /^Wrote 1 source files and runagents\.catalog\.json$/m,
    );
    assert.ok(existsSync(join(env.dir, "hw", "agent.ts")));
    assert.equal((await cli("catalog", "init", "hello-world", "hw")).code, 1);

    writeFileSync(
      join(env.dir, "a.ts"),
      'export async function handler() { return fetch("https://api.github.com/x"); }\n',
    );
    const analysis = await ok("analyze", "--file", "a.ts");
    assert.match(analysis, /^Entry Point: {2}a\.ts$/m);
    assert.match(analysis, /^Outbound Destinations:\n {2}- api\.github\.com$/m);

    writeFileSync(
      join(env.dir, "plan.json"),
      JSON.stringify({ actions: [{ id: "seed", type: "starter_kit.seed", idempotency_key: "k1" }] }),
    );
    assert.match(
      await ok("action", "validate", "-f", "plan.json"),
      /^Status: {5}VALID\n- \[OK\] seed \(starter_kit\.seed\)$/m,
    );
    writeFileSync(
      join(env.dir, "bad.json"),
      JSON.stringify({ actions: [{ type: "nope", idempotency_key: "k" }] }),
    );
    const invalid = await cli("actions", "validate", "-f", "bad.json");
    assert.equal(invalid.code, 1);
    assert.equal(invalid.stderr, "Error: the action plan is invalid\n");

    const context = JSON.parse(await ok("context", "export", "-o", "json")) as {
      resources: Record<string, unknown>;
    };
    assert.ok(Array.isArray(context.resources.tools));
  });

  test("agents logs prints the platform's answer; runs list is empty", async () => {
    const logs = await cli("agents", "logs", "nobody");
    assert.equal(logs.code, 1);
    assert.match(logs.stderr, /^Error: API error \(HTTP 404\): .+\n$/);
    assert.equal(await ok("runs", "list"), "No runs found.\n");
    assert.deepEqual(JSON.parse(await ok("runs", "list", "-o", "json")), []);
  });
});
