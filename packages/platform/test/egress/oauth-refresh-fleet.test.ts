/**
 * Delegated OAuth tokens refreshed by several platform processes on one store (each with its own
 * store connection, as replicas have) against a provider that rotates refresh tokens: the token
 * is refreshed once, every process uses the new token, and nobody is sent back to consent.
 */
import assert from "node:assert/strict";
import type { OutgoingHttpHeaders } from "node:http";
import { after, before, describe, it } from "node:test";
import { DelegatedAuth } from "../../src/egress/consent.js";
import { readToken, writeToken } from "../../src/egress/oauth-tokens.js";
import type { CallIdentity } from "../../src/egress/record.js";
import { toolInfo } from "../../src/governance/tool-info.js";
import { silentLogger } from "../../src/log.js";
import { type StoreFixture, storeBackends } from "../helpers/stores.js";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  delegatedToolSpec,
  type FakeProvider,
  startFakeProvider,
} from "./fake-oauth.js";

for (const backend of await storeBackends()) {
  describe(`OAuth refresh across processes on ${backend.name}`, { skip: backend.skip }, () => {
    let fixture: StoreFixture;
    let provider: FakeProvider;
    before(async () => {
      fixture = await backend.fixture();
      provider = await startFakeProvider();
      provider.rotate = true;
      provider.delayMs = 50; // a window in which an unguarded second refresh would go out
    });
    after(async () => {
      await provider?.close();
      await fixture?.dispose();
    });

    it("refreshes a rotating token once for four processes calling at once; all use the new token", async () => {
      const stores = [fixture.open(), fixture.open(), fixture.open(), fixture.open()];
      const [first] = stores;
      const { record } = await first!.putResource("ws", "tool", "mail", {
        spec: delegatedToolSpec("http://127.0.0.1:9", provider),
      });
      await first!.putSecret("ws", "mail-credentials", {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      });
      await writeToken(
        first!,
        "ws",
        "mail",
        "bob",
        { accessToken: "old", refreshToken: "refresh-old", expiresIn: 0 },
        0,
      );
      const tool = toolInfo(record);
      const identity = (): CallIdentity => ({
        workspace: "ws",
        agent: "mail-agent",
        run: { id: "run-1", userId: "bob" },
        userId: "bob",
        actionId: "",
        requestId: "r",
      });
      const call = { tool: "mail", method: "GET", url: "http://127.0.0.1:9/inbox", capability: "" };
      const before = provider.calls.length;
      const results = await Promise.all(
        stores.map(async (store) => {
          const headers: OutgoingHttpHeaders = {};
          const auth = new DelegatedAuth({ store, log: silentLogger, baseUrl: () => "http://127.0.0.1:1" });
          const outcome = await auth.apply(identity(), call, tool, headers);
          return { blocked: outcome.blocked, authorization: headers.authorization };
        }),
      );
      assert.deepEqual(
        results.map((r) => r.blocked),
        [undefined, undefined, undefined, undefined],
        "nobody is asked to consent again",
      );
      const refreshes = provider.calls.slice(before).filter((c) => c.grant_type === "refresh_token");
      assert.deepEqual(
        refreshes.map((c) => c.refresh_token),
        ["refresh-old"],
        "one refresh",
      );
      const stored = await readToken(first!, "ws", "mail", "bob");
      assert.match(stored?.refresh_token ?? "", /^refresh-\d+$/);
      assert.notEqual(stored?.refresh_token, "refresh-old", "the rotated refresh token is kept");
      assert.deepEqual(
        results.map((r) => r.authorization),
        stores.map(() => `Bearer ${stored?.access_token}`),
      );
    });
  });
}
