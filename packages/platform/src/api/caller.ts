/**
 * @module api/caller
 * Who is calling: an API key (`X-RunAgents-API-Key`, or a bearer that starts with `ra_ws_`), the
 * keyless loopback mode, or — on routes marked `endUsers` — an end user whose
 * `Authorization: Bearer <JWT>` an identity provider of the workspace vouches for.
 *
 * While the workspace (and `default`) has no identity provider, any other bearer is handled as it
 * always was (`authenticate`). Once one exists, a non-API-key bearer is a JWT: verified on
 * end-user routes, refused on every other route — an end user never reaches management, not
 * even through the MCP endpoint's loopback calls in the keyless mode. An API key sent beside a
 * JWT must be valid too; the caller is then the end user.
 */
import type { IncomingMessage } from "node:http";
import { HttpError } from "../errors.js";
import { SigningKeysUnavailable, TokenRejected } from "../ingress/errors.js";
import { API_KEY_HEADER, API_KEY_PREFIX, authenticate } from "./auth.js";
import type { Principal, RouteDef, Services } from "./context.js";

/** The `Authorization: Bearer` value when it is not an API key, else "". */
export function bearerJwt(req: IncomingMessage): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization?.trim() ?? "");
  const token = match?.[1] ?? "";
  return token.startsWith(API_KEY_PREFIX) ? "" : token;
}

export async function authenticateCaller(
  services: Services,
  req: IncomingMessage,
  workspace: string,
  route: RouteDef,
): Promise<Principal> {
  const token = bearerJwt(req);
  if (!token) return authenticate(services.store, req, workspace);
  const providers = await services.endUsers.providers(workspace);
  if (providers.length === 0) return authenticate(services.store, req, workspace);
  if (!route.endUsers) {
    throw new HttpError(
      401,
      `this route needs a workspace API key in the ${API_KEY_HEADER} header; end-user tokens are accepted only to invoke agents, on the MCP endpoint, to list and decide approval requests, and to follow their own live feed`,
    );
  }
  if (req.headers["x-runagents-api-key"] !== undefined) await authenticate(services.store, req, workspace);
  try {
    const user = await services.endUsers.verify(token, providers);
    return { kind: "user", ...user };
  } catch (err) {
    if (err instanceof TokenRejected) throw tokenRejected(err.reason);
    if (err instanceof SigningKeysUnavailable) {
      throw new HttpError(503, `the identity provider's signing keys are unavailable: ${err.message}`);
    }
    throw err;
  }
}

export const tokenRejected = (reason: string): HttpError =>
  new HttpError(401, `invalid end-user token: ${reason}`, {
    headers: {
      "WWW-Authenticate": `Bearer error="invalid_token", error_description="${reason.replace(/"/g, "'")}"`,
    },
  });

/** No token where identity providers vouch for users (RFC 6750: a bare challenge, no error code). */
export const tokenRequired = (providers: readonly string[]): HttpError =>
  new HttpError(
    401,
    `end-user token required: send Authorization: Bearer <JWT> from identity provider ${providers
      .map((p) => `"${p}"`)
      .join(", ")}`,
    { headers: { "WWW-Authenticate": "Bearer" } },
  );
