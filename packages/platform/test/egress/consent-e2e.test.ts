/**
 * End to end with the real pieces: a TypeScript agent deployed from source and run by the real
 * runtime under the supervisor, a delegated-user OAuth2 tool on a local server, and a local OAuth
 * provider. The agent's tool call pauses its run for consent; the provider's redirect to the
 * callback completes it, the resume worker resumes the run, and the run completes — with the tool
 * called exactly once, carrying the user's token, which the agent never sees.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { phaseIs, startAgentPlatform, waitForAgent } from "../deploy/helpers.js";
import type { TestPlatform } from "../helpers/platform.js";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  callbackFor,
  delegatedToolSpec,
  type FakeProvider,
  startFakeProvider,
} from "./fake-oauth.js";
import { call, events, startToolServer, type ToolServer, waitFor } from "./helpers.js";

const MAIL_AGENT = `import { Agent } from "runagents";

const agent = new Agent();

export async function handler(request: { message: string }) {
  const result = await agent.callTool({ name: "mailbox", path: "/send", payload: { to: "bob", text: request.message } });
  return { response: "sent: " + JSON.stringify(result) };
}
`;

describe("OAuth consent with a deployed agent", () => {
  let platform: TestPlatform;
  let tool: ToolServer;
  let provider: FakeProvider;

  before(async () => {
    platform = await startAgentPlatform();
    tool = await startToolServer();
    provider = await startFakeProvider();
  });
  after(async () => {
    await platform.destroy();
    await tool.close();
    await provider.close();
  });

  it("pauses the run for consent, and completes it after the callback with the tool called once", async () => {
    const seen: string[] = [];
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await platform.call(method, path, body);
      seen.push(res.text);
      return res as typeof res & { json: any };
    };
    const created = await api("POST", "/tools", {
      name: "mailbox",
      spec: delegatedToolSpec(tool.url, provider),
      credentials: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
    });
    assert.equal(created.status, 201, created.text);
    const policy = await api("POST", "/policies", {
      name: "mailbox-allow",
      spec: { policies: [{ permission: "allow", resource: "mailbox" }] },
    });
    assert.equal(policy.status, 201, policy.text);
    const deploy = await api("POST", "/deploy", {
      agent_name: "mail-bot",
      source_files: { "agent.ts": MAIL_AGENT },
      required_tools: ["mailbox"],
      policies: ["mailbox-allow"],
    });
    assert.ok(deploy.status === 200 || deploy.status === 201, deploy.text);
    await waitForAgent(platform, "mail-bot", phaseIs("Running"), 60_000);

    const invoke = await api("POST", "/agents/mail-bot/invoke", {
      message: "hello",
      user_id: "alice@example.com",
    });
    assert.equal(invoke.status, 200, invoke.text);
    const paused = invoke.json;
    const runId = paused.run_id as string;
    assert.equal(paused.code, "CONSENT_REQUIRED", invoke.text);
    assert.equal(paused.tool, "mailbox");
    const resumeId = paused.resume_id as string;
    assert.ok(resumeId);
    const authorizationUrl = paused.authorization_url as string;
    assert.equal(new URL(authorizationUrl).searchParams.get("client_id"), CLIENT_ID);
    assert.equal((await api("GET", `/runs/${runId}`)).json.status, "PAUSED_CONSENT");
    const [consent] = (await api("GET", "/consents")).json as any[];
    assert.equal(consent.id, resumeId);
    assert.equal(consent.run_id, runId);
    assert.equal(consent.agent, "mail-bot");
    assert.equal(consent.status, "pending");
    assert.equal(tool.received.length, 0);

    const page = await call(callbackFor(authorizationUrl, "code-e2e"));
    seen.push(page.text);
    assert.equal(page.status, 200, page.text);
    assert.match(page.text, /Consent recorded, you can close this window/);
    const done = await waitFor(
      async () => {
        const run = (await api("GET", `/runs/${runId}`)).json;
        return (run.status === "COMPLETED" || run.status === "FAILED") && run;
      },
      "the resumed run to finish",
      60_000,
    );
    const log = await events(platform, runId);
    seen.push(JSON.stringify(log));
    assert.equal(done.status, "COMPLETED", JSON.stringify(log.map((e) => [e.type, e.data])));
    assert.equal(tool.received.length, 1, "the tool was called exactly once, after consent");
    const received = tool.received[0];
    assert.equal(received?.headers.authorization, "Bearer access-1");
    assert.equal(received?.headers["x-end-user-id"], "alice@example.com");
    assert.deepEqual(JSON.parse(received?.body ?? ""), { to: "bob", text: "hello" });
    assert.deepEqual(
      provider.calls.map((c) => [c.grant_type, c.code, c.redirect_uri]),
      [["authorization_code", "code-e2e", `${platform.url}/oauth/callback`]],
    );

    const types = log.map((e) => e.type);
    const order = ["CONSENT_REQUIRED", "RESUMED", "TOOL_RESPONSE", "AGENT_MESSAGE", "COMPLETED"];
    const positions = order.map((type) => types.indexOf(type));
    assert.ok(
      positions.every((p, i) => p >= 0 && (i === 0 || p > (positions[i - 1] as number))),
      `events in order: ${types.join(", ")}`,
    );
    const message = log.find((e) => e.type === "AGENT_MESSAGE");
    assert.equal(message.data.message, `sent: ${JSON.stringify({ ok: true, path: "/send" })}`);

    seen.push((await api("GET", "/agents/mail-bot/logs")).text);
    seen.push((await api("GET", "/consents")).text);
    for (const secret of [...provider.issued, CLIENT_SECRET, "code-e2e"]) {
      const leaks = [...seen, ...platform.logs].filter((text) => text.includes(secret));
      assert.deepEqual(leaks, [], `${secret} leaked`);
    }
  });
});
