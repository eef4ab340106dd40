import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TestPlatform } from "../helpers/platform.js";
import { type ConsentFixture, startConsentFixture } from "./consent-fixture.js";
import { CLIENT_SECRET, type FakeProvider } from "./fake-oauth.js";
import { newRun, runOf, startFakeAgent, type ToolServer, waitFor } from "./helpers.js";

describe("egress: delegated OAuth2 tokens (refresh, revocation, tokens stored by hand)", () => {
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
  const bearer = () => f.bearer();
  /** The run paused for carol's consent after her refresh token was refused. */
  let carolRun = "";

  it("refreshes an expired access token, and one the tool answered 401 to", async () => {
    const stored = await api("POST", "/oauth/tokens", {
      tool: "mail",
      user: "bob",
      access_token: "stale-bob",
      refresh_token: "refresh-bob",
      expires_in: 0,
    });
    assert.equal(stored.status, 201, stored.text);
    const before = provider.calls.length;
    assert.equal((await f.getAs("bob", "/inbox")).status, 200);
    assert.deepEqual(
      provider.calls.slice(before).map((c) => [c.grant_type, c.refresh_token, c.client_ok]),
      [["refresh_token", "refresh-bob", true]],
    );
    const refreshed = bearer();
    assert.match(refreshed ?? "", /^Bearer access-\d+$/);
    assert.equal((await f.getAs("bob", "/inbox")).status, 200);
    assert.equal(bearer(), refreshed);
    assert.equal(provider.calls.length, before + 1, "the refreshed token is reused");

    let reject = true;
    tool.routes.set("/inbox", (_req, res) => {
      res.writeHead(reject ? 401 : 200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ rejected: reject }));
      reject = false;
    });
    assert.equal((await f.getAs("bob", "/inbox")).status, 401);
    assert.equal((await f.getAs("bob", "/inbox")).status, 200);
    assert.equal(provider.calls.length, before + 2, "refreshed after the 401");
    assert.notEqual(bearer(), refreshed);
    tool.routes.delete("/inbox");
  });

  it("drops a token whose refresh is refused (invalid_grant) and asks for consent again", async () => {
    await api("POST", "/oauth/tokens", { tool: "mail", user: "carol", refresh_token: "refresh-carol" });
    provider.revoked.add("refresh-carol");
    const runId = await newRun(platform, "mail-agent", "carol");
    carolRun = runId;
    const res = await get("/messages", { "X-Run-ID": runId });
    assert.equal(res.status, 403, res.text);
    assert.equal(res.json.code, "CONSENT_REQUIRED");
    assert.equal(provider.calls.at(-1)?.refresh_token, "refresh-carol");
    assert.equal((await runOf(platform, runId)).status, "PAUSED_CONSENT");
    const revoke = await api("DELETE", "/oauth/tokens/mail?user=carol");
    assert.equal(revoke.status, 404, "the refused token was deleted");
    assert.deepEqual(revoke.json, { error: "no token is stored for tool mail and user carol" });
  });

  it("uses tokens stored by hand: the user's own before the shared one", async () => {
    const agent = await startFakeAgent(platform, "mail-agent", async ({ actionId, runId }) => {
      const replay = await get("/messages", { "X-Run-ID": runId, "X-Action-ID": actionId });
      return { response: `replayed: ${replay.status}` };
    });
    closers.push(agent.close);
    const shared = await api("POST", "/oauth/tokens", { tool: "mail", access_token: "shared-token-1" });
    assert.equal(shared.status, 201);
    assert.deepEqual(shared.json, {
      status: "stored",
      tool: "mail",
      user: "",
      shared: true,
      has_access_token: true,
      has_refresh_token: false,
      resumed_runs: 1,
    });
    // The shared token satisfies carol's pending consent: her run resumes (and replays with it).
    await waitFor(async () => (await runOf(platform, carolRun)).status === "COMPLETED", "carol's run");
    assert.equal(bearer(), "Bearer shared-token-1");
    assert.equal((await f.getAs("dave", "/x")).status, 200);
    assert.equal(bearer(), "Bearer shared-token-1");
    assert.equal((await f.getAs("", "/x")).status, 200, "a run without an end user uses the shared token");
    const outside = await get("/x");
    assert.equal(outside.status, 403, "a call outside a run has no end user, shared token or not");
    assert.equal(outside.json.code, "END_USER_REQUIRED");
    assert.equal(
      (await api("POST", "/oauth/tokens", { tool: "mail", user: "dave", access_token: "dave-1" })).status,
      201,
    );
    await f.getAs("dave", "/x");
    assert.equal(bearer(), "Bearer dave-1");
    assert.equal((await api("DELETE", "/oauth/tokens/mail?user=dave")).status, 200);
    await f.getAs("dave", "/x");
    assert.equal(bearer(), "Bearer shared-token-1");
    assert.deepEqual((await api("DELETE", "/oauth/tokens/mail")).json, {
      status: "deleted",
      tool: "mail",
      user: "",
    });
    const anonymous = await f.getAs("", "/x");
    assert.equal(anonymous.status, 403);
    assert.equal(anonymous.json.code, "END_USER_REQUIRED");

    const bad: [unknown, number, string][] = [
      [{ tool: "nope", access_token: "t" }, 404, 'tool "nope" not found'],
      [{ tool: "mail" }, 400, "access_token or refresh_token is required"],
      [
        { tool: "mail", access_token: "t", expires_in: -1 },
        400,
        "expires_in must be a whole number of seconds (0 or more)",
      ],
    ];
    for (const [body, status, error] of bad) {
      const res = await api("POST", "/oauth/tokens", body);
      assert.equal(res.status, status);
      assert.deepEqual(res.json, { error });
    }
  });

  it("never shows a token or the client secret in a response, an event or a log line", async () => {
    const stored = ["stale-bob", "refresh-bob", "refresh-carol", "shared-token-1", "dave-1"];
    assert.ok(provider.issued.length >= 2);
    assert.deepEqual(await f.leaks([...provider.issued, ...stored, CLIENT_SECRET]), []);
  });

  it("deletes the tool's end-user tokens with the tool", async () => {
    for (const user of ["erin", "frank"]) {
      assert.equal(
        (await api("POST", "/oauth/tokens", { tool: "mail", user, access_token: `t-${user}` })).status,
        201,
      );
    }
    assert.ok(await platform.store.getSecret("default", "oauth-token:mail:erin"));
    assert.equal((await api("DELETE", "/tools/mail")).status, 200);
    for (const user of ["erin", "frank"]) {
      assert.equal(await platform.store.getSecret("default", `oauth-token:mail:${user}`), undefined);
    }
  });
});
