import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ConsentFixture, startConsentFixture } from "../egress/consent-fixture.js";
import { call, events, governedAgent, newRun, startToolServer, type ToolServer } from "../egress/helpers.js";
import type { TestPlatform } from "../helpers/platform.js";

const ALICE_TOKEN = "alice-access-7f3c91";

describe("security: egress identity comes from the run, and every call is audited", () => {
  let f: ConsentFixture;
  let platform: TestPlatform;
  let plain: ToolServer;
  let plainEgress: string;

  before(async () => {
    f = await startConsentFixture();
    platform = f.platform;
    plain = await startToolServer();
    plainEgress = (
      await governedAgent(platform, {
        agent: "plain-agent",
        tool: { name: "plain", spec: { connection: { baseUrl: plain.url } } },
        rules: [{ permission: "allow" }],
      })
    ).egress;
    const stored = await f.api("POST", "/oauth/tokens", {
      tool: "mail",
      user: "alice",
      access_token: ALICE_TOKEN,
    });
    assert.equal(stored.status, 201, stored.text);
  });
  after(async () => {
    await f.close();
    await plain.close();
  });

  /** The runs of `agent` the platform lists, with their events. */
  async function auditOf(agent: string): Promise<{ run: any; events: any[] }[]> {
    const runs = (await platform.call("GET", `/runs?agent_id=${agent}`)).json as any[];
    return Promise.all(runs.map(async (run) => ({ run, events: await events(platform, run.id) })));
  }

  const aliceTokenSent = () =>
    f.tool.received.some((r) => r.headers.authorization === `Bearer ${ALICE_TOKEN}`);

  it("an agent's X-End-User-ID does not get it a user's delegated token", async () => {
    const res = await f.get("/inbox", { "X-End-User-ID": "alice" });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.code, "END_USER_REQUIRED");
    assert.equal(aliceTokenSent(), false);
  });

  it("a refused call outside a run is audited on a run of the agent", async () => {
    const audit = await auditOf("mail-agent");
    const refused = audit.find((a) =>
      a.events.some((e) => e.type === "TOOL_RESPONSE" && e.data.code === "END_USER_REQUIRED"),
    );
    assert.ok(refused, JSON.stringify(audit));
    assert.equal(refused.run.user_id, "");
    assert.equal(refused.run.status, "COMPLETED");
    assert.deepEqual(
      refused.events.map((e) => e.type),
      ["RUN_CREATED", "TOOL_REQUEST", "TOOL_RESPONSE", "COMPLETED"],
    );
    const response = refused.events.find((e) => e.type === "TOOL_RESPONSE");
    assert.equal(response.data.status_code, 403);
    assert.equal(response.data.tool, "mail");
  });

  it("a forwarded call outside a run is audited, and the agent's X-End-User-ID is not forwarded", async () => {
    const before = (await auditOf("plain-agent")).length;
    const res = await call(`${plainEgress}/things?x=1`, { headers: { "X-End-User-ID": "alice" } });
    assert.equal(res.status, 200, res.text);
    assert.equal(plain.received.at(-1)?.headers["x-end-user-id"], undefined);
    const audit = await auditOf("plain-agent");
    assert.equal(audit.length, before + 1);
    const [latest] = audit.filter((a) => a.events.some((e) => e.data.tool_url === `${plain.url}/things?x=1`));
    assert.ok(latest);
    assert.deepEqual(
      latest.events.map((e) => e.type),
      ["RUN_CREATED", "TOOL_REQUEST", "TOOL_RESPONSE", "COMPLETED"],
    );
    assert.equal(latest.events[2].data.status_code, 200);
    assert.equal(latest.run.status, "COMPLETED");
  });

  it("an agent cannot attach its call to a run of another agent", async () => {
    const foreign = await newRun(platform, "plain-agent", "alice");
    const res = await f.get("/inbox", { "X-Run-ID": foreign });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.code, "END_USER_REQUIRED");
    assert.equal(aliceTokenSent(), false);
    assert.deepEqual(
      (await events(platform, foreign)).map((e) => e.type),
      ["RUN_CREATED"],
    );
  });

  it("an agent cannot attach its call to its own finished run", async () => {
    const finished = await newRun(platform, "mail-agent", "alice");
    const patched = await platform.call("PATCH", `/runs/${finished}`, { status: "COMPLETED" });
    assert.equal(patched.status, 200, patched.text);
    const res = await f.get("/inbox", { "X-Run-ID": finished });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.code, "END_USER_REQUIRED");
    assert.equal(aliceTokenSent(), false);
    assert.deepEqual(
      (await events(platform, finished)).map((e) => e.type),
      ["RUN_CREATED", "COMPLETED"],
    );
  });

  it("an agent cannot attach its call to an out-of-run audit run", async () => {
    const audit = await auditOf("mail-agent");
    const implicit = audit[0]?.run.id as string;
    const res = await f.get("/inbox", { "X-Run-ID": implicit });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.code, "END_USER_REQUIRED");
  });

  it("in the user's live run the call gets that user's token and identity, whatever the agent claims", async () => {
    const runId = await newRun(platform, "mail-agent", "alice");
    const res = await f.get("/inbox", { "X-Run-ID": runId, "X-End-User-ID": "mallory" });
    assert.equal(res.status, 200, res.text);
    const got = f.tool.received.at(-1);
    assert.equal(got?.headers.authorization, `Bearer ${ALICE_TOKEN}`);
    assert.equal(got?.headers["x-end-user-id"], "alice");
    const request = (await events(platform, runId)).find((e) => e.type === "TOOL_REQUEST");
    assert.equal(request.data.end_user_id, "alice");
  });
});
