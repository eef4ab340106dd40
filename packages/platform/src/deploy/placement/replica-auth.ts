/**
 * @module deploy/placement/replica-auth
 * How replicas prove to each other that a forwarded request (`/_fleet/v1/...`) comes from the
 * fleet: an HMAC-SHA256 per request, keyed by a key derived from the secret key every replica
 * shares (`RUNAGENTS_SECRET_KEY`), over the method, the path (with its query), a timestamp, a
 * nonce and the body's SHA-256. Neither the secret key nor the derived key ever leaves the
 * process; agents never see either.
 *
 * A request is refused (401) without the headers, with a signature that does not match, with a
 * timestamp more than {@link MAX_SKEW_MS} away from this replica's clock, or with a nonce already
 * seen within that window (a replay).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { HttpError } from "../../errors.js";

export const REPLICA_HEADER = "x-runagents-replica";
export const TIMESTAMP_HEADER = "x-runagents-timestamp";
export const NONCE_HEADER = "x-runagents-nonce";
export const SIGNATURE_HEADER = "x-runagents-signature";
/** How far a forwarded request's timestamp may be from the receiver's clock. */
export const MAX_SKEW_MS = 30_000;

export interface SignedRequest {
  method: string;
  /** The path and query exactly as sent. */
  path: string;
  body: string | Buffer;
}

export class ReplicaAuth {
  readonly #key: Buffer;
  /** Nonces seen, with the time they stop mattering (their timestamp + the skew). */
  readonly #seen = new Map<string, number>();

  constructor(
    secretKey: Buffer,
    readonly replicaId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.#key = createHmac("sha256", secretKey).update("runagents fleet forwarding v1").digest();
  }

  /** The headers that authenticate `request` as coming from this replica. */
  sign(request: SignedRequest): Record<string, string> {
    const timestamp = String(this.now());
    const nonce = randomBytes(16).toString("hex");
    return {
      [REPLICA_HEADER]: this.replicaId,
      [TIMESTAMP_HEADER]: timestamp,
      [NONCE_HEADER]: nonce,
      [SIGNATURE_HEADER]: `v1=${this.#mac(request, this.replicaId, timestamp, nonce)}`,
    };
  }

  /** Throws HttpError 401 unless `headers` authenticate `request`; returns the sending replica. */
  verify(request: SignedRequest, headers: Record<string, string | string[] | undefined>): string {
    const header = (name: string): string => {
      const value = headers[name];
      if (typeof value !== "string" || value === "") throw unauthorized("the request is not signed");
      return value;
    };
    const replica = header(REPLICA_HEADER);
    const timestamp = header(TIMESTAMP_HEADER);
    const nonce = header(NONCE_HEADER);
    const signature = header(SIGNATURE_HEADER);
    const expected = Buffer.from(`v1=${this.#mac(request, replica, timestamp, nonce)}`);
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw unauthorized("the request's signature does not match");
    }
    const at = Number(timestamp);
    const now = this.now();
    if (!/^\d{1,16}$/.test(timestamp) || Math.abs(now - at) > MAX_SKEW_MS) {
      throw unauthorized("the request's timestamp is too old or too far ahead");
    }
    this.#forgetOld(now);
    if (this.#seen.has(nonce)) throw unauthorized("the request was already received (a replay)");
    this.#seen.set(nonce, at + MAX_SKEW_MS);
    return replica;
  }

  #mac(request: SignedRequest, replica: string, timestamp: string, nonce: string): string {
    const bodyHash = createHash("sha256").update(request.body).digest("hex");
    return createHmac("sha256", this.#key)
      .update([request.method.toUpperCase(), request.path, replica, timestamp, nonce, bodyHash].join("\n"))
      .digest("hex");
  }

  #forgetOld(now: number): void {
    if (this.#seen.size < 1024) return;
    for (const [nonce, until] of this.#seen) if (until < now) this.#seen.delete(nonce);
  }
}

const unauthorized = (why: string) => new HttpError(401, `replica authentication failed: ${why}`);
