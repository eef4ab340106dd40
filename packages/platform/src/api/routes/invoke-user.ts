/**
 * @module api/routes/invoke-user
 * Whose run an invoke starts, and how that was established (`RunRecord.userAuth`):
 *
 * - an end user's verified JWT: the provider's `userIDClaim` claim (`jwt:<provider>`); a `user_id`
 *   in the body that differs from it is refused (403);
 * - an API key created with `actForUsers` (a service acting for its users): the body's `user_id`,
 *   else the key's subject (`service:<key id>`);
 * - otherwise, while neither the workspace nor `default` has an identity provider: the body's
 *   `user_id`, else the key's subject `key:<id>`, else `anonymous` — unverified (`userAuth` "");
 * - otherwise: 403 when the body names a user (nobody vouches for it), 401 without a token.
 */
import { HttpError } from "../../errors.js";
import { optionalString } from "../../validate.js";
import { tokenRequired } from "../caller.js";
import type { RequestContext } from "../context.js";
import { principalSubject } from "../roles.js";

export interface RunUser {
  userId: string;
  userAuth: string;
}

export async function invokeUser(ctx: RequestContext): Promise<RunUser> {
  const given = optionalString(ctx.body, "user_id")?.trim() ?? "";
  const caller = ctx.principal;
  if (caller.kind === "user") {
    if (given && given !== caller.subject) {
      throw new HttpError(
        403,
        "user_id cannot be set by an end user: the run's user is the verified claim of the bearer token",
      );
    }
    return { userId: caller.subject, userAuth: `jwt:${caller.provider}` };
  }
  if (caller.kind === "api_key" && caller.actForUsers) {
    return { userId: given || principalSubject(caller), userAuth: `service:${caller.id}` };
  }
  const providers = await ctx.services.endUsers.providers(ctx.workspace);
  if (providers.length === 0) {
    // A key's own runs are `key:<id>`'s, so it can never approve a request of its own run.
    return {
      userId: given || (caller.kind === "api_key" ? principalSubject(caller) : "anonymous"),
      userAuth: "",
    };
  }
  if (given) {
    const who = caller.kind === "api_key" ? `API key "${caller.name}"` : "this caller";
    throw new HttpError(
      403,
      `${who} may not set user_id: only an API key created with actForUsers may act for users; otherwise send the end user's token as Authorization: Bearer <JWT>`,
    );
  }
  throw tokenRequired(providers.map((p) => p.name));
}
