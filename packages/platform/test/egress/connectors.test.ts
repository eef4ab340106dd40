import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createOrReuseRequest } from "../../src/governance/access-requests.js";
import { ConnectorDelivery, DELIVERY_QUEUE } from "../../src/governance/connector-delivery.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { call, governedAgent, newRun, startToolServer, type ToolServer, waitFor } from "./helpers.js";

const sign = (secret: string, body: string) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

describe("approval connectors: delivery of new requests", () => {
  let platform: TestPlatform;
  let tool: ToolServer;
  let hooks: ToolServer;
  let webhookId: string;

  before(async () => {
    platform = await startTestPlatform();
    tool = await startToolServer();
    hooks = await startToolServer();
    const webhook = await platform.call("POST", "/approval-connectors", {
      name: "ops-webhook",
      type: "webhook",
      endpoint: `${hooks.url}/hook`,
      headers: { "X-Signing-Secret": "whsec-123", Authorization: "Bearer hook-token" },
    });
    assert.equal(webhook.status, 201);
    webhookId = (webhook.json as any).id;
    const slack = await platform.call("POST", "/approval-connectors", {
      name: "slack-finance",
      type: "slack",
      endpoint: `${hooks.url}/slack`,
    });
    assert.equal(slack.status, 201);
    const defaults = await platform.call("PUT", "/approval-connectors/defaults", {
      default_delivery_mode: "all",
    });
    assert.equal(defaults.status, 200);
  });
  after(async () => {
    await platform.destroy();
    await tool.close();
    await hooks.close();
  });

  async function blockedCall(agent: string, approvals: Record<string, unknown>[] = []) {
    const { egress } = await governedAgent(platform, {
      agent,
      tool: { name: "ledger", spec: { connection: { baseUrl: tool.url } } },
      rules: [{ permission: "approval_required", operations: ["POST"] }],
      approvals,
    });
    const runId = await newRun(platform, agent, "alice@example.com");
    const res = await call(`${egress}/entries`, {
      method: "POST",
      headers: { "X-Run-ID": runId },
      body: "{}",
    });
    assert.equal(res.status, 403);
    return { runId, requestId: res.json.request_id as string, actionId: res.json.action_id as string };
  }

  const activityFor = (requestId: string, count: number) =>
    waitFor(async () => {
      const all = (await platform.call("GET", "/approval-connectors/activity")).json as any[];
      const mine = all.filter((a) => a.request_id === requestId);
      return mine.length >= count && mine;
    }, `activity for ${requestId}`);

  it("signs the webhook delivery with the connector's secret and records the activity", async () => {
    const { runId, requestId, actionId } = await blockedCall("ledger-all");
    const activity = await activityFor(requestId, 2);
    const got = hooks.received.find((r) => r.url === "/hook" && r.body.includes(requestId));
    assert.ok(got, "the webhook got the request");
    assert.equal(got.url, "/hook");
    assert.equal(got.headers["x-runagents-signature"], sign("whsec-123", got.body));
    assert.equal(got.headers["x-signing-secret"], undefined, "the signing key is never sent");
    assert.equal(got.headers.authorization, "Bearer hook-token");
    assert.equal(got.headers["x-runagents-event"], "approval.requested");
    const payload = JSON.parse(got.body);
    const decide = `${platform.url}/api/v1/approvals/requests/${requestId}`;
    assert.deepEqual(
      { ...payload, timestamp: "" },
      {
        event: "approval.requested",
        timestamp: "",
        workspace: "default",
        request_id: requestId,
        run_id: runId,
        action_id: actionId,
        agent: "ledger-all",
        tool: "ledger",
        subject: "alice@example.com",
        method: "POST",
        url: `${tool.url}/entries`,
        capability: "",
        payload_hash: payload.payload_hash,
        duration: "",
        decide_url: decide,
        approve_url: `${decide}/approve`,
        reject_url: `${decide}/reject`,
      },
    );
    const webhook = activity.find((a) => a.connector_id === webhookId);
    assert.equal(webhook.event, "dispatch_succeeded");
    assert.equal(webhook.status_code, 200);
    assert.equal(webhook.action_id, actionId);
    assert.equal(webhook.message, "endpoint answered HTTP 200 (1 attempt(s))");
  });

  it("routes by the approval rule's delivery connectors and sends Slack an incoming-webhook message", async () => {
    const before = hooks.received.length;
    const { requestId } = await blockedCall("ledger-routed", [
      { name: "finance", toolIds: ["ledger"], delivery: { connectors: ["slack-finance"], mode: "all" } },
    ]);
    const [activity] = await activityFor(requestId, 1);
    assert.equal(activity.connector_name, "slack-finance");
    assert.equal(activity.event, "dispatch_succeeded");
    const sent = hooks.received.slice(before);
    assert.deepEqual(
      sent.map((r) => r.url),
      ["/slack"],
      "only the rule's connector",
    );
    const message = JSON.parse(sent[0]?.body ?? "{}");
    assert.equal(
      message.text,
      `Approval required: Agent ledger-routed wants to use ledger (POST ${tool.url}/entries)`,
    );
    assert.equal(message.blocks[0].text.text, `*${message.text}*`);
  });

  it("retries a failing endpoint with backoff, but not a 4xx", async () => {
    let failures = 2;
    hooks.routes.set("/flaky", (_req, res) => {
      res.writeHead(failures-- > 0 ? 503 : 204);
      res.end();
    });
    hooks.routes.set("/bad", (_req, res) => {
      res.writeHead(400);
      res.end();
    });
    for (const [name, path] of [
      ["flaky", "/flaky"],
      ["bad", "/bad"],
    ]) {
      await platform.call("POST", "/approval-connectors", { name, endpoint: `${hooks.url}${path}` });
    }
    await platform.call("POST", "/policies", {
      name: "retry-policy",
      spec: { approvals: [{ name: "r", delivery: { connectors: ["flaky", "bad"], mode: "all" } }] },
    });
    await platform.store.putResource("default", "agent", "ledger-retry", {
      name: "ledger-retry",
      spec: { policies: ["retry-policy"] },
    });
    // created directly in the store, so only this delivery (with a short backoff) sends it
    const { record } = await createOrReuseRequest(platform.store, "default", {
      subject: "bob",
      toolId: "ledger",
      agentId: "ledger-retry",
    });
    const request = record.doc;
    const delivery = new ConnectorDelivery(platform.services, { attempts: 3, backoffMs: 5 });
    await delivery.deliver({ store: platform.store, workspace: "default", request });
    const activity = (await platform.call("GET", "/approval-connectors/activity")).json as any[];
    const flaky = activity.find((a) => a.connector_name === "flaky" && a.request_id === request.id);
    const bad = activity.find((a) => a.connector_name === "bad" && a.request_id === request.id);
    assert.equal(flaky.event, "dispatch_succeeded");
    assert.equal(flaky.message, "endpoint answered HTTP 204 (3 attempt(s))");
    assert.equal(bad.event, "dispatch_failed");
    assert.equal(bad.message, "endpoint answered HTTP 400 (1 attempt(s))");
  });

  it("delivers a queued job a dead platform left claimed, once its claim lapses, and drops the job", async () => {
    hooks.routes.set("/left-behind", (_req, res) => {
      res.writeHead(204);
      res.end();
    });
    await platform.call("POST", "/approval-connectors", {
      name: "left-behind",
      endpoint: `${hooks.url}/left-behind`,
    });
    await platform.call("POST", "/policies", {
      name: "left-behind-policy",
      spec: { approvals: [{ name: "l", delivery: { connectors: ["left-behind"], mode: "all" } }] },
    });
    await platform.store.putResource("default", "agent", "ledger-left", {
      name: "ledger-left",
      spec: { policies: ["left-behind-policy"] },
    });
    const { record } = await createOrReuseRequest(platform.store, "default", {
      subject: "carol",
      toolId: "ledger",
      agentId: "ledger-left",
    });
    // The job as a platform that died mid-delivery left it: claimed, with a lease that has run out.
    const job = `default/${record.doc.id}`;
    await platform.store.putResource(DELIVERY_QUEUE, "setting", job, {
      workspace: "default",
      request_id: record.doc.id,
    });
    const past = Date.now() - 10 * 60_000;
    assert.equal(
      (
        await platform.store.claimResources(DELIVERY_QUEUE, "setting", "dead-boot", {
          limit: 100,
          leaseMs: 1000,
          now: past,
        })
      ).length > 0,
      true,
    );
    const before = hooks.received.filter((r) => r.url === "/left-behind").length;
    const delivery = new ConnectorDelivery(
      { ...platform.services, bootId: "another-boot" },
      { backoffMs: 5 },
    );
    delivery.start();
    try {
      await waitFor(
        async () => (await platform.store.getResource(DELIVERY_QUEUE, "setting", job)) === undefined,
        "the job to be delivered and dropped",
      );
    } finally {
      await delivery.stop();
    }
    const sent = hooks.received.filter((r) => r.url === "/left-behind");
    assert.equal(sent.length - before, 1, "delivered exactly once");
    assert.equal(JSON.parse(sent.at(-1)?.body ?? "{}").request_id, record.doc.id);
  });

  it("POST /approval-connectors/test really delivers a signed test event and a Slack message", async () => {
    const arrived = hooks.next();
    const res = await platform.call("POST", "/approval-connectors/test", {
      type: "webhook",
      endpoint: `${hooks.url}/test-hook`,
      headers: { "X-Signing-Secret": "test-secret" },
      timeout_seconds: 5,
    });
    assert.equal(res.status, 200);
    assert.equal((res.json as any).status, "healthy");
    const got = await arrived;
    assert.equal(JSON.parse(got.body).event, "approval_connector.test");
    assert.equal(got.headers["x-runagents-signature"], sign("test-secret", got.body));

    const slackArrived = hooks.next();
    const slack = (
      await platform.call("POST", "/approval-connectors/test", {
        type: "slack",
        endpoint: `${hooks.url}/test-slack`,
      })
    ).json as any;
    assert.equal(slack.status, "healthy");
    assert.deepEqual(
      slack.checks.map((c: any) => [c.id, c.status, c.message]),
      [
        ["config", "passed", "slack connector configuration is valid"],
        ["credentials", "passed", "incoming-webhook URL: no token needed"],
        ["connectivity", "passed", "endpoint answered HTTP 200"],
      ],
    );
    assert.equal(JSON.parse((await slackArrived).body).text, "RunAgents approval connector test");
  });
});
