import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { cliWithPlatform } from "./helpers.js";

const env = cliWithPlatform();
const { cli, ok } = env;

/** `-o json` output parses and equals what the platform serves at `path`. */
async function jsonMatches(args: string[], path: string): Promise<void> {
  const parsed: unknown = JSON.parse(await ok(...args, "-o", "json"));
  assert.deepEqual(parsed, (await env.platform.call("GET", path)).json, args.join(" "));
}

describe("tools", () => {
  test("create from JSON, YAML and flags; list, get, test, delete", async () => {
    writeFileSync(
      join(env.dir, "tool.json"),
      JSON.stringify({ name: "weather", base_url: "http://127.0.0.1:9/weather" }),
    );
    writeFileSync(
      join(env.dir, "tool.yaml"),
      "name: tickets\nspec:\n  description: Ticketing\n  connection:\n    topology: External\n" +
        "    baseUrl: http://127.0.0.1:9/tickets\n    port: 443\n    scheme: HTTPS\n    authentication:\n" +
        "      type: None\n  capabilities:\n    - name: create\n      method: POST\n      path: /tickets\n",
    );
    assert.equal(await ok("tools", "create", "-f", "tool.json"), 'Tool "weather" created successfully.\n');
    assert.equal(await ok("tools", "create", "-f", "tool.json"), 'Tool "weather" updated successfully.\n');
    assert.equal(
      await ok("tools", "create", "--file", "tool.yaml"),
      'Tool "tickets" created successfully.\n',
    );
    assert.equal(
      await ok(
        "tools",
        "create",
        "--name",
        "crm",
        "--base-url",
        "http://127.0.0.1:9/crm",
        "--auth-type",
        "apikey",
        "--api-key-secret",
        "s3cret",
      ),
      'Tool "crm" created successfully.\n',
    );
    const w = Math.max(26, env.platform.url.length);
    const row = (...cells: string[]) => cells.join(" | ");
    assert.equal(
      await ok("tools", "list"),
      [
        row("NAME     ", "TOPOLOGY", "BASE URL".padEnd(w), "ACCESS    ", "STATUS"),
        `----------+----------+-${"-".repeat(w)}-+------------+-${"-".repeat(11)}`,
        row("crm      ", "External", "http://127.0.0.1:9/crm".padEnd(w), "Restricted", "Unavailable"),
        row("echo-tool", "Internal", env.platform.url.padEnd(w), "Restricted", "Available"),
        row("tickets  ", "External", "http://127.0.0.1:9/tickets".padEnd(w), "Restricted", "Unavailable"),
        row("weather  ", "External", "http://127.0.0.1:9/weather".padEnd(w), "Restricted", "Unavailable"),
        "",
      ].join("\n"),
    );
    await jsonMatches(["tools", "list"], "/tools");
    await jsonMatches(["tools", "get", "tickets"], "/tools/tickets");
    const get = await ok("tools", "get", "tickets");
    assert.match(get, /^Base URL: {5}http:\/\/127\.0\.0\.1:9\/tickets$/m);
    assert.match(get, /^create +\| POST +\| \/tickets \|$/m);
    assert.match(
      await ok("tools", "test", "echo-tool"),
      /^Tool "echo-tool" is reachable \(HTTP 200, \d+ ms\)\.\n$/,
    );
    assert.equal(await ok("tools", "delete", "crm"), 'Tool "crm" deleted.\n');
    const gone = await cli("tools", "get", "crm");
    assert.deepEqual(gone, {
      code: 1,
      stdout: "",
      stderr: 'Error: API error (HTTP 404): tool "crm" not found\n',
    });
    const mixed = await cli("tools", "create", "-f", "tool.json", "--name", "x");
    assert.deepEqual(mixed, {
      code: 2,
      stdout: "",
      stderr: "Error: --file cannot be combined with --name\n",
    });
    const missing = await cli("tools", "create", "-f", "nope.json");
    assert.deepEqual(missing, {
      code: 1,
      stdout: "",
      stderr: "Error: cannot read nope.json: no such file\n",
    });
  });
});

describe("models", () => {
  test("create from flags, list, get, spend, delete", async () => {
    assert.equal(
      await ok(
        "models",
        "create",
        "--name",
        "oai",
        "--provider",
        "openai",
        "--models",
        "gpt-4o,gpt-4o-mini",
        "--provider-endpoint",
        "http://127.0.0.1:9/v1",
      ),
      'Model provider "oai" created successfully.\n',
    );
    // The status is the gateway's health probe of the endpoint: a read waits for its outcome.
    assert.match(await ok("models", "list"), /^oai +\| openai +\| gpt-4o, gpt-4o-mini +\| Unavailable *$/m);
    assert.match(
      await ok("models", "list"),
      /^playground-llm +\| playground +\| gpt-4o-mini, playground +\| Available *$/m,
    );
    assert.match(
      await ok("models", "get", "oai"),
      /^Name: {6}oai\nProvider: {2}openai\nModels: {4}gpt-4o, gpt-4o-mini\nStatus: {4}Unavailable\nEndpoint: {2}http:\/\/127\.0\.0\.1:9\/v1\n$/,
    );
    await jsonMatches(["models", "list"], "/model-providers");
    assert.match(await ok("models", "spend"), /^Estimated spend: {4}\$0\.00$/m);
    await jsonMatches(["models", "spend"], "/model-spend");
    assert.equal(await ok("models", "delete", "oai"), 'Model provider "oai" deleted.\n');
  });
});

describe("policies, identity providers, approval connectors", () => {
  test("policies apply (create then update), get, list, translate, delete", async () => {
    writeFileSync(
      join(env.dir, "policy.yaml"),
      "name: echo-allow\nspec:\n  policies:\n    - permission: allow\n      operations: [POST]\n" +
        '      resource: "echo-tool/*"\n  approvals:\n    - name: ops\n      approvers:\n        groups: [ops-team]\n',
    );
    assert.equal(
      await ok("policies", "apply", "-f", "policy.yaml"),
      'Policy "echo-allow" created.\nRules: 1, approvals: 1\n',
    );
    assert.equal(
      await ok("policies", "apply", "-f", "policy.yaml"),
      'Policy "echo-allow" updated.\nRules: 1, approvals: 1\n',
    );
    assert.match(await ok("policies", "list"), /^echo-allow \| yes +\| +1 \| +1 \| +0$/m);
    const get = await ok("policies", "get", "echo-allow");
    assert.match(
      get,
      /^Policy rules:\n {2}1\. allow POST echo-tool\/\*\n\nApproval routes:\n {2}- ops -> groups: ops-team\n$/m,
    );
    await jsonMatches(["policies", "get", "echo-allow"], "/policies/echo-allow");
    assert.match(
      await ok("policies", "translate", "--from", "allow GET on weather"),
      /^allow +\| GET +\| weather +\|/m,
    );
    writeFileSync(join(env.dir, "empty.yaml"), "name: nothing\nspec:\n  policies: []\n");
    const empty = await cli("policies", "apply", "-f", "empty.yaml");
    assert.deepEqual(empty, {
      code: 1,
      stdout: "",
      stderr: "Error: empty.yaml: a policy needs at least one rule under spec.policies\n",
    });
    assert.equal(await ok("policies", "delete", "echo-allow"), 'Policy "echo-allow" deleted.\n');
  });

  test("policies evaluate reports the platform's answer", async () => {
    const result = await cli("policies", "evaluate", "--agent", "a", "--url", "http://tool.example/x");
    if (result.code === 0) assert.match(result.stdout, /^Decision: /m);
    else assert.match(result.stderr, /^Error: API error \(HTTP 40[45]\): .+\n$/);
    const missing = await cli("policies", "evaluate", "--agent", "a");
    assert.deepEqual(missing, { code: 2, stdout: "", stderr: "Error: --agent and --url are required\n" });
  });

  test("identity-providers apply, list, get, delete", async () => {
    writeFileSync(
      join(env.dir, "idp.yaml"),
      "name: corp\nspec:\n  host: agents.corp.example\n  identityProvider:\n    issuer: https://login.corp.example\n" +
        "    jwksUri: https://login.corp.example/jwks.json\n  userIDClaim: email\n  allowedDomains: [corp.example]\n",
    );
    assert.equal(
      await ok("identity-providers", "apply", "-f", "idp.yaml"),
      'Identity provider "corp" created.\nHost: agents.corp.example, user claim: email\n',
    );
    assert.match(
      await ok("identity-providers", "apply", "-f", "idp.yaml"),
      /^Identity provider "corp" updated\.$/m,
    );
    assert.match(
      await ok("identity-providers", "list"),
      /^corp \| agents\.corp\.example \| email +\| https:\/\/login\.corp\.example \| corp\.example$/m,
    );
    await jsonMatches(["identity-providers", "get", "corp"], "/identity-providers/corp");
    assert.equal(await ok("identity-providers", "delete", "corp"), 'Identity provider "corp" deleted.\n');
  });

  test("approval-connectors apply, list, get, defaults, activity, delete", async () => {
    writeFileSync(
      join(env.dir, "conn.json"),
      JSON.stringify({
        name: "ops-hook",
        type: "webhook",
        endpoint: "http://127.0.0.1:9/hook",
        timeout_seconds: 5,
      }),
    );
    const created = await ok("approval-connectors", "apply", "-f", "conn.json");
    const id = /^ID: (\S+), type: webhook, enabled: yes$/m.exec(created)?.[1] ?? "";
    assert.match(created, /^Approval connector "ops-hook" created\.$/m);
    assert.match(
      await ok("approval-connectors", "apply", "-f", "conn.json"),
      /^Approval connector "ops-hook" updated\.$/m,
    );
    assert.match(
      await ok("approval-connectors", "list"),
      new RegExp(`^${id} \\| ops-hook \\| webhook \\| yes +\\| 5s +\\| http://127\\.0\\.0\\.1:9/hook$`, "m"),
    );
    await jsonMatches(["approval-connectors", "get", id], `/approval-connectors/${id}`);
    assert.equal(
      await ok("approval-connectors", "defaults", "set", "--timeout-seconds", "20"),
      "Approval connector defaults updated.\n",
    );
    assert.match(await ok("approval-connectors", "defaults", "get"), /^Timeout: {10}20s$/m);
    const none = await cli("approval-connectors", "defaults", "set");
    assert.equal(none.code, 2);
    assert.equal(await ok("approval-connectors", "activity"), "No connector activity found.\n");
    assert.equal(await ok("approval-connectors", "delete", id), `Approval connector "${id}" deleted.\n`);
  });
});
