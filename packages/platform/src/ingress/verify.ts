/**
 * @module ingress/verify
 * Verifies an end-user JWT against the identity providers of a workspace:
 *
 * 1. the header's `alg` must be RS256, ES256 or EdDSA — never `none`, never an HMAC (a public key
 *    used as an HMAC secret is a classic forgery) — and is pinned for the signature check;
 * 2. the provider is the one whose `issuer` equals the token's `iss` (else `bad issuer`);
 * 3. the signature is checked with the provider's JWKS key for the token's `kid` (`jose`);
 * 4. `iss`, `aud` (when the provider lists audiences), `exp` (required) and `nbf`, with
 *    {@link CLOCK_SKEW_SECONDS} of clock skew;
 * 5. the `userIDClaim` claim must be a non-empty printable string (it becomes the run's user and
 *    the `X-End-User-Id` header); with `allowedDomains`, the `email` claim's domain must be listed
 *    (and `email_verified` must not be false).
 *
 * Keys embedded in the token (`jwk`, `jku`, `x5u`, `x5c`) are never used.
 */
import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from "jose";
import { TokenRejected } from "./errors.js";
import type { Algorithm, JwksCache } from "./jwks.js";
import type { EndUserProvider } from "./providers.js";

export const ALGORITHMS: readonly Algorithm[] = ["RS256", "ES256", "EdDSA"];
export const CLOCK_SKEW_SECONDS = 30;
const MAX_SUBJECT_LENGTH = 256;

export interface VerifiedUser {
  subject: string;
  email?: string;
  groups: string[];
  /** The provider's name, and the workspace it is registered in. */
  provider: string;
  workspace: string;
  /** When the token expires (its `exp`, epoch ms): a stream opened with it ends then. */
  expiresAt?: number;
}

export async function verifyEndUserToken(
  token: string,
  providers: readonly EndUserProvider[],
  keys: JwksCache,
): Promise<VerifiedUser> {
  if (token.split(".").length !== 3) throw new TokenRejected("malformed token");
  let alg: unknown;
  let kid: unknown;
  let payload: JWTPayload;
  try {
    ({ alg, kid } = decodeProtectedHeader(token));
    payload = decodeJwt(token);
  } catch {
    throw new TokenRejected("malformed token");
  }
  if (typeof alg !== "string" || !(ALGORITHMS as readonly string[]).includes(alg)) {
    throw new TokenRejected(
      `unsupported algorithm ${JSON.stringify(String(alg).slice(0, 20))}: use ${ALGORITHMS.join(", ")}`,
    );
  }
  if (kid !== undefined && typeof kid !== "string") throw new TokenRejected("malformed token");
  const candidates = providers.filter((p) => p.issuer === payload.iss);
  if (candidates.length === 0) throw new TokenRejected("bad issuer");
  let first: unknown;
  for (const provider of candidates) {
    try {
      return await verifyWith(token, provider, keys, alg as Algorithm, kid);
    } catch (err) {
      first ??= err;
    }
  }
  throw first;
}

async function verifyWith(
  token: string,
  provider: EndUserProvider,
  keys: JwksCache,
  alg: Algorithm,
  kid: string | undefined,
): Promise<VerifiedUser> {
  const key = await keys.key(provider.jwksUri, kid, alg);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [alg],
      issuer: provider.issuer,
      ...(provider.audiences.length > 0 ? { audience: provider.audiences } : {}),
      clockTolerance: CLOCK_SKEW_SECONDS,
      requiredClaims: ["exp"],
    }));
  } catch (err) {
    throw new TokenRejected(reasonFor(err));
  }
  return claims(payload, provider);
}

function reasonFor(err: unknown): string {
  if (err instanceof errors.JWTExpired) return "token expired";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "aud") return "bad audience";
    if (err.claim === "iss") return "bad issuer";
    if (err.claim === "nbf") return "token not yet valid";
    if (err.claim === "exp") return "token has no expiry (exp)";
    return `invalid claim ${err.claim}`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return "bad signature";
  if (err instanceof errors.JOSEAlgNotAllowed) return "unsupported algorithm";
  return "malformed token";
}

function claims(payload: JWTPayload, provider: EndUserProvider): VerifiedUser {
  const subject = payload[provider.userIdClaim];
  if (typeof subject !== "string" || subject.trim() === "") {
    throw new TokenRejected(`token has no "${provider.userIdClaim}" claim`);
  }
  if (subject.length > MAX_SUBJECT_LENGTH || !/^[\x20-\x7e]+$/.test(subject)) {
    throw new TokenRejected(`the "${provider.userIdClaim}" claim must be printable ASCII`);
  }
  const email = typeof payload.email === "string" ? payload.email : undefined;
  if (provider.allowedDomains.length > 0) {
    const domain = email?.includes("@") ? email.slice(email.lastIndexOf("@") + 1).toLowerCase() : "";
    if (!domain || payload.email_verified === false || !provider.allowedDomains.includes(domain)) {
      throw new TokenRejected("email domain not allowed");
    }
  }
  const raw = payload[provider.groupsClaim];
  const list = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw : [];
  return {
    subject: subject.trim(),
    ...(email ? { email } : {}),
    groups: list.filter((g): g is string => typeof g === "string" && g !== ""),
    provider: provider.name,
    workspace: provider.workspace,
    ...(typeof payload.exp === "number" ? { expiresAt: payload.exp * 1000 } : {}),
  };
}
