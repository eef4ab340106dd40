import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  issueAgentToken,
  redactAgentTokens,
  resolveAgentToken,
  revokeAgentTokens,
} from "../../src/governance/agent-identity.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("agent identity tokens", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("issues a random token per call that resolves to its workspace and agent", async () => {
    const store = platform.store;
    const a = await issueAgentToken(store, "team-a", "bot");
    const b = await issueAgentToken(store, "team-a", "bot");
    assert.match(a, /^ra_agt_[A-Za-z0-9_-]{32}$/);
    assert.notEqual(a, b);
    assert.deepEqual(await resolveAgentToken(store, a), { workspace: "team-a", agent: "bot" });
    assert.deepEqual(await resolveAgentToken(store, b), { workspace: "team-a", agent: "bot" });
    for (const bad of ["", "ra_agt_short", `${a}x`, a.replace("ra_agt_", "ra_ws_"), "../../etc"]) {
      assert.equal(await resolveAgentToken(store, bad), undefined, bad);
    }
  });

  it("stores only a hash of the token", async () => {
    const token = await issueAgentToken(platform.store, "default", "hashed");
    const records = await platform.store.listResources("_agent-tokens", "setting");
    const text = JSON.stringify(records);
    assert.ok(!text.includes(token) && !text.includes(token.slice(7)));
    assert.ok(records.some((r) => r.doc.agent === "hashed" && /^agent-token\.[0-9a-f]{64}$/.test(r.name)));
  });

  it("revokes every token of one agent and no other", async () => {
    const store = platform.store;
    const mine = [await issueAgentToken(store, "ws1", "x"), await issueAgentToken(store, "ws1", "x")];
    const other = await issueAgentToken(store, "ws2", "x");
    assert.equal(await revokeAgentTokens(store, "ws1", "x"), 2);
    for (const token of mine) assert.equal(await resolveAgentToken(store, token), undefined);
    assert.deepEqual(await resolveAgentToken(store, other), { workspace: "ws2", agent: "x" });
    assert.equal(await revokeAgentTokens(store, "ws1", "x"), 0);
  });

  it("hides tokens in paths meant for logs", () => {
    const token = `ra_agt_${"A".repeat(32)}`;
    assert.equal(
      redactAgentTokens(`/gateway/${token}/v1/chat/completions`),
      "/gateway/[token]/v1/chat/completions",
    );
    assert.equal(redactAgentTokens("/api/v1/tools"), "/api/v1/tools");
  });
});
