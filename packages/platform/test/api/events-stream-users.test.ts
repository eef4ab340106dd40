/**
 * The live feed for a person signed in through an identity provider: they get a one-use stream
 * ticket with their token, and the stream it opens counts only the pending approval requests an
 * approval rule lets them decide (an API key's counts them all) and carries the events of runs
 * they started themselves only — not a run merely labelled with their name by an API key, not
 * another user's. The agents channel, another user's run, a ticket used twice or in another
 * workspace, and a ticket taken with an API key beside the token are refused in words; the stream
 * ends when the user's token expires.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type FakeOidc,
  financePolicy,
  pendingRequest,
  signInProvider,
  startFakeOidc,
} from "../helpers/fake-oidc.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { type OpenStream, openStream, type SseEvent } from "../helpers/sse.js";

type Json = Record<string, any>;

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The next `event: approval` of a stream (run events in between are passed over). */
async function nextCount(stream: OpenStream): Promise<number> {
  for (;;) {
    const event = await stream.next();
    if (event.event === "approval") return event.data.pending as number;
  }
}

/** The next plain run event (named events in between are passed over). */
async function nextRunEvent(stream: OpenStream): Promise<SseEvent> {
  for (;;) {
    const event = await stream.next();
    if (event.event === "") return event;
  }
}

describe("GET /events/stream for a signed-in user", () => {
  let platform: TestPlatform;
  let oidc: FakeOidc;
  let financeKey: Record<string, string>;

  const userTicket = async (token: string, path = ""): Promise<string> => {
    const res = await platform.call("POST", `${path}/events/stream-ticket`, {}, bearer(token));
    assert.equal(res.status, 201, res.text);
    return (res.json as Json).ticket;
  };
  const open = (query: string, headers: Record<string, string> = {}, path = "") =>
    openStream(platform.url, `/api/v1${path}/events/stream?${query}`, headers);

  before(async () => {
    platform = await startTestPlatform();
    oidc = await startFakeOidc();
    const provider = await platform.call("POST", "/identity-providers", signInProvider(oidc));
    assert.equal(provider.status, 201, provider.text);
    await financePolicy(platform);
    const key = await platform.call("POST", "/auth/api-keys", {
      name: "finance-desk",
      role: "operator",
      groups: ["finance-approvers"],
    });
    assert.equal(key.status, 201, key.text);
    financeKey = { "X-RunAgents-API-Key": (key.json as Json).token };
  });
  after(async () => {
    await platform.destroy();
    await oidc.close();
  });

  it("counts for a user only the requests they may decide, live; an API key counts them all", async () => {
    const first = await pendingRequest(platform, "payments");
    await pendingRequest(platform, "shipping");
    const token = await oidc.mint();
    const mine = await open(`approvals=true&ticket=${await userTicket(token)}`);
    const all = await open("approvals=true", platform.authHeaders);
    assert.equal(mine.status, 200, mine.body);
    assert.equal(all.status, 200, all.body);
    assert.equal(
      await nextCount(mine),
      1,
      "the payments request only: no rule names ada's group for shipping",
    );
    assert.equal(await nextCount(all), 2);

    await pendingRequest(platform, "payments");
    assert.equal(await nextCount(mine), 2);
    assert.equal(await nextCount(all), 3);
    await pendingRequest(platform, "shipping");
    assert.equal(await nextCount(all), 4);

    const approved = await platform.call("POST", `/approvals/requests/${first}/approve`, {}, financeKey);
    assert.equal(approved.status, 200, approved.text);
    assert.equal(await nextCount(mine), 1, "the shipping request in between did not move ada's count");
    assert.equal(await nextCount(all), 3);

    // Someone outside the finance group counts nothing at all.
    const outsider = await open(
      `approvals=true&ticket=${await userTicket(await oidc.mint({ sub: "eve", groups: ["support"] }))}`,
    );
    assert.equal(await nextCount(outsider), 0);
    for (const s of [mine, all, outsider]) s.close();
  });

  it("sends a user only the events of runs they started, even replaying the whole feed", async () => {
    const token = await oidc.mint();
    const own = await platform.store.createRun({
      workspace: "default",
      agentId: "fin-agent",
      userId: "ada",
      userAuth: "jwt:corp",
    });
    // An API key may label a run with any user_id: that does not make it ada's.
    const labelled = await platform.call("POST", "/runs", { agent_id: "fin-agent", user_id: "ada" });
    const bobs = await platform.call("POST", "/runs", { agent_id: "fin-agent", user_id: "bob@example.com" });
    assert.equal(labelled.status, 201, labelled.text);
    assert.equal(bobs.status, 201, bobs.text);
    const stream = await open(`last_event_id=0&ticket=${await userTicket(token)}`);
    assert.equal(stream.status, 200, stream.body);
    const say = (runId: string, message: string) =>
      platform.call("POST", `/runs/${runId}/events`, { type: "AGENT_MESSAGE", data: { message } });
    for (const [runId, message] of [
      [(labelled.json as Json).id, "labelled"],
      [(bobs.json as Json).id, "bob's secret"],
      [own.id, "mine"],
      [(bobs.json as Json).id, "bob again"],
      [own.id, "mine again"],
    ] as const) {
      assert.equal((await say(runId, message)).status, 201);
    }
    const seen = [await nextRunEvent(stream), await nextRunEvent(stream)];
    assert.deepEqual(
      seen.map((e) => [e.data.run_id, e.data.data.message]),
      [
        [own.id, "mine"],
        [own.id, "mine again"],
      ],
    );
    assert.ok(!stream.body.includes("bob"), "nothing of bob's run reached ada");

    const byRun = await open(`run=${own.id}&last_event_id=0&ticket=${await userTicket(token)}`);
    assert.equal(byRun.status, 200, byRun.body);
    assert.equal((await nextRunEvent(byRun)).data.run_id, own.id);
    for (const s of [stream, byRun]) s.close();
  });

  it("ends a user's stream when their token expires; a new ticket then needs a valid token", async () => {
    // Expired 28 s ago: still inside the 30 s clock skew verification allows, for a second or two.
    const token = await oidc.mint({ exp: Math.floor(Date.now() / 1000) - 28 });
    const stream = await open(`approvals=true&ticket=${await userTicket(token)}`);
    assert.equal(stream.status, 200, stream.body);
    await stream.ended;
    const refused = await platform.call("POST", "/events/stream-ticket", {}, bearer(token));
    assert.deepEqual(
      [refused.status, refused.json],
      [401, { error: "invalid end-user token: token expired" }],
    );
  });

  it("refuses what a user's ticket must not open, in words", async () => {
    const token = await oidc.mint();
    const bobs = await platform.call("POST", "/runs", { agent_id: "fin-agent", user_id: "bob@example.com" });
    const refusals: [string, string | Record<string, string>, number, RegExp][] = [
      [
        "approvals=true&agents=true",
        "ticket",
        403,
        /^agents=true needs a workspace API key: a signed-in user's stream carries only the approvals channel and the events of runs they started$/,
      ],
      ["agents=true", bearer(token), 403, /^agents=true needs a workspace API key/],
      [
        `run=${(bobs.json as Json).id}`,
        "ticket",
        403,
        /is not one you started: a signed-in user follows only their own runs$/,
      ],
      ["run=no-such-run", bearer(token), 403, /^run no-such-run is not one you started/],
    ];
    for (const [query, auth, status, error] of refusals) {
      const res =
        typeof auth === "string"
          ? await open(`${query}&ticket=${await userTicket(token)}`)
          : await open(query, auth);
      assert.equal(res.status, status, `${query}: ${res.body}`);
      assert.match(JSON.parse(res.body).error, error);
    }

    // A ticket opens one stream, in the workspace it was issued for.
    const once = await userTicket(token);
    (await open(`approvals=true&ticket=${once}`)).close();
    const again = await open(`approvals=true&ticket=${once}`);
    const elsewhere = await open(`approvals=true&ticket=${await userTicket(token)}`, {}, "/workspaces/team");
    for (const res of [again, elsewhere]) {
      assert.equal(res.status, 401, res.body);
      assert.match(JSON.parse(res.body).error, /^invalid, used or expired stream ticket/);
    }

    // An API key sent beside the token does not widen the ticket: it is the user's.
    const both = await platform.call(
      "POST",
      "/events/stream-ticket",
      {},
      { ...bearer(token), ...platform.authHeaders },
    );
    assert.equal(both.status, 201, both.text);
    const widened = await open(`agents=true&ticket=${(both.json as Json).ticket}`);
    assert.equal(widened.status, 403, widened.body);

    // A token the platform does not trust gets no ticket.
    const forged = await platform.call(
      "POST",
      "/events/stream-ticket",
      {},
      bearer(await oidc.mint({ iss: "https://evil.example.com" })),
    );
    assert.deepEqual([forged.status, forged.json], [401, { error: "invalid end-user token: bad issuer" }]);
  });
});
