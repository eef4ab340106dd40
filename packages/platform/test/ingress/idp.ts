/**
 * Test identity provider: signing keys made with node:crypto (RSA, EC P-256, Ed25519), a JWKS
 * server on 127.0.0.1 that counts its fetches and can rotate keys, and token minting — including
 * the forgeries (`alg: none`, HS256 keyed with the public key) the platform must refuse.
 */
import { createHmac, generateKeyPairSync, type KeyObject } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type JWK, type JWTPayload, SignJWT } from "jose";

export interface TestKey {
  kid: string;
  alg: "RS256" | "ES256" | "EdDSA";
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JWK;
}

export function makeKey(kid: string, alg: TestKey["alg"]): TestKey {
  const pair =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : alg === "ES256"
        ? generateKeyPairSync("ec", { namedCurve: "P-256" })
        : generateKeyPairSync("ed25519");
  const jwk = { ...(pair.publicKey.export({ format: "jwk" }) as JWK), kid, use: "sig" };
  return { kid, alg, ...pair, jwk };
}

export interface JwksServer {
  uri: string;
  /** How many times the key set was fetched. */
  fetches: number;
  serve(keys: TestKey[]): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: TestKey[]): Promise<JwksServer> {
  let served = keys;
  const state = { fetches: 0 };
  const server: Server = createServer((_req, res) => {
    state.fetches += 1;
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ keys: served.map((k) => k.jwk) }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return state.fetches;
    },
    serve(next) {
      served = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const ISSUER = "https://login.example.test/";
export const AUDIENCE = "runagents-test";

/** A signed token; `claims` are merged over sub/email/groups/iss/aud/iat/exp defaults. */
export function mint(
  key: TestKey,
  claims: JWTPayload = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    sub: "user-123",
    email: "ada@example.com",
    groups: ["finance", "approvers"],
    iss: ISSUER,
    aud: AUDIENCE,
    iat: now,
    exp: now + 300,
    ...claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: "JWT", ...header })
    .sign(key.privateKey);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

function claimsNow(claims: JWTPayload): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { sub: "mallory", iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + 300, ...claims };
}

/** An unsigned token (`alg: none`). */
export const unsignedToken = (claims: JWTPayload = {}): string =>
  `${b64({ alg: "none", typ: "JWT" })}.${b64(claimsNow(claims))}.`;

/** HS256 "signed" with the RSA public key (PEM) as the HMAC secret: the key-confusion forgery. */
export function hmacWithPublicKey(key: TestKey, claims: JWTPayload = {}): string {
  const input = `${b64({ alg: "HS256", typ: "JWT", kid: key.kid })}.${b64(claimsNow(claims))}`;
  const secret = key.publicKey.export({ format: "pem", type: "spki" });
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** An identity provider document for POST /identity-providers. */
export const providerDoc = (
  name: string,
  jwksUri: string,
  extra: { issuer?: string; audiences?: string[]; allowedDomains?: string[]; userIDClaim?: string } = {},
) => ({
  name,
  spec: {
    host: "app.example.test",
    identityProvider: {
      issuer: extra.issuer ?? ISSUER,
      jwksUri,
      audiences: extra.audiences ?? [AUDIENCE],
    },
    userIDClaim: extra.userIDClaim ?? "sub",
    ...(extra.allowedDomains ? { allowedDomains: extra.allowedDomains } : {}),
  },
});
