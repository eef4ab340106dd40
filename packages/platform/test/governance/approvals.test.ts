import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HttpError } from "../../src/errors.js";
import {
  type AccessRequest,
  effectiveStatus,
  findGrant,
  normalizeDecision,
  parseDuration,
} from "../../src/governance/approvals.js";

const NOW = "2025-06-01T12:00:00.000Z";
const LATER = "2025-06-01T16:00:00.000Z";
const EARLIER = "2025-06-01T08:00:00.000Z";

const request = (fields: Partial<AccessRequest>): AccessRequest => ({
  id: "req-1",
  subject: "alice",
  agent_id: "agent-a",
  tool_id: "crm",
  status: "APPROVED",
  scope: "once",
  duration: "",
  approver_id: "ops",
  reason: "",
  action_id: "",
  run_id: "",
  capability: "",
  payload_hash: "",
  tool_method: "",
  tool_url: "",
  expires_at: "",
  decided_at: EARLIER,
  consumed_at: "",
  ...fields,
});

const query = { agentId: "agent-a", userId: "alice", toolId: "crm", now: NOW };

const rejects400 = (fn: () => unknown, message: string) =>
  assert.throws(fn, (e: unknown) => e instanceof HttpError && e.status === 400 && e.message === message);

describe("parseDuration", () => {
  it("reads Go-style durations with days", () => {
    assert.equal(parseDuration("30m"), 30 * 60_000);
    assert.equal(parseDuration("4h"), 4 * 3_600_000);
    assert.equal(parseDuration("1h30m"), 90 * 60_000);
    assert.equal(parseDuration("7d"), 7 * 86_400_000);
    assert.equal(parseDuration(" 45S "), 45_000);
  });

  it("rejects empty, zero, unknown units and windows over 30 days", () => {
    const message = "duration must be a duration such as 30m, 4h, 1h30m or 7d (between 1s and 30d)";
    for (const bad of ["", "0h", "4", "1.5h", "2w", "31d", "h4", "-1h"])
      rejects400(() => parseDuration(bad), message);
  });
});

describe("normalizeDecision", () => {
  it("follows the SDK's scope table", () => {
    // Deliberately not the SDK's table: no scope and no duration is one call, never a window.
    assert.deepEqual(normalizeDecision(undefined, undefined), { scope: "once", duration: "" });
    assert.deepEqual(normalizeDecision(" ", ""), { scope: "once", duration: "" });
    assert.deepEqual(normalizeDecision("", "2h"), { scope: "agent_user_ttl", duration: "2h" });
    assert.deepEqual(normalizeDecision(" Window ", "4h"), { scope: "agent_user_ttl", duration: "4h" });
    assert.deepEqual(normalizeDecision("ttl", ""), { scope: "agent_user_ttl", duration: "" });
    assert.deepEqual(normalizeDecision("ONCE", ""), { scope: "once", duration: "" });
    assert.deepEqual(normalizeDecision("run", undefined), { scope: "run", duration: "" });
    rejects400(() => normalizeDecision("run", "1h"), "duration can only be used with scope window");
    rejects400(
      () => normalizeDecision("always", ""),
      "invalid approval scope 'always' (expected once, run, or window)",
    );
  });
});

describe("effectiveStatus", () => {
  it("reads an approved window past its end as EXPIRED, and nothing else", () => {
    assert.equal(effectiveStatus(request({ scope: "agent_user_ttl", expires_at: EARLIER }), NOW), "EXPIRED");
    assert.equal(effectiveStatus(request({ scope: "agent_user_ttl", expires_at: LATER }), NOW), "APPROVED");
    assert.equal(effectiveStatus(request({ scope: "once", expires_at: EARLIER }), NOW), "APPROVED");
    assert.equal(effectiveStatus(request({ status: "PENDING", expires_at: EARLIER }), NOW), "PENDING");
  });
});

describe("findGrant", () => {
  it("finds a live window for the same agent, user and tool only", () => {
    const window = request({ scope: "agent_user_ttl", expires_at: LATER });
    assert.equal(findGrant([window], query), window);
    assert.equal(findGrant([window], { ...query, userId: "bob" }), undefined);
    assert.equal(findGrant([window], { ...query, agentId: "agent-b" }), undefined);
    assert.equal(findGrant([window], { ...query, toolId: "email" }), undefined);
    assert.equal(
      findGrant([window], { ...query, now: "2025-06-01T16:00:00.000Z" }),
      undefined,
      "ends at expires_at",
    );
    assert.equal(findGrant([{ ...window, status: "EXPIRED" }], query), undefined);
  });

  it("never grants from pending, rejected or expired requests", () => {
    for (const status of ["PENDING", "REJECTED", "EXPIRED"] as const) {
      assert.equal(
        findGrant([request({ status, scope: "agent_user_ttl", expires_at: LATER })], query),
        undefined,
      );
    }
  });

  it("covers calls in the same run for a run grant", () => {
    const run = request({ scope: "run", run_id: "run-1" });
    assert.equal(findGrant([run], { ...query, runId: "run-1" }), run);
    assert.equal(findGrant([run], { ...query, runId: "run-2" }), undefined);
    assert.equal(findGrant([run], query), undefined, "a call outside any run is not covered");
  });

  it("covers only the exact blocked call for a once grant, until consumed", () => {
    const once = request({
      scope: "once",
      run_id: "run-1",
      action_id: "act-1",
      tool_method: "POST",
      tool_url: "https://crm.example/export",
      payload_hash: "sha256:1",
    });
    const call = {
      ...query,
      runId: "run-1",
      method: "post",
      url: "https://crm.example/export",
      payloadHash: "sha256:1",
    };
    assert.equal(findGrant([once], call), once);
    assert.equal(findGrant([once], { ...call, actionId: "act-1" }), once, "the replay of that action");
    assert.equal(
      findGrant([once], { ...call, actionId: "act-1", payloadHash: "other" }),
      undefined,
      "a changed payload is a new approval, even when replaying the action",
    );
    assert.equal(findGrant([once], { ...call, actionId: "act-2" }), undefined);
    assert.equal(findGrant([once], { ...call, payloadHash: "sha256:2" }), undefined);
    assert.equal(findGrant([once], { ...call, url: "https://crm.example/delete" }), undefined);
    assert.equal(findGrant([once], { ...call, runId: "run-2" }), undefined);
    assert.equal(findGrant([{ ...once, consumed_at: NOW }], call), undefined);
  });

  it("prefers a window or run grant over spending a once grant", () => {
    const once = request({ id: "req-once", scope: "once" });
    const window = request({ id: "req-window", scope: "agent_user_ttl", expires_at: LATER });
    const run = request({ id: "req-run", scope: "run", run_id: "run-1" });
    assert.equal(findGrant([once, window], query)?.id, "req-window");
    assert.equal(findGrant([once, run], { ...query, runId: "run-1" })?.id, "req-run");
    assert.equal(findGrant([once], query)?.id, "req-once");
  });
});
