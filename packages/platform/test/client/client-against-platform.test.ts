/**
 * The SDK's Client against a real platform: every resource family end to end over HTTP, and the
 * effect of each call observed through another call (or the store) — on a SQLite-backed and on a
 * PostgreSQL-backed platform (a fresh schema per suite).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { APIError, Client, RunAgentsTimeoutError } from "runagents";
import { call, governedAgent, newRun } from "../egress/helpers.js";
import { platformStores, startTestPlatform, type TestPlatform } from "../helpers/platform.js";

for (const backend of await platformStores()) {
  describe(`Client against the real platform (${backend.name} store)`, { skip: backend.skip }, () => {
    let platform: TestPlatform;
    let client: Client;
    before(async () => {
      platform = await startTestPlatform({ store: backend.name });
      client = new Client({ endpoint: platform.url, apiKey: platform.adminKey, namespace: "default" });
    });
    after(() => platform.destroy());

    it("seeds the starter kit idempotently and lists its tool and model provider", async () => {
      const first = await client.seedStarterKit();
      assert.equal(first.tool_created, "echo-tool");
      await client.seedStarterKit();
      const tools = await client.tools.list();
      assert.equal(tools.filter((t) => t.name === "echo-tool").length, 1);
      const echo = await client.tools.get("echo-tool");
      assert.equal(echo.baseUrl, platform.url);
      const models = await client.models.list();
      assert.ok(models.some((m) => m.name === "playground-llm"));
    });

    it("creates, probes, tests and deletes a tool, keeping its credential out of every answer", async () => {
      const tool = await client.tools.create({
        name: "crm",
        baseUrl: platform.url,
        authType: "APIKey",
        credentials: { apiKey: "crm-secret-1234567890" },
      });
      assert.equal(tool.authType, "APIKey");
      assert.equal((await client.tools.probe(`${platform.url}/healthz`)).reachable, true);
      const tested = await client.tools.test("crm");
      assert.equal(tested.reachable, true);
      assert.equal((await client.tools.get("crm")).status, "Available");
      assert.deepEqual(await platform.store.getSecret("default", "crm-credentials"), {
        api_key: "crm-secret-1234567890",
      });
      const exported = JSON.stringify(await client.exportContext());
      assert.ok(!exported.includes("crm-secret-1234567890"));
      assert.deepEqual(await client.tools.delete("crm"), { status: "deleted" });
      await assert.rejects(
        client.tools.get("crm"),
        (err: unknown) => err instanceof APIError && err.status === 404,
      );
    });

    it("creates, reads and deletes a model provider", async () => {
      const created = await client.models.create({
        name: "local-openai",
        provider: "openai",
        endpoint: "http://127.0.0.1:9/v1",
        models: ["gpt-4o"],
        apiKey: "sk-provider-secret",
      });
      assert.equal(created.provider, "openai");
      assert.deepEqual((await client.models.get("local-openai")).models, ["gpt-4o"]);
      await client.models.delete("local-openai");
      await assert.rejects(
        client.models.get("local-openai"),
        (err: unknown) => err instanceof APIError && err.status === 404,
      );
    });

    it("deploys an agent from source, reads it back, updates its config and deletes it", async () => {
      const result = await client.agents.deploy({
        name: "hello-agent",
        sourceFiles: {
          "agent.ts": "export async function handler(req: { message: string }) { return req.message; }",
        },
        systemPrompt: "Be brief.",
        requiredTools: ["echo-tool"],
        llmConfigs: [{ provider: "openai", model: "gpt-4o-mini", role: "default", monthlyBudgetUsd: 5 }],
      });
      assert.equal(result.agentName, "hello-agent");
      assert.equal(result.status, "created");
      assert.equal(
        (await client.agents.deploy({ name: "hello-agent", image: "example/hello:1" })).status,
        "updated",
      );
      const agent = await client.agents.get("hello-agent");
      assert.equal(agent.name, "hello-agent");
      assert.ok((await client.agents.list()).some((a) => a.name === "hello-agent"));
      const config = await client.agents.updateConfig("hello-agent", { systemPrompt: "Be very brief." });
      assert.equal(config.systemPrompt, "Be very brief.");
      assert.equal((await client.agents.getConfig("hello-agent")).systemPrompt, "Be very brief.");
      const spend = await client.modelSpend.get();
      assert.equal(typeof spend.summary.totalEstimatedSpendUsd, "number");
      await client.agents.delete("hello-agent");
      await assert.rejects(
        client.agents.get("hello-agent"),
        (err: unknown) => err instanceof APIError && err.status === 404,
      );
    });

    it("applies a policy twice (create, then update), translates text and deletes it", async () => {
      const spec = {
        policies: [{ permission: "allow", operations: ["GET"], resource: "https://api.example.com/*" }],
      };
      const created = await client.policies.apply({ name: "read-only", spec });
      assert.equal(created.name, "read-only");
      const denySpec = { policies: [{ permission: "deny", operations: ["DELETE"], resource: "*" }] };
      await client.policies.apply({ name: "read-only", spec: denySpec });
      const stored = await client.policies.get("read-only");
      assert.equal(stored.spec.policies[0]?.permission, "deny");
      const rules = await client.policies.translate("require approval for POST to https://api.stripe.com/*");
      assert.equal(rules[0]?.permission, "approval_required");
      await client.policies.delete("read-only");
      assert.equal((await client.policies.list()).filter((p) => p.name === "read-only").length, 0);
    });

    it("applies an identity provider and an approval connector (upsert by name)", async () => {
      await client.identityProviders.apply({
        name: "corp-idp",
        spec: {
          host: "agents.example.com",
          identityProvider: { issuer: "https://idp.example.com", jwksUri: "https://idp.example.com/jwks" },
          userIDClaim: "email",
        },
      });
      assert.equal((await client.identityProviders.get("corp-idp")).name, "corp-idp");
      const connector = await client.approvalConnectors.apply({
        name: "ops-hook",
        endpoint: `${platform.url}/healthz`,
      });
      const updated = await client.approvalConnectors.apply({
        name: "ops-hook",
        endpoint: `${platform.url}/`,
      });
      assert.equal(updated.id, connector.id);
      assert.equal((await client.approvalConnectors.list()).length, 1);
      const defaults = await client.approvalConnectors.setDefaults({ timeoutSeconds: 30 });
      assert.equal(defaults.defaultTimeoutSeconds, 30);
      await client.approvalConnectors.delete(connector.id);
      await client.identityProviders.delete("corp-idp");
    });

    it("follows a run through events, a blocked action, approval and completion", async () => {
      const run = (await client.post("/runs", { agent_id: "hello-agent", user_id: "alice" })) as {
        id: string;
      };
      await client.post(`/runs/${run.id}/events`, {
        type: "USER_MESSAGE",
        actor: "alice",
        data: { content: "hi" },
      });
      const action = (await client.post(`/runs/${run.id}/actions`, { tool_id: "echo-tool" })) as {
        action_id: string;
      };
      const paused = await client.runs.get(run.id);
      assert.equal(paused.status, "PAUSED_APPROVAL");
      const pending = await client.approvals.list({ status: "PENDING" });
      const request = pending.find((r) => r.actionId === action.action_id);
      assert.ok(request, "approval request for the blocked action");
      const approved = await client.approvals.approve(request.id, { scope: "run", reason: "looks fine" });
      assert.equal(approved.status, "APPROVED");
      assert.equal(approved.scope, "run");
      await client.patch(`/runs/${run.id}`, { status: "RUNNING" });
      await client.patch(`/runs/${run.id}`, { status: "COMPLETED" });
      const done = await client.runs.wait(run.id, { timeoutMs: 2000, intervalMs: 20 });
      assert.equal(done.status, "COMPLETED");
      const events = await client.runs.events(run.id);
      assert.deepEqual(
        events.map((e) => e.sequence),
        events.map((_, i) => i + 1),
      );
      const types = events.map((e) => e.type);
      for (const type of ["RUN_CREATED", "USER_MESSAGE", "APPROVAL_REQUIRED", "APPROVED"])
        assert.ok(types.includes(type), type);
      const tail = await client.runs.events(run.id, { limit: 2 });
      assert.deepEqual(
        tail.map((e) => e.sequence),
        events.slice(-2).map((e) => e.sequence),
      );
      const timeline = await client.runs.timeline(run.id);
      assert.equal(timeline[0]?.summary, "Run created");
      const exported = await client.runs.export(run.id);
      assert.equal(exported.events.length, events.length);
      assert.ok((await client.runs.list({ user: "alice" })).some((r) => r.id === run.id));
    });

    it("waits on a paused run until the deadline: paused is not terminal", async () => {
      const run = (await client.post("/runs", { agent_id: "hello-agent", user_id: "bob" })) as { id: string };
      await client.post(`/runs/${run.id}/actions`, { tool_id: "echo-tool" });
      await assert.rejects(
        client.runs.wait(run.id, { timeoutMs: 100, intervalMs: 20 }),
        RunAgentsTimeoutError,
      );
      const request = (await client.approvals.list()).find(
        (r) => r.runId === run.id && r.status === "PENDING",
      );
      assert.ok(request);
      const rejected = await client.approvals.reject(request.id, { reason: "no" });
      assert.equal(rejected.status, "REJECTED");
      assert.equal((await client.runs.get(run.id)).status, "FAILED");
    });

    it("validates and applies an action plan, skipping already-applied idempotency keys", async () => {
      const plan = {
        actions: [
          {
            type: "tool.upsert",
            idempotency_key: "t1",
            params: { name: "pay", spec: { connection: { baseUrl: "https://pay.example" } } },
          },
          { type: "starter_kit.seed", idempotency_key: "s1", params: {} },
        ],
      };
      const validation = await client.actions.validate(plan);
      assert.equal(validation.valid, true);
      const applied = await client.actions.apply(plan);
      assert.equal(applied.appliedCount, 2);
      const again = await client.actions.apply(plan);
      assert.deepEqual(
        again.results.map((r) => r.status),
        ["skipped", "skipped"],
      );
      assert.equal((await client.tools.get("pay")).baseUrl, "https://pay.example");
    });

    it("analyzes sources and reports secrets without their values", async () => {
      const analysis = await client.analyze({
        "agent.ts": [
          'import OpenAI from "openai";',
          'const key = "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD";',
          'export async function handler() { return fetch("https://api.stripe.com/v1/charges"); }',
        ].join("\n"),
      });
      assert.equal(analysis.entryPoint, "agent.ts");
      assert.ok(analysis.detectedRequirements.includes("openai"));
      assert.ok(analysis.secrets.length >= 1);
      assert.ok(!JSON.stringify(analysis).includes("sk-abcdefghijklmnopqrstuvwxyz"));
    });

    it("addresses a workspace through the namespace option and isolates its resources", async () => {
      const team = new Client({ endpoint: platform.url, apiKey: platform.adminKey, namespace: "team-a" });
      await team.tools.create({ name: "team-tool", baseUrl: "https://team.example" });
      assert.ok((await team.tools.list()).some((t) => t.name === "team-tool"));
      assert.ok(!(await client.tools.list()).some((t) => t.name === "team-tool"));
    });

    it("lists the OAuth consent a delegated-user tool call paused its run on; a stored token grants it", async () => {
      const { egress } = await governedAgent(platform, {
        agent: "mail-agent",
        tool: {
          name: "mail",
          spec: {
            connection: {
              baseUrl: "http://127.0.0.1:9/mail",
              authentication: {
                type: "OAuth2",
                oauth2Config: {
                  authUrl: "http://127.0.0.1:1/authorize",
                  tokenUrl: "http://127.0.0.1:1/token",
                  scopes: ["mail.read"],
                },
              },
            },
          },
          credentials: { client_id: "c", client_secret: "s" },
        },
        rules: [{ permission: "allow" }],
      });
      const runId = await newRun(platform, "mail-agent", "dana@example.com");
      const refused = await call(`${egress}/messages`, { headers: { "X-Run-ID": runId } });
      assert.equal(refused.status, 403, refused.text);
      const [consent, ...others] = await client.consents.list({ status: "pending" });
      assert.deepEqual(
        [{ ...consent, createdAt: "", updatedAt: "", expiresAt: "" }, others.length],
        [
          {
            id: refused.json.resume_id,
            resumeId: refused.json.resume_id,
            tool: "mail",
            userId: "dana@example.com",
            runId,
            agent: "mail-agent",
            status: "pending",
            authorizationUrl: refused.json.authorization_url,
            expiresAt: "",
            grantedAt: "",
            createdAt: "",
            updatedAt: "",
          },
          0,
        ],
      );
      assert.equal((await client.runs.get(runId)).status, "PAUSED_CONSENT");

      const stored = await client.oauthTokens.set({
        tool: "mail",
        user: "dana@example.com",
        accessToken: "dana-access-0123456789",
        expiresIn: 3600,
      });
      assert.deepEqual(stored, {
        status: "stored",
        tool: "mail",
        user: "dana@example.com",
        shared: false,
        hasAccessToken: true,
        hasRefreshToken: false,
        resumedRuns: 1,
      });
      assert.deepEqual(await client.consents.list({ status: "pending" }), []);
      const [granted] = await client.consents.list({ status: "granted" });
      assert.equal(granted?.id, consent?.id);
      assert.ok(granted?.grantedAt, "granted_at is set");
      const deleted = await client.oauthTokens.delete("mail", { user: "dana@example.com" });
      assert.deepEqual(deleted, { status: "deleted", tool: "mail", user: "dana@example.com" });
      assert.ok(!platform.logs.some((line) => line.includes("dana-access-0123456789")));
    });

    it("sends an ra_ws_ key in X-RunAgents-API-Key and is refused without one", async () => {
      const other = await startTestPlatform({ store: backend.name });
      try {
        const admin = new Client({ endpoint: other.url, apiKey: other.adminKey, namespace: "default" });
        const created = (await admin.post("/auth/api-keys", { name: "ci" })) as { token: string };
        const open = new Client({ endpoint: other.url, apiKey: "", namespace: "default" });
        await assert.rejects(
          open.tools.list(),
          (err: unknown) => err instanceof APIError && err.status === 401,
        );
        const keyed = new Client({ endpoint: other.url, apiKey: created.token, namespace: "default" });
        assert.deepEqual(await keyed.tools.list(), []);
      } finally {
        await other.destroy();
      }
    });
  });
}
