import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("deploy drafts API (keyless local use)", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("creates an empty draft with version 1, owned by local", async () => {
    const res = await platform.call("POST", "/deploy-drafts");
    assert.equal(res.status, 201);
    const d = res.json as Record<string, any>;
    assert.match(d.id, /^[0-9a-f-]{36}$/);
    assert.equal(d.version, 1);
    assert.equal(d.status, "IN_PROGRESS");
    assert.equal(d.user_id, platform.adminSubject);
    assert.equal(d.namespace, "default");
    assert.deepEqual(d.policies, []);
    assert.deepEqual(d.model_mappings, {});
    assert.deepEqual(d.agent_config, {});
  });

  it("creates from DeployDraftInput fields and ignores a user_id in the body", async () => {
    const res = await platform.call("POST", "/deploy-drafts", {
      artifact_id: "art-1",
      source_type: "code",
      step: "deploy",
      policies: ["payments-access"],
      required_tool_names: ["stripe"],
      model_mappings: { default: { provider: "openai", model: "gpt-4o-mini", monthly_budget_usd: 20 } },
      agent_config: { agent_name: "billing", access_mode: "authenticated", use_custom_image: false },
      user_id: "mallory",
    });
    assert.equal(res.status, 201);
    const d = res.json as Record<string, any>;
    assert.equal(d.user_id, platform.adminSubject);
    assert.equal(d.step, "deploy");
    assert.deepEqual(d.model_mappings.default, {
      provider: "openai",
      model: "gpt-4o-mini",
      monthly_budget_usd: 20,
    });
    assert.deepEqual(d.agent_config, {
      agent_name: "billing",
      use_custom_image: false,
      access_mode: "authenticated",
    });
  });

  it("rejects invalid fields with 400 naming them", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ step: 3 }, "step must be a string"],
      [{ policies: "p" }, "policies must be a list of strings"],
      [{ model_mappings: { default: { provider: "openai" } } }, "model_mappings.default.model is required"],
      [
        { model_mappings: { default: { provider: "o", model: "m", monthly_budget_usd: -1 } } },
        "model_mappings.default.monthly_budget_usd must be a number >= 0",
      ],
      [
        { agent_config: { access_mode: "public" } },
        "agent_config.access_mode must be one of open, authenticated",
      ],
      [{ status: "DONE" }, "status must be one of IN_PROGRESS, COMPLETED, ABANDONED"],
      [{ tool_mappings: [] }, "tool_mappings must be an object"],
    ];
    for (const [body, error] of cases) {
      const res = await platform.call("POST", "/deploy-drafts", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.json, { error });
    }
  });

  it("patches with optimistic concurrency: expected_version mismatch is 409", async () => {
    const d = (await platform.call("POST", "/deploy-drafts", { step: "source" })).json as Record<string, any>;
    const patched = await platform.call("PATCH", `/deploy-drafts/${d.id}`, {
      expected_version: 1,
      step: "tools",
    });
    assert.equal(patched.status, 200);
    assert.equal((patched.json as any).version, 2);
    assert.equal((patched.json as any).step, "tools");
    const stale = await platform.call("PATCH", `/deploy-drafts/${d.id}`, {
      expected_version: 1,
      step: "models",
    });
    assert.equal(stale.status, 409);
    assert.deepEqual(stale.json, { error: "version conflict: expected 1, current is 2" });
    const bad = await platform.call("PATCH", `/deploy-drafts/${d.id}`, { expected_version: 0 });
    assert.deepEqual(bad.json, { error: "expected_version must be an integer >= 1" });
    const unversioned = await platform.call("PATCH", `/deploy-drafts/${d.id}`, { status: "ABANDONED" });
    assert.equal((unversioned.json as any).status, "ABANDONED");
    assert.equal((unversioned.json as any).version, 3);
  });

  it("completes and abandons only from IN_PROGRESS", async () => {
    const d = (await platform.call("POST", "/deploy-drafts")).json as Record<string, any>;
    const done = await platform.call("POST", `/deploy-drafts/${d.id}/complete`);
    assert.equal(done.status, 200);
    assert.equal((done.json as any).status, "COMPLETED");
    const again = await platform.call("POST", `/deploy-drafts/${d.id}/abandon`);
    assert.equal(again.status, 409);
    assert.deepEqual(again.json, {
      error: `deploy draft "${d.id}" is COMPLETED; only IN_PROGRESS drafts can be abandoned`,
    });
    const e = (await platform.call("POST", "/deploy-drafts")).json as Record<string, any>;
    assert.equal((await platform.call("POST", `/deploy-drafts/${e.id}/abandon`)).status, 200);
    const twice = await platform.call("POST", `/deploy-drafts/${e.id}/complete`);
    assert.equal(twice.status, 409);
  });

  it("lists IN_PROGRESS drafts by default, newest first; status=all and filters", async () => {
    const list = (await platform.call("GET", "/deploy-drafts")).json as any[];
    assert.ok(list.length >= 2);
    assert.ok(list.every((d) => d.status === "IN_PROGRESS"));
    const updated = list.map((d) => d.updated_at);
    assert.deepEqual(updated, [...updated].sort().reverse());
    const all = (await platform.call("GET", "/deploy-drafts?status=all")).json as any[];
    assert.ok(all.some((d) => d.status === "COMPLETED") && all.some((d) => d.status === "ABANDONED"));
    const completed = (await platform.call("GET", "/deploy-drafts?status=completed")).json as any[];
    assert.ok(completed.length >= 1 && completed.every((d) => d.status === "COMPLETED"));
    const bad = await platform.call("GET", "/deploy-drafts?status=DONE");
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, {
      error: "query parameter status must be one of IN_PROGRESS, COMPLETED, ABANDONED, all",
    });
  });

  it("creates with a chosen id once (409 after), and 404s unknown drafts", async () => {
    assert.equal((await platform.call("POST", "/deploy-drafts", { id: "draft-one" })).status, 201);
    const dup = await platform.call("POST", "/deploy-drafts", { id: "draft-one" });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.json, { error: 'deploy draft "draft-one" already exists' });
    for (const [method, path] of [
      ["GET", "/deploy-drafts/nope"],
      ["PATCH", "/deploy-drafts/nope"],
      ["DELETE", "/deploy-drafts/nope"],
      ["POST", "/deploy-drafts/nope/complete"],
    ] as const) {
      const res = await platform.call(method, path);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.deepEqual(res.json, { error: 'deploy draft "nope" not found' });
    }
    assert.deepEqual((await platform.call("DELETE", "/deploy-drafts/draft-one")).json, { status: "deleted" });
    assert.equal((await platform.call("GET", "/deploy-drafts/draft-one")).status, 404);
  });
});

describe("deploy drafts API (per-user ownership with API keys)", () => {
  let platform: TestPlatform;
  const keys: Record<string, string> = {};
  const subjects: Record<string, string> = {};
  const as = (who: string) => ({ "X-RunAgents-API-Key": keys[who] as string });
  before(async () => {
    platform = await startTestPlatform();
    for (const name of ["alice", "bob"]) {
      const body = { name, role: name === "bob" ? "developer" : "admin" };
      const res = await platform.call("POST", "/auth/api-keys", body, name === "bob" ? as("alice") : {});
      assert.equal(res.status, 201, res.text);
      keys[name] = (res.json as { token: string }).token;
      subjects[name] = `key:${(res.json as { key: { id: string } }).key.id}`;
    }
  });
  after(() => platform.destroy());

  it("owns drafts by the API key's subject, filters mine=1 by default, and forbids other users", async () => {
    const mine = (await platform.call("POST", "/deploy-drafts", { step: "a" }, as("alice"))).json as any;
    assert.equal(mine.user_id, subjects.alice);
    const bobs = (await platform.call("POST", "/deploy-drafts", { step: "b" }, as("bob"))).json as any;
    assert.equal(bobs.user_id, subjects.bob);

    const aliceList = (await platform.call("GET", "/deploy-drafts", undefined, as("alice"))).json as any[];
    assert.deepEqual(
      aliceList.map((d) => d.id),
      [mine.id],
    );
    const everyone = (await platform.call("GET", "/deploy-drafts?mine=0", undefined, as("alice")))
      .json as any[];
    assert.deepEqual(new Set(everyone.map((d) => d.id)), new Set([mine.id, bobs.id]));

    for (const [method, path] of [
      ["GET", `/deploy-drafts/${bobs.id}`],
      ["PATCH", `/deploy-drafts/${bobs.id}`],
      ["DELETE", `/deploy-drafts/${bobs.id}`],
      ["POST", `/deploy-drafts/${bobs.id}/complete`],
    ] as const) {
      const res = await platform.call(method, path, method === "GET" ? undefined : {}, as("alice"));
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.deepEqual(res.json, { error: `deploy draft "${bobs.id}" belongs to another user` });
    }
    const own = await platform.call("PATCH", `/deploy-drafts/${bobs.id}`, { step: "c" }, as("bob"));
    assert.equal(own.status, 200);
  });
});
