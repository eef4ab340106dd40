/**
 * @module egress/consent-callback
 * Completing OAuth2 consent (platform-and-cli A8): the provider's redirect to `/oauth/callback`
 * (verify the signed state, exchange the code at `tokenUrl`, store the user's tokens), and what
 * follows every stored token — manual ones too: the pending consents it satisfies are granted and
 * their paused runs resumed through the durable resume queue (`queueResume`, kind `consent`).
 *
 * Every failure is a 4xx/502 naming what went wrong; none quotes a token, a code or a secret.
 */
import { HttpError } from "../errors.js";
import { type ConsentDoc, grantConsents } from "../governance/consents.js";
import { queueResume } from "../governance/resume-worker.js";
import { toolInfo } from "../governance/tool-info.js";
import type { Logger } from "../log.js";
import type { Store } from "../store/store.js";
import { isDelegated } from "./consent.js";
import { unavailable } from "./credentials.js";
import { verifyState } from "./oauth-state.js";
import {
  clientOf,
  type OAuth2Auth,
  requestTokens,
  TokenEndpointError,
  type TokenSet,
  writeToken,
} from "./oauth-tokens.js";

export interface ConsentDeps {
  store: Store;
  log: Logger;
}

export interface CallbackOutcome {
  tool: string;
  /** True when this consent had already been recorded (the page was reloaded): nothing was done. */
  already: boolean;
  /** Paused runs queued for resume. */
  resumed: number;
}

/** Provider-supplied text for an error message: printable, short. */
const clean = (text: string): string => text.replace(/[^\x20-\x7e]/g, "").slice(0, 200);

export async function completeConsent(deps: ConsentDeps, query: URLSearchParams): Promise<CallbackOutcome> {
  const { store, log } = deps;
  const providerError = query.get("error");
  if (providerError !== null) {
    const description = clean(query.get("error_description") ?? "");
    throw new HttpError(
      400,
      `consent was not given: the provider answered ${clean(providerError) || "an error"}` +
        `${description ? ` (${description})` : ""}; the request stays pending, so the link can be opened again`,
      { code: "CONSENT_DENIED" },
    );
  }
  const code = query.get("code") ?? "";
  const stateText = query.get("state") ?? "";
  if (!code || !stateText) throw new HttpError(400, "the callback needs the code and state query parameters");
  const state = await verifyState(store, stateText);
  const ws = state.ws;
  const record = await store.getResource<ConsentDoc>(ws, "oauth_consent", state.rid);
  if (!record || record.doc.tool !== state.tool || record.doc.user_id !== state.user) {
    throw new HttpError(400, "this consent request is unknown: call the tool again for a new link");
  }
  if (record.doc.status === "granted") return { tool: state.tool, already: true, resumed: 0 };
  const toolRecord = await store.readResource(ws, "tool", state.tool);
  const tool = toolRecord ? toolInfo(toolRecord) : undefined;
  if (!tool || !isDelegated(tool)) {
    throw new HttpError(400, `tool ${state.tool} is no longer a delegated OAuth2 tool`);
  }
  const auth = tool.auth as OAuth2Auth;
  if (!auth.tokenUrl) {
    throw unavailable(tool.name, "spec.connection.authentication.oauth2Config.tokenUrl is not set");
  }
  let tokens: TokenSet;
  try {
    tokens = await requestTokens(auth, await clientOf(store, ws, auth), {
      grant_type: "authorization_code",
      code,
      redirect_uri: record.doc.redirect_uri,
    });
  } catch (error) {
    if (!(error instanceof TokenEndpointError)) throw error;
    if (error.rejected) {
      throw new HttpError(400, `the token endpoint refused the authorization code: ${error.message}`, {
        code: "CONSENT_EXCHANGE_FAILED",
      });
    }
    throw unavailable(tool.name, `exchanging the authorization code failed: ${error.message}`);
  }
  await writeToken(store, ws, tool.name, state.user, tokens);
  log.info("oauth consent granted", { workspace: ws, tool: tool.name, consent_id: state.rid });
  const resumed = await tokenStored(deps, ws, tool.name, state.user);
  return { tool: tool.name, already: false, resumed };
}

/**
 * A token for (tool, user) was stored (user "" = shared): grant the pending consents it satisfies
 * and queue the resume of each run still paused on one of them. Returns how many were queued.
 */
export async function tokenStored(
  deps: ConsentDeps,
  ws: string,
  tool: string,
  user: string,
): Promise<number> {
  const { store } = deps;
  let resumed = 0;
  for (const consent of await grantConsents(store, ws, tool, user)) {
    if (!consent.run_id) continue;
    const run = await store.getRun(ws, consent.run_id);
    if (run?.status !== "PAUSED_CONSENT" || run.blockedActionId !== consent.resume_id) continue;
    await queueResume(deps, ws, {
      run_id: run.id,
      action_id: consent.resume_id,
      request_id: "",
      agent: run.agentId,
      user_id: run.userId,
      kind: "consent",
    });
    resumed++;
  }
  return resumed;
}
