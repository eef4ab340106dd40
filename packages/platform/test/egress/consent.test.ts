import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { signState } from "../../src/egress/oauth-state.js";
import type { TestPlatform } from "../helpers/platform.js";
import { type ConsentFixture, startConsentFixture } from "./consent-fixture.js";
import { CLIENT_ID, CLIENT_SECRET, callbackFor, type FakeProvider } from "./fake-oauth.js";
import { events, newRun, runOf, startFakeAgent, type ToolServer, waitFor } from "./helpers.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("egress: OAuth2 consent for delegated-user tools", () => {
  let f: ConsentFixture;
  let platform: TestPlatform;
  let tool: ToolServer;
  let provider: FakeProvider;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    f = await startConsentFixture();
    ({ platform, tool, provider } = f);
  });
  after(async () => {
    for (const close of closers) await close();
    await f.close();
  });

  const get = (path: string, headers?: Record<string, string>) => f.get(path, headers);
  const api = (method: string, path: string, body?: unknown) => f.api(method, path, body);
  const open = (url: string) => f.open(url);
  const consents = () => f.consents();
  const bearer = () => f.bearer();
  /** The consent of the first test, completed in the third. */
  let first: { runId: string; body: any };

  it("answers 403 CONSENT_REQUIRED with an authorization URL, pauses the run and lists a pending consent", async () => {
    const runId = await newRun(platform, "mail-agent", "alice@example.com");
    const res = await get("/messages", { "X-Run-ID": runId });
    assert.equal(res.status, 403, res.text);
    const body = res.json;
    assert.match(body.resume_id, UUID);
    assert.deepEqual(body, {
      error: "Consent required for mail",
      code: "CONSENT_REQUIRED",
      message: "Connect mail to continue: open the authorization URL and grant access.",
      tool: "mail",
      resume_id: body.resume_id,
      run_id: runId,
      authorization_url: body.authorization_url,
    });
    const url = new URL(body.authorization_url);
    assert.equal(`${url.origin}${url.pathname}`, `${provider.url}/authorize`);
    assert.equal(url.searchParams.get("response_type"), "code");
    assert.equal(url.searchParams.get("client_id"), CLIENT_ID);
    assert.equal(url.searchParams.get("redirect_uri"), `${platform.url}/oauth/callback`);
    assert.equal(url.searchParams.get("scope"), "mail.read mail.send");
    assert.equal(url.searchParams.get("access_type"), "offline");
    assert.match(url.searchParams.get("state") ?? "", /^[\w-]+\.[\w-]+$/);
    assert.equal(tool.received.length, 0, "the call did not go out");

    const run = await runOf(platform, runId);
    assert.equal(run.status, "PAUSED_CONSENT");
    assert.equal(run.blocked_action_id, body.resume_id);
    const retry = await get("/messages", { "X-Run-ID": runId });
    assert.equal(retry.status, 403);
    assert.equal(retry.json.resume_id, body.resume_id, "a retry reuses the pending consent");
    assert.equal(retry.json.authorization_url, body.authorization_url);

    const log = await events(platform, runId);
    const required = log.filter((e) => e.type === "CONSENT_REQUIRED");
    assert.equal(required.length, 1);
    assert.deepEqual(required[0].data, {
      tool: "mail",
      tool_id: "mail",
      user: "alice@example.com",
      user_id: "alice@example.com",
      resume_id: body.resume_id,
      authorization_url: body.authorization_url,
    });
    assert.equal(log.find((e) => e.type === "TOOL_REQUEST").data.decision, "consent_required");

    const [listed] = await consents();
    assert.deepEqual(
      { ...listed, created_at: 0, updated_at: 0, expires_at: 0 },
      {
        id: body.resume_id,
        resume_id: body.resume_id,
        tool: "mail",
        user_id: "alice@example.com",
        run_id: runId,
        agent: "mail-agent",
        status: "pending",
        authorization_url: body.authorization_url,
        expires_at: 0,
        granted_at: "",
        created_at: 0,
        updated_at: 0,
      },
    );
    first = { runId, body };
  });

  it("refuses a tampered, unsigned or expired state, a denial and a missing code with 400", async () => {
    const callback = callbackFor(first.body.authorization_url, "code-never-used");
    const state = new URL(callback).searchParams.get("state") ?? "";
    const [payload, signature] = state.split(".") as [string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), user: "mallory" }),
    ).toString("base64url");
    const expired = await signState(platform.store, {
      ws: "default",
      tool: "mail",
      user: "alice@example.com",
      run: first.runId,
      rid: first.body.resume_id,
      exp: Math.floor(Date.now() / 1000) - 1,
    });
    // The first character carries six full bits of the MAC (the last one only four; base64url
    // decoding ignores the rest), so changing it always changes the decoded signature.
    const tampered = `${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
    const withState = (value: string) => {
      const url = new URL(callback);
      url.searchParams.set("state", value);
      return url.href;
    };
    const cases: [string, string][] = [
      [withState(`${forged}.${signature}`), "invalid OAuth state: the signature does not match"],
      [withState(`${payload}.${tampered}`), "invalid OAuth state: the signature does not match"],
      [withState("not-a-state"), "invalid OAuth state: malformed"],
      [withState(expired), "the consent link has expired: call the tool again for a new one"],
      [
        `${platform.url}/oauth/callback?state=${state}`,
        "the callback needs the code and state query parameters",
      ],
    ];
    for (const [url, error] of cases) {
      const res = await open(url);
      assert.equal(res.status, 400, url);
      assert.deepEqual(res.json, { error });
    }
    const denied = await open(`${platform.url}/oauth/callback?error=access_denied&state=${state}`);
    assert.equal(denied.status, 400);
    assert.equal(denied.json.code, "CONSENT_DENIED");
    assert.match(denied.json.error, /^consent was not given: the provider answered access_denied/);
    assert.equal(provider.calls.length, 0, "no code was exchanged");
    assert.equal((await consents())[0].status, "pending");
    assert.equal((await runOf(platform, first.runId)).status, "PAUSED_CONSENT");
  });

  it("completes consent: exchanges the code, resumes the run, and calls carry the user's bearer token", async () => {
    const agent = await startFakeAgent(platform, "mail-agent", async ({ actionId, runId }) => {
      const replay = await get("/messages", { "X-Run-ID": runId, "X-Action-ID": actionId });
      return { response: `replayed: ${replay.status} ${replay.text}` };
    });
    closers.push(agent.close);
    const res = await open(callbackFor(first.body.authorization_url, "code-alice"));
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(res.text, /Consent recorded, you can close this window/);
    assert.deepEqual(provider.calls, [
      {
        grant_type: "authorization_code",
        code: "code-alice",
        redirect_uri: `${platform.url}/oauth/callback`,
        refresh_token: "",
        client_ok: true,
      },
    ]);
    const listed = (await consents()).find((c) => c.id === first.body.resume_id);
    assert.equal(listed.status, "granted");

    const done = await waitFor(async () => {
      const run = await runOf(platform, first.runId);
      return run.status === "COMPLETED" && run;
    }, "the run to complete");
    assert.equal(done.status, "COMPLETED");
    assert.equal(agent.resumes.length, 1);
    assert.equal(agent.resumes[0]?.actionId, first.body.resume_id);
    assert.equal(tool.received.length, 1);
    assert.equal(bearer(), "Bearer access-1", "the tool got the user's token, not the agent's");
    assert.equal(tool.received[0]?.headers["x-end-user-id"], "alice@example.com");
    const log = await events(platform, first.runId);
    assert.deepEqual(log.find((e) => e.type === "RESUMED").data, {
      action_id: first.body.resume_id,
      resume_id: first.body.resume_id,
      kind: "consent",
    });

    const later = await f.getAs("alice@example.com", "/messages");
    assert.equal(later.status, 200);
    assert.equal(bearer(), "Bearer access-1", "reused until it expires");
    assert.equal(provider.calls.length, 1);
    const again = await open(callbackFor(first.body.authorization_url, "code-alice"));
    assert.equal(again.status, 200, "reloading the page is harmless");
    assert.equal(provider.calls.length, 1, "and exchanges nothing");
  });

  it("takes the redirect URI from the oauthCallbackUrl setting", async () => {
    const set = await api("PUT", "/settings/auth", {
      oauthCallbackUrl: "https://console.example/oauth/callback",
    });
    assert.equal(set.status, 200);
    assert.equal(set.json.oauthCallbackUrl, "https://console.example/oauth/callback");
    assert.equal(set.json.sessionIdleTimeoutMinutes, 60);
    const res = await f.getAs("erin", "/y");
    assert.equal(res.status, 403);
    const url = new URL(res.json.authorization_url);
    assert.equal(url.searchParams.get("redirect_uri"), "https://console.example/oauth/callback");
    const cleared = await api("PUT", "/settings/auth", { oauthCallbackUrl: "" });
    assert.equal(cleared.json.oauthCallbackUrl, undefined);
  });

  it("never shows a token, a code or the client secret in a response, an event or a log line", async () => {
    assert.ok(provider.issued.length >= 2);
    assert.deepEqual(await f.leaks([...provider.issued, CLIENT_SECRET, "code-alice"]), []);
  });
});
