/**
 * Test helper: a local OAuth2 provider. `/authorize` only answers a page (tests follow the
 * authorization URL's parameters themselves); `/token` implements the authorization_code and
 * refresh_token grants for one confidential client (HTTP Basic), counting and recording calls.
 * Access tokens are `access-<n>`; the code exchange also issues `refresh-<n>`; a refresh token is
 * accepted when it starts with `refresh-` and has not been revoked, and is not rotated — unless
 * `rotate` is set: then each refresh issues a new refresh token and revokes the one it used.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export const CLIENT_ID = "client-1";
export const CLIENT_SECRET = "client-SECRET-9b1e";

export interface TokenCall {
  grant_type: string;
  code: string;
  redirect_uri: string;
  refresh_token: string;
  /** Whether the client authenticated correctly. */
  client_ok: boolean;
}

export interface FakeProvider {
  url: string;
  calls: TokenCall[];
  /** Every access and refresh token issued, to prove none leaks. */
  issued: string[];
  /** Refresh tokens answered with 400 invalid_grant. */
  revoked: Set<string>;
  /** `expires_in` of issued access tokens. */
  expiresIn: number;
  /** Rotate refresh tokens: a refresh answers a new one and revokes the one it used. */
  rotate: boolean;
  /** How long the token endpoint takes to answer (ms). */
  delayMs: number;
  close(): Promise<void>;
}

export async function startFakeProvider(): Promise<FakeProvider> {
  const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`;
  let counter = 0;
  const provider: Omit<FakeProvider, "url" | "close"> = {
    calls: [],
    issued: [],
    revoked: new Set(),
    expiresIn: 3600,
    rotate: false,
    delayMs: 0,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        const send = () => {
          res.writeHead(status, {
            "Content-Type": "application/json",
            "Content-Length": Buffer.byteLength(text),
          });
          res.end(text);
        };
        if (provider.delayMs > 0) setTimeout(send, provider.delayMs);
        else send();
      };
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/authorize") {
        res.writeHead(200, { "Content-Type": "text/html" });
        res.end("<p>Allow access?</p>");
        return;
      }
      if (path !== "/token" || req.method !== "POST") return answer(404, { error: "not_found" });
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const call: TokenCall = {
        grant_type: form.get("grant_type") ?? "",
        code: form.get("code") ?? "",
        redirect_uri: form.get("redirect_uri") ?? "",
        refresh_token: form.get("refresh_token") ?? "",
        client_ok: req.headers.authorization === basic,
      };
      provider.calls.push(call);
      if (!call.client_ok) return answer(401, { error: "invalid_client" });
      counter++;
      const access = `access-${counter}`;
      if (call.grant_type === "authorization_code") {
        if (!call.code.startsWith("code-")) return answer(400, { error: "invalid_grant" });
        const refresh = `refresh-${counter}`;
        provider.issued.push(access, refresh);
        return answer(200, {
          access_token: access,
          refresh_token: refresh,
          token_type: "Bearer",
          expires_in: provider.expiresIn,
        });
      }
      if (call.grant_type === "refresh_token") {
        if (!call.refresh_token.startsWith("refresh-") || provider.revoked.has(call.refresh_token)) {
          return answer(400, { error: "invalid_grant", error_description: "token revoked" });
        }
        provider.issued.push(access);
        if (provider.rotate) {
          const refresh = `refresh-${counter}`;
          provider.revoked.add(call.refresh_token);
          provider.issued.push(refresh);
          return answer(200, {
            access_token: access,
            refresh_token: refresh,
            token_type: "Bearer",
            expires_in: provider.expiresIn,
          });
        }
        return answer(200, { access_token: access, token_type: "Bearer", expires_in: provider.expiresIn });
      }
      return answer(400, { error: "unsupported_grant_type" });
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return Object.assign(provider, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}

/** A delegated-user tool's spec for `POST /tools` (credentials go beside it). */
export function delegatedToolSpec(baseUrl: string, provider: FakeProvider): Record<string, unknown> {
  return {
    connection: {
      baseUrl,
      authentication: {
        type: "OAuth2",
        oauth2Config: {
          authUrl: `${provider.url}/authorize`,
          tokenUrl: `${provider.url}/token`,
          scopes: ["mail.read", "mail.send"],
          authParams: { access_type: "offline" },
        },
      },
    },
  };
}

/** What the provider would redirect the browser to, for the consent behind `authorizationUrl`. */
export function callbackFor(authorizationUrl: string, code: string): string {
  const params = new URL(authorizationUrl).searchParams;
  const redirect = new URL(params.get("redirect_uri") ?? "");
  redirect.searchParams.set("code", code);
  redirect.searchParams.set("state", params.get("state") ?? "");
  return redirect.href;
}
