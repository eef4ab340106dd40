/**
 * Sign-in with an identity provider: OpenID Connect authorization code flow with PKCE (S256), as a
 * public browser client (no client secret). `startSignIn` remembers a fresh `state`, `nonce` and
 * code verifier in sessionStorage and goes to the provider; `finishSignIn` runs when the provider
 * sends the browser back (`/?code=...&state=...`): the pending sign-in is used once, the state
 * must match, the code is exchanged at the token endpoint with the verifier, and the ID token's
 * `nonce`, `iss`, `aud` and `exp` are checked before the console keeps it. The platform verifies
 * the token's signature, issuer and audience on every call.
 */
import { API } from "./api.js";
import { setIdToken, tokenClaims, workspace } from "./session.js";

export interface SignInOption {
  name: string;
  workspace: string;
  issuer: string;
  client_id: string;
  authorization_endpoint: string;
  token_endpoint: string;
  scopes: string[];
}

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  redirectUri: string;
  option: SignInOption;
}

const PENDING_KEY = "runagents.oidc";

const base64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

const random = (): string => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** The sign-in options of the current workspace (public: no key needed). */
export async function signInOptions(): Promise<SignInOption[]> {
  const path =
    workspace.value === "default" ? API : `${API}/workspaces/${encodeURIComponent(workspace.value)}`;
  try {
    const res = await fetch(`${path}/sign-in`, { headers: { Accept: "application/json" } });
    return res.ok ? ((await res.json()) as SignInOption[]) : [];
  } catch {
    return [];
  }
}

export async function startSignIn(option: SignInOption): Promise<void> {
  const verifier = random();
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const pending: Pending = {
    state: random(),
    nonce: random(),
    verifier,
    redirectUri: `${location.origin}${location.pathname}`,
    option,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(option.authorization_endpoint);
  const params = {
    response_type: "code",
    client_id: option.client_id,
    redirect_uri: pending.redirectUri,
    scope: option.scopes.join(" ") || "openid",
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: base64url(digest),
    code_challenge_method: "S256",
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.toString());
}

/**
 * When the address carries a provider's answer: finishes the sign-in. Returns "" when there was
 * nothing to finish or it succeeded, else the reason in words. The answer is removed from the
 * address bar and the history either way.
 */
export async function finishSignIn(): Promise<string> {
  const query = new URLSearchParams(location.search);
  if (!query.has("code") && !query.has("error")) return "";
  history.replaceState(null, "", location.pathname);
  let pending: Pending | undefined;
  try {
    pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? "null") ?? undefined;
  } catch {
    pending = undefined;
  }
  sessionStorage.removeItem(PENDING_KEY);
  if (query.has("error")) {
    const said = query.get("error_description") || query.get("error");
    return `The identity provider did not sign you in: ${said}.`;
  }
  if (!pending || query.get("state") !== pending.state) {
    return "This sign-in answer does not belong to a sign-in started in this tab (state mismatch): start the sign-in again.";
  }
  const { option } = pending;
  let body: Record<string, unknown>;
  try {
    const res = await fetch(option.token_endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: query.get("code") ?? "",
        redirect_uri: pending.redirectUri,
        client_id: option.client_id,
        code_verifier: pending.verifier,
      }),
    });
    body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      const said = body.error_description ?? body.error ?? `it answered ${res.status}`;
      return `${option.name} refused the sign-in code: ${String(said)}. Start the sign-in again.`;
    }
  } catch {
    return `${option.name}'s token endpoint cannot be reached from this browser: check the provider, then try again.`;
  }
  const token = typeof body.id_token === "string" ? body.id_token : "";
  if (!token) return `${option.name} answered without an ID token: its client must allow the openid scope.`;
  const claims = tokenClaims(token);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.nonce !== pending.nonce) {
    return "The ID token was not issued for this sign-in (nonce mismatch): start the sign-in again.";
  }
  if (claims.iss !== option.issuer) {
    return `The ID token comes from ${String(claims.iss)}, not ${option.issuer}: it was refused.`;
  }
  if (!audiences.includes(option.client_id)) {
    return `The ID token is not meant for this console (audience is not ${option.client_id}): it was refused.`;
  }
  if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) {
    return "The ID token has already expired: check this computer's clock, then sign in again.";
  }
  setIdToken(token);
  return "";
}
