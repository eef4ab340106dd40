/**
 * Test helper: a small OpenID Connect provider on 127.0.0.1 for browser sign-in. Its discovery
 * document, JWKS, an authorize endpoint that signs in the configured test user at once and
 * redirects back with a one-use code, and a token endpoint (CORS-open, as a public client's
 * browser calls it) that checks the code, redirect URI, client id and PKCE verifier (S256) and
 * answers an RS256 ID token carrying the nonce. `tokenClaims` overrides what the next tokens say
 * (a foreign issuer, another audience) to test what the console and the platform refuse.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type JWTPayload, SignJWT } from "jose";
import { makeKey } from "../ingress/idp.js";
import type { TestPlatform } from "./platform.js";

type Json = Record<string, any>;

export interface FakeUser {
  sub: string;
  email?: string;
  name?: string;
  groups?: string[];
}

export interface FakeOidc {
  issuer: string;
  clientId: string;
  jwksUri: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** Who the next sign-in is. */
  user: FakeUser;
  /** Claims merged over the next ID tokens' (e.g. `{ iss: "https://evil.test" }`). */
  tokenClaims: JWTPayload;
  /** Every token request's outcome ("ok" or the refusal), in order. */
  exchanges: string[];
  /** A signed ID token for `user` without going through the browser. */
  mint(claims?: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string;
  user: FakeUser;
}

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
};

export async function startFakeOidc(clientId = "runagents-console"): Promise<FakeOidc> {
  const key = makeKey("oidc-1", "RS256");
  const codes = new Map<string, Grant>();
  let counter = 0;
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeOidc = {
    issuer,
    clientId,
    jwksUri: `${issuer}/jwks`,
    authorizationEndpoint: `${issuer}/authorize`,
    tokenEndpoint: `${issuer}/token`,
    user: { sub: "ada", email: "ada@example.com", groups: ["finance-approvers"] },
    tokenClaims: {},
    exchanges: [],
    mint: (claims = {}) => sign(fake.user, "", claims),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  function sign(user: FakeUser, nonce: string, extra: JWTPayload): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      ...user,
      ...(nonce ? { nonce } : {}),
      iss: issuer,
      aud: clientId,
      iat: now,
      exp: now + 600,
      ...fake.tokenClaims,
      ...extra,
    })
      .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
      .sign(key.privateKey);
  }

  const json = (res: import("node:http").ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, {
      "Content-Type": "application/json",
      "Access-Control-Allow-Origin": "*",
      "Cache-Control": "no-store",
    });
    res.end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: import("node:http").ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", issuer);
    if (url.pathname === "/.well-known/openid-configuration") {
      return json(res, 200, {
        issuer,
        authorization_endpoint: fake.authorizationEndpoint,
        token_endpoint: fake.tokenEndpoint,
        jwks_uri: fake.jwksUri,
        response_types_supported: ["code"],
        code_challenge_methods_supported: ["S256"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (url.pathname === "/jwks") return json(res, 200, { keys: [key.jwk] });
    if (url.pathname === "/authorize") {
      const q = url.searchParams;
      const redirectUri = q.get("redirect_uri") ?? "";
      if (q.get("client_id") !== clientId || q.get("response_type") !== "code" || !redirectUri) {
        res.writeHead(400).end("bad authorization request");
        return;
      }
      if (q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")) {
        res.writeHead(400).end("PKCE S256 required");
        return;
      }
      counter += 1;
      const code = `code-${counter}-${Math.random().toString(36).slice(2)}`;
      codes.set(code, {
        clientId,
        redirectUri,
        challenge: q.get("code_challenge") ?? "",
        nonce: q.get("nonce") ?? "",
        user: { ...fake.user },
      });
      const back = new URL(redirectUri);
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state") ?? "");
      res.writeHead(302, { Location: back.toString() }).end();
      return;
    }
    if (url.pathname === "/token") {
      if (req.method === "OPTIONS") {
        res.writeHead(204, {
          "Access-Control-Allow-Origin": "*",
          "Access-Control-Allow-Methods": "POST",
          "Access-Control-Allow-Headers": "Content-Type, Accept",
        });
        res.end();
        return;
      }
      const form = new URLSearchParams(await readBody(req));
      const grant = codes.get(form.get("code") ?? "");
      codes.delete(form.get("code") ?? "");
      const refuse = (why: string) => {
        fake.exchanges.push(why);
        json(res, 400, { error: "invalid_grant", error_description: why });
      };
      if (!grant) return refuse("unknown or used code");
      if (form.get("grant_type") !== "authorization_code") return refuse("bad grant_type");
      if (form.get("client_id") !== grant.clientId) return refuse("bad client_id");
      if (form.get("redirect_uri") !== grant.redirectUri) return refuse("bad redirect_uri");
      const verifier = form.get("code_verifier") ?? "";
      if (createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) {
        return refuse("PKCE verification failed");
      }
      fake.exchanges.push("ok");
      return json(res, 200, {
        id_token: await sign(grant.user, grant.nonce, {}),
        token_type: "Bearer",
        expires_in: 600,
      });
    }
    res.writeHead(404).end();
  }

  return fake;
}

export const signInProvider = (oidc: FakeOidc, signIn: Json = { clientId: oidc.clientId }) => ({
  name: "corp",
  spec: {
    host: "console",
    identityProvider: { issuer: oidc.issuer, jwksUri: oidc.jwksUri, audiences: [oidc.clientId] },
    userIDClaim: "sub",
    signIn,
  },
});

/** A policy whose `payments` calls need a member of `finance-approvers`, and an agent bound to it. */
export async function financePolicy(platform: TestPlatform): Promise<void> {
  const policy = await platform.call("POST", "/policies", {
    name: "finance-policy",
    spec: {
      policies: [{ permission: "approval_required", resource: "*" }],
      approvals: [
        {
          name: "finance",
          toolIds: ["payments"],
          approvers: { groups: ["finance-approvers"], match: "any" },
        },
      ],
    },
  });
  assert.equal(policy.status, 201, policy.text);
  await platform.store.putResource("default", "agent", "fin-agent", {
    name: "fin-agent",
    spec: { policies: ["finance-policy"] },
    status: { phase: "Running", message: "" },
  });
}

/** A run of fin-agent paused on a call to `tool`: its approval request id. */
export async function pendingRequest(platform: TestPlatform, tool: string): Promise<string> {
  const run = await platform.call("POST", "/runs", { agent_id: "fin-agent", user_id: "bob@example.com" });
  assert.equal(run.status, 201, run.text);
  const action = await platform.call("POST", `/runs/${(run.json as Json).id}/actions`, {
    tool_id: tool,
    tool_method: "POST",
    tool_url: "https://pay.example.com/charges",
  });
  assert.equal(action.status, 201, action.text);
  return (action.json as Json).request_id;
}
