/**
 * @module ingress/jwks
 * Signing keys of identity providers, fetched from their JWKS URIs and cached per URI. A key is
 * looked up by the token's `kid` (or, without one, the only key that fits the algorithm). An
 * unknown `kid` refetches the set — key rotation — but at most once per `cooldownMs` per URI, so
 * tokens with made-up `kid`s cannot turn the platform into a JWKS hammer; a set older than
 * `maxAgeMs` is refetched on its next use. Concurrent refetches of one URI share one request.
 * Only asymmetric signature keys are kept (RSA, EC P-256, Ed25519); an `oct` key is never used.
 */
import { importJWK, type JWK } from "jose";
import { SigningKeysUnavailable, TokenRejected } from "./errors.js";

export type Algorithm = "RS256" | "ES256" | "EdDSA";
type Key = Awaited<ReturnType<typeof importJWK>>;

export interface JwksOptions {
  /** Least time between two fetches of one URI. @default 30 s */
  cooldownMs?: number;
  /** A fetched set is used for this long before it is fetched again. @default 10 min */
  maxAgeMs?: number;
  /** @default 5 s */
  timeoutMs?: number;
  now?: () => number;
}

interface Entry {
  keys: JWK[];
  fetchedAt: number;
  imported: Map<JWK, Promise<Key>>;
}

const MAX_JWKS_BYTES = 256 * 1024;

const fits = (jwk: JWK, alg: Algorithm): boolean => {
  if (jwk.use !== undefined && jwk.use !== "sig") return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (alg === "RS256") return jwk.kty === "RSA";
  if (alg === "ES256") return jwk.kty === "EC" && jwk.crv === "P-256";
  return jwk.kty === "OKP" && jwk.crv === "Ed25519";
};

export class JwksCache {
  readonly #entries = new Map<string, Entry>();
  readonly #attempts = new Map<string, number>();
  readonly #pending = new Map<string, Promise<Entry>>();
  readonly #cooldownMs: number;
  readonly #maxAgeMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;

  constructor(options: JwksOptions = {}) {
    this.#cooldownMs = options.cooldownMs ?? 30_000;
    this.#maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#now = options.now ?? Date.now;
  }

  /** The key that verifies a token signed with `alg` under `kid`; TokenRejected when none does. */
  async key(uri: string, kid: string | undefined, alg: Algorithm): Promise<Key> {
    let entry = this.#entries.get(uri);
    if (!entry || this.#now() - entry.fetchedAt >= this.#maxAgeMs) entry = await this.#refresh(uri, entry);
    let jwk = pick(entry.keys, kid, alg);
    if (!jwk && this.#mayFetch(uri)) {
      entry = await this.#refresh(uri, entry);
      jwk = pick(entry.keys, kid, alg);
    }
    if (!jwk) throw new TokenRejected("unknown signing key");
    let imported = entry.imported.get(jwk);
    if (!imported) {
      imported = importJWK(jwk, alg);
      entry.imported.set(jwk, imported);
    }
    try {
      return await imported;
    } catch {
      throw new TokenRejected("unknown signing key");
    }
  }

  #mayFetch(uri: string): boolean {
    const last = this.#attempts.get(uri);
    return last === undefined || this.#now() - last >= this.#cooldownMs;
  }

  /** Fetch (or join the fetch in flight); with a cached set, a failed or cooling fetch keeps it. */
  async #refresh(uri: string, cached: Entry | undefined): Promise<Entry> {
    const inFlight = this.#pending.get(uri);
    if (inFlight) {
      return inFlight.catch((err: unknown) => {
        if (cached) return cached;
        throw err;
      });
    }
    if (!this.#mayFetch(uri)) {
      if (cached) return cached;
      throw new SigningKeysUnavailable(`the last fetch of ${uri} failed; retrying after a cooldown`);
    }
    this.#attempts.set(uri, this.#now());
    const work = this.#fetch(uri).then((keys) => {
      const entry: Entry = { keys, fetchedAt: this.#now(), imported: new Map() };
      this.#entries.set(uri, entry);
      return entry;
    });
    this.#pending.set(uri, work);
    try {
      return await work;
    } catch (err) {
      if (cached) return cached;
      throw err;
    } finally {
      this.#pending.delete(uri);
    }
  }

  async #fetch(uri: string): Promise<JWK[]> {
    let res: Response;
    try {
      res = await fetch(uri, {
        headers: { Accept: "application/json" },
        redirect: "error",
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw new SigningKeysUnavailable(`could not fetch ${uri}: ${(err as Error).message}`);
    }
    const body = await res.text().catch(() => "");
    if (res.status !== 200) throw new SigningKeysUnavailable(`${uri} answered HTTP ${res.status}`);
    if (body.length > MAX_JWKS_BYTES) throw new SigningKeysUnavailable(`${uri} answered a key set too large`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new SigningKeysUnavailable(`${uri} did not answer JSON`);
    }
    const keys = (parsed as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) throw new SigningKeysUnavailable(`${uri} answered no "keys" list`);
    return keys
      .filter(
        (k): k is JWK =>
          k !== null && typeof k === "object" && ["RSA", "EC", "OKP"].includes((k as JWK).kty ?? ""),
      )
      .map(publicPart);
  }
}

/** Never a private key, even when a provider publishes one by mistake. */
function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...rest } = jwk;
  return rest;
}

function pick(keys: JWK[], kid: string | undefined, alg: Algorithm): JWK | undefined {
  const candidates = keys.filter((k) => fits(k, alg));
  if (kid !== undefined) return candidates.find((k) => k.kid === kid);
  return candidates.length === 1 ? candidates[0] : undefined;
}
