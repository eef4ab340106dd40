import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { compareSemver } from "../../src/governance/catalog/index.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("catalog API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  const ids = async (query: string) => {
    const res = await platform.call("GET", `/catalog${query}`);
    assert.equal(res.status, 200, res.text);
    return ((res.json as any).items as any[]).map((i) => i.id);
  };

  it("lists the built-in entries as snake_case index items with paging fields", async () => {
    const res = await platform.call("GET", "/catalog");
    assert.equal(res.status, 200);
    const body = res.json as Record<string, any>;
    assert.deepEqual(Object.keys(body).sort(), ["generated_at", "items", "page", "page_size", "total"]);
    assert.match(body.generated_at, /Z$/);
    assert.equal(body.total, 3);
    assert.equal(body.page, 1);
    assert.equal(body.page_size, 24);
    assert.deepEqual(
      body.items.map((i: any) => i.id),
      ["hello-world", "support-triage", "expense-review"],
    );
    const hello = body.items[0];
    assert.deepEqual(Object.keys(hello).sort(), [
      "category",
      "complexity",
      "default_policies",
      "description",
      "governance_traits",
      "id",
      "latest_version",
      "metadata",
      "name",
      "required_integrations",
      "summary",
      "tags",
    ]);
    assert.equal(hello.latest_version, "1.1.0");
    assert.deepEqual(hello.required_integrations, ["echo-tool"]);
  });

  it("searches id, name, summary, tags and integrations; all words must match", async () => {
    assert.deepEqual(await ids("?search=ECHO"), ["hello-world"]);
    assert.deepEqual(await ids("?search=knowledge-base"), ["support-triage"]);
    assert.deepEqual(await ids("?search=expense%20approval"), ["expense-review"]);
    assert.deepEqual(await ids("?search=expense%20echo"), []);
  });

  it("filters by category, tag, integration and governance, as repeated keys or CSV", async () => {
    assert.deepEqual(await ids("?category=finance"), ["expense-review"]);
    assert.deepEqual(await ids("?category=Finance&category=Getting%20Started"), [
      "hello-world",
      "expense-review",
    ]);
    assert.deepEqual(await ids("?category=Finance,Getting%20Started"), ["hello-world", "expense-review"]);
    assert.deepEqual(await ids("?tag=Support"), ["support-triage"]);
    assert.deepEqual(await ids("?integration=ticketing"), ["support-triage"]);
    assert.deepEqual(await ids("?governance=human-in-the-loop"), ["support-triage", "expense-review"]);
    assert.deepEqual(await ids("?governance=human-in-the-loop&category=Finance"), ["expense-review"]);
    assert.deepEqual(await ids("?tag=Support&category=Finance"), []);
  });

  it("pages the matches and validates page and page_size", async () => {
    const res = await platform.call("GET", "/catalog?page=2&page_size=1");
    const body = res.json as Record<string, any>;
    assert.deepEqual([body.total, body.page, body.page_size], [3, 2, 1]);
    assert.deepEqual(
      body.items.map((i: any) => i.id),
      ["support-triage"],
    );
    assert.deepEqual(await ids("?page=9"), []);
    for (const [query, error] of [
      ["?page=0", "query parameter page must be an integer >= 1"],
      ["?page=x", "query parameter page must be an integer >= 1"],
      ["?page_size=0", "query parameter page_size must be an integer between 1 and 100"],
      ["?page_size=101", "query parameter page_size must be an integer between 1 and 100"],
    ]) {
      const bad = await platform.call("GET", `/catalog${query}`);
      assert.deepEqual([bad.status, bad.json], [400, { error }], query);
    }
  });

  it("serves the latest manifest in camelCase with the TypeScript sources inlined", async () => {
    const res = await platform.call("GET", "/catalog/hello-world");
    assert.equal(res.status, 200);
    const manifest = res.json as Record<string, any>;
    assert.equal(manifest.id, "hello-world");
    assert.equal(manifest.version, "1.1.0");
    assert.equal(manifest.defaultModel, "gpt-4o-mini");
    assert.deepEqual(manifest.requiredIntegrations, ["echo-tool"]);
    assert.equal(manifest.publishedAt, "2025-03-02T09:00:00Z");
    const template = manifest.deploymentTemplate;
    assert.equal(template.agentName, "hello-world");
    assert.deepEqual(template.requiredTools, ["echo-tool"]);
    assert.equal(template.sourceType, "typescript_source");
    const source = template.sourceFiles["agent.ts"] as string;
    assert.match(source, /import \{ Agent, PolicyDeniedError, type RunContext \} from "runagents";/);
    assert.match(source, /export async function handler\(request: HelloRequest, ctx: RunContext\)/);
    assert.match(
      source,
      /agent\.callTool\(\{ name: "echo-tool", path: "\/echo", payload: \{ message \} \}\)/,
    );
    assert.match(source, /if \(error instanceof PolicyDeniedError\)/, "a denial is handled explicitly");
    assert.ok(!("required_integrations" in manifest));
  });

  it("serves an older version on request and 404s for unknown ids and versions", async () => {
    const old = (await platform.call("GET", "/catalog/hello-world?version=1.0.0")).json as Record<
      string,
      any
    >;
    assert.equal(old.version, "1.0.0");
    assert.ok(!old.deploymentTemplate.sourceFiles["agent.ts"].includes("agent.chat"));
    for (const path of [
      "/catalog/hello-world?version=9.9.9",
      "/catalog/no-such-agent",
      "/catalog/no-such-agent/versions",
    ]) {
      const res = await platform.call("GET", path);
      assert.deepEqual([res.status, res.json], [404, { error: "catalog entry not found" }], path);
    }
    const bad = await platform.call("GET", "/catalog/bad%20id");
    assert.deepEqual([bad.status, bad.json], [400, { error: "invalid catalog path" }]);
  });

  it("lists versions newest first", async () => {
    const res = await platform.call("GET", "/catalog/support-triage/versions");
    assert.equal(res.status, 200);
    const body = res.json as Record<string, any>;
    assert.equal(body.agent_id, "support-triage");
    assert.deepEqual(
      body.versions.map((v: any) => v.version),
      ["1.2.0", "1.0.0"],
    );
    assert.deepEqual(Object.keys(body.versions[0]).sort(), [
      "changelog",
      "published_at",
      "summary",
      "version",
    ]);
  });

  it("is the same in every workspace", async () => {
    const res = await platform.call("GET", `${platform.api}/workspaces/other/catalog`);
    assert.equal((res.json as any).total, 3);
  });
});

describe("compareSemver", () => {
  it("orders numerically, with pre-releases before their release", () => {
    const sorted = [
      "1.2.0",
      "1.10.0",
      "0.9.1",
      "1.10.0-rc.1",
      "2.0.0",
      "1.10.0-beta.2",
      "1.10.0-beta.10",
    ].sort(compareSemver);
    assert.deepEqual(sorted, [
      "0.9.1",
      "1.2.0",
      "1.10.0-beta.2",
      "1.10.0-beta.10",
      "1.10.0-rc.1",
      "1.10.0",
      "2.0.0",
    ]);
    assert.equal(compareSemver("v1.0.0", "1.0.0"), 0);
  });
});
