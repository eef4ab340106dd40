/**
 * Run webhooks against a real platform: a stand-in agent served through the platform's invoke,
 * a local receiver that checks the HMAC signature, answers 500 when told to, or is not there.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { WEBHOOK_QUEUE } from "../../src/governance/run-webhooks.js";
import { events, waitFor } from "../egress/helpers.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Records each delivery; answers the statuses in `answers` in turn, then 200. */
async function startReceiver() {
  const deliveries: Delivery[] = [];
  const answers: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(answers.shift() ?? 200).end();
    });
  });
  const url = await listen(server);
  return { url: `${url}/hooks/runs`, deliveries, answers, close: () => server.close() };
}

/** The agent: answers `done`, pauses for approval when the message says "pause", fails on "fail". */
async function startAgent(platform: TestPlatform, name: string) {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      bodies.push(body);
      const answer =
        body.message === "pause"
          ? {
              response: "",
              approval_required: { action_id: "act-1", tool: "payments", message: "needs approval" },
            }
          : { response: "done" };
      res.writeHead(body.message === "fail" ? 500 : 200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body.message === "fail" ? { error: "boom" } : answer));
    });
  });
  const url = await listen(server);
  await platform.store.putResource("default", "agent", name, {
    name,
    spec: {},
    status: { phase: "Running", message: "" },
  });
  platform.services.agents?.attachExternal({ workspace: "default", name }, url);
  return { bodies, close: () => server.close() };
}

const webhookEvents = async (platform: TestPlatform, runId: string) =>
  (await events(platform, runId)).filter((e) => e.type.startsWith("WEBHOOK_"));

const sign = (secret: string, body: string) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

describe("run webhooks", () => {
  let platform: TestPlatform;
  let agent: Awaited<ReturnType<typeof startAgent>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    platform = await startTestPlatform({ config: { runWebhooks: { attempts: 3, backoffMs: 5 } } });
    agent = await startAgent(platform, "hooked");
    receiver = await startReceiver();
  });
  after(async () => {
    await platform.destroy();
    agent.close();
    receiver.close();
  });

  it("posts run.completed signed with HMAC-SHA256 and records the delivery in the run", async () => {
    const secret = "whsec-test-0123456789";
    const res = await platform.call("POST", "/agents/hooked/invoke", {
      message: "hi",
      webhook: { url: receiver.url, secret },
    });
    assert.equal(res.status, 200, res.text);
    const runId = (res.json as { run_id: string }).run_id;
    const [delivered] = await waitFor(async () => {
      const found = await webhookEvents(platform, runId);
      return found.length > 0 && found;
    }, "the delivery event");
    assert.equal(delivered.type, "WEBHOOK_DELIVERED");
    assert.equal(delivered.data.event, "run.completed");
    assert.equal(delivered.data.attempt, 1);
    assert.equal(delivered.data.status_code, 200);

    const delivery = receiver.deliveries.at(-1) as Delivery;
    assert.equal(delivery.headers["x-runagents-signature"], sign(secret, delivery.body));
    assert.equal(delivery.headers["x-runagents-event"], "run.completed");
    assert.equal(delivery.headers["x-runagents-delivery"], delivered.data.delivery_id);
    assert.equal(delivery.headers["x-signing-secret"], undefined);
    const payload = JSON.parse(delivery.body);
    assert.equal(payload.run_id, runId);
    assert.equal(payload.agent, "hooked");
    assert.equal(payload.status, "COMPLETED");
    assert.equal(payload.run_url, `${platform.api}/runs/${runId}`);

    assert.equal(agent.bodies.at(-1)?.webhook, undefined, "the agent is not sent the webhook");
    const everything = JSON.stringify(await events(platform, runId));
    assert.ok(
      !everything.includes(secret) && !everything.includes(receiver.url),
      "no secret or URL in events",
    );
    // Once delivered for a finished run, its webhook is forgotten.
    assert.equal(await platform.store.getSecret("default", `run-webhook:${runId}`), undefined);
  });

  it("retries after a 500 with the same delivery id", async () => {
    receiver.answers.push(500);
    const before = receiver.deliveries.length;
    const res = await platform.call("POST", "/agents/hooked/invoke", {
      message: "fail",
      webhook: receiver.url,
    });
    assert.equal(res.status, 502);
    const runId = (res.json as { run_id: string }).run_id;
    const found = await waitFor(async () => {
      const list = await webhookEvents(platform, runId);
      return list.length === 2 && list;
    }, "two attempts");
    assert.deepEqual(
      found.map((e) => [e.type, e.data.event, e.data.attempt, e.data.status_code, e.data.will_retry]),
      [
        ["WEBHOOK_FAILED", "run.failed", 1, 500, true],
        ["WEBHOOK_DELIVERED", "run.failed", 2, 200, undefined],
      ],
    );
    const attempts = receiver.deliveries.slice(before);
    assert.equal(attempts.length, 2);
    assert.equal(attempts[0]?.headers["x-runagents-delivery"], attempts[1]?.headers["x-runagents-delivery"]);
    assert.equal(attempts[0]?.headers["x-runagents-signature"], undefined, "no secret: unsigned");
  });

  it("records the failure after the last retry when the receiver is down", async () => {
    const down = createServer();
    const url = await listen(down);
    down.close();
    const res = await platform.call("POST", "/agents/hooked/invoke", {
      message: "hi",
      webhook: `${url}/gone`,
    });
    assert.equal(res.status, 200);
    const runId = (res.json as { run_id: string }).run_id;
    const found = await waitFor(async () => {
      const list = await webhookEvents(platform, runId);
      return list.length === 3 && list;
    }, "three attempts");
    assert.deepEqual(
      found.map((e) => [e.type, e.data.attempt, e.data.status_code, e.data.will_retry]),
      [
        ["WEBHOOK_FAILED", 1, 0, true],
        ["WEBHOOK_FAILED", 2, 0, true],
        ["WEBHOOK_FAILED", 3, 0, false],
      ],
    );
    assert.match(found[2].data.error, /^network error: ECONNREFUSED$/);
  });

  it("finishes a delivery another platform left half done (claimed, one attempt made), with its delivery id", async () => {
    const created = await platform.call("POST", "/runs", { agent_id: "hooked", user_id: "u" });
    const runId = (created.json as { id: string }).id;
    await platform.services.webhooks.register("default", runId, { url: receiver.url, secret: "" });
    const name = `default/${runId}/000000000000001-000000000`;
    await platform.store.putResource(WEBHOOK_QUEUE, "setting", name, {
      workspace: "default",
      run_id: runId,
      agent: "hooked",
      status: "COMPLETED",
      conversation_id: "",
      action_id: "",
      terminal: true,
      event: "run.completed",
      timestamp: "2026-01-01T00:00:00.000Z",
      delivery_id: "delivery-left-behind",
      attempts: 1,
    });
    const [claimed] = await platform.store.claimResources(WEBHOOK_QUEUE, "setting", "dead-boot", {
      limit: 10,
      leaseMs: 1000,
      now: Date.now() - 10 * 60_000,
    });
    assert.equal(claimed?.name, name, "claimed by a platform that is gone; its lease has lapsed");
    const before = receiver.deliveries.length;
    platform.services.webhooks.kick();
    const [delivered] = await waitFor(async () => {
      const found = await webhookEvents(platform, runId);
      return found.length > 0 && found;
    }, "the delivery");
    assert.deepEqual(
      [delivered.type, delivered.data.attempt, delivered.data.delivery_id],
      ["WEBHOOK_DELIVERED", 2, "delivery-left-behind"],
    );
    assert.equal(receiver.deliveries.length - before, 1);
    assert.equal(receiver.deliveries.at(-1)?.headers["x-runagents-delivery"], "delivery-left-behind");
    await platform.services.webhooks.idle();
    assert.equal(
      await platform.store.getResource(WEBHOOK_QUEUE, "setting", name),
      undefined,
      "the job is done",
    );
    assert.equal(await platform.store.getSecret("default", `run-webhook:${runId}`), undefined);
  });

  it("posts run.paused when the run waits for an approval", async () => {
    const res = await platform.call("POST", "/agents/hooked/invoke", {
      message: "pause",
      webhook: receiver.url,
    });
    assert.equal(res.status, 200, res.text);
    const runId = (res.json as { run_id: string }).run_id;
    const [delivered] = await waitFor(async () => {
      const found = await webhookEvents(platform, runId);
      return found.length > 0 && found;
    }, "the delivery event");
    assert.equal(delivered.type, "WEBHOOK_DELIVERED");
    assert.equal(delivered.data.event, "run.paused");
    const payload = JSON.parse((receiver.deliveries.at(-1) as Delivery).body);
    assert.deepEqual(
      [payload.run_id, payload.status, payload.action_id],
      [runId, "PAUSED_APPROVAL", "act-1"],
    );
  });

  it("uses the agent's configured webhook for runs invoked without one, its secret never shown", async () => {
    const secret = "whsec-agent-4242";
    const put = await platform.call("PUT", "/agents/hooked/config", {
      webhook: { url: receiver.url, secret },
    });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual((put.json as { webhook: unknown }).webhook, { url: receiver.url, signed: true });
    const shown = await platform.call("GET", "/agents/hooked/config");
    assert.deepEqual((shown.json as { webhook: unknown }).webhook, { url: receiver.url, signed: true });
    assert.ok(
      !shown.text.includes(secret) && !(await platform.call("GET", "/agents/hooked")).text.includes(secret),
    );

    const res = await platform.call("POST", "/agents/hooked/invoke", { message: "hi" });
    assert.equal(res.status, 200, res.text);
    const runId = (res.json as { run_id: string }).run_id;
    await waitFor(async () => (await webhookEvents(platform, runId)).length > 0, "the delivery event");
    const delivery = receiver.deliveries.at(-1) as Delivery;
    assert.equal(JSON.parse(delivery.body).run_id, runId);
    assert.equal(delivery.headers["x-runagents-signature"], sign(secret, delivery.body));

    const cleared = await platform.call("PUT", "/agents/hooked/config", { webhook: null });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal((cleared.json as { webhook: unknown }).webhook, null);
    const before = receiver.deliveries.length;
    const quiet = await platform.call("POST", "/agents/hooked/invoke", { message: "hi" });
    assert.equal(quiet.status, 200);
    const quietRun = (quiet.json as { run_id: string }).run_id;
    // The run finished before the answer: whatever it queued has ended once the worker is idle.
    await platform.services.webhooks.idle();
    assert.deepEqual(await webhookEvents(platform, quietRun), []);
    assert.equal(receiver.deliveries.length, before);
  });

  it("refuses a webhook that is not an http(s) URL or points at the platform or a metadata address", async () => {
    const cases: [unknown, string][] = [
      ["ftp://example.com/x", "webhook must be an http(s) URL"],
      [42, "webhook must be a URL or an object {url, secret?}"],
      [{ url: receiver.url, secret: 1 }, "webhook.secret must be a string"],
      [`${platform.url}/api/v1/runs`, "webhook points at the platform itself"],
      [`http://localhost:${platform.port}/`, "webhook points at the platform itself"],
      [
        "http://169.254.169.254/latest/meta-data",
        "webhook points at a link-local or cloud metadata address (169.254.169.254)",
      ],
    ];
    for (const [webhook, error] of cases) {
      const res = await platform.call("POST", "/agents/hooked/invoke", { message: "hi", webhook });
      assert.equal(res.status, 400, `${JSON.stringify(webhook)}: ${res.text}`);
      assert.deepEqual(res.json, { error });
    }
  });
});
