/**
 * The signature replicas put on forwarded requests (deploy/placement/replica-auth.ts): what it
 * covers, and every way a request without a valid one is refused.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { MAX_SKEW_MS, ReplicaAuth, SIGNATURE_HEADER } from "../../src/deploy/placement/replica-auth.js";

const key = randomBytes(32);
const request = { method: "POST", path: "/_fleet/v1/agents/default/bot/invoke", body: '{"message":"hi"}' };

const refused = (fn: () => unknown, why: RegExp) =>
  assert.throws(fn, (error: Error & { status?: number }) => {
    assert.equal(error.status, 401);
    assert.match(error.message, why);
    return true;
  });

describe("replica request signatures", () => {
  it("accepts a request signed by a replica with the same secret key, and names the sender", () => {
    const headers = new ReplicaAuth(key, "replica-a").sign(request);
    assert.equal(new ReplicaAuth(key, "replica-b").verify(request, headers), "replica-a");
  });

  it("refuses a request without the signature headers", () => {
    const b = new ReplicaAuth(key, "b");
    refused(() => b.verify(request, {}), /not signed/);
    const headers = new ReplicaAuth(key, "a").sign(request);
    refused(() => b.verify(request, { ...headers, [SIGNATURE_HEADER]: undefined }), /not signed/);
  });

  it("covers the method, the path, the body, the sender and the timestamp", () => {
    const b = new ReplicaAuth(key, "b");
    const headers = () => new ReplicaAuth(key, "a").sign(request);
    refused(() => b.verify({ ...request, method: "GET" }, headers()), /does not match/);
    refused(() => b.verify({ ...request, path: `${request.path}?x=1` }, headers()), /does not match/);
    refused(() => b.verify({ ...request, body: '{"message":"ho"}' }, headers()), /does not match/);
    refused(() => b.verify(request, { ...headers(), "x-runagents-replica": "c" }), /does not match/);
    const h = headers();
    refused(
      () =>
        b.verify(request, { ...h, "x-runagents-timestamp": String(Number(h["x-runagents-timestamp"]) + 1) }),
      /does not match/,
    );
  });

  it("refuses a signature made with another key", () => {
    const headers = new ReplicaAuth(randomBytes(32), "a").sign(request);
    refused(() => new ReplicaAuth(key, "b").verify(request, headers), /does not match/);
  });

  it("refuses a replay of a request it already accepted", () => {
    const b = new ReplicaAuth(key, "b");
    const headers = new ReplicaAuth(key, "a").sign(request);
    b.verify(request, headers);
    refused(() => b.verify(request, headers), /replay/);
  });

  it("refuses a timestamp too far in the past or the future", () => {
    const b = new ReplicaAuth(key, "b");
    const old = new ReplicaAuth(key, "a", () => Date.now() - MAX_SKEW_MS - 1000).sign(request);
    refused(() => b.verify(request, old), /too old or too far ahead/);
    const ahead = new ReplicaAuth(key, "a", () => Date.now() + MAX_SKEW_MS + 1000).sign(request);
    refused(() => b.verify(request, ahead), /too old or too far ahead/);
  });
});
