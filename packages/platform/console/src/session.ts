/**
 * The console's session: an API key, or the ID token of a person signed in through an identity
 * provider (`oidc.ts`). Both are kept in sessionStorage (gone when the tab closes). A key may come
 * once from a `#key=...` fragment (the sign-in link the platform prints; a fragment never reaches
 * the server), which is then removed from the address bar and the history.
 */
import { signal } from "@preact/signals";

const STORAGE_KEY = "runagents.apiKey";

function readStored(): string {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? "";
  } catch {
    return "";
  }
}

export const apiKey = signal(readStored());

export function setApiKey(key: string): void {
  apiKey.value = key;
  try {
    if (key) sessionStorage.setItem(STORAGE_KEY, key);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled: the key lives as long as this page.
  }
}

/** A key handed over in the URL fragment (`#key=ra_ws_...`), removed from the URL right away. */
export function takeFragmentKey(): string {
  const match = /^#key=([^&]+)/.exec(location.hash);
  if (!match) return "";
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
  try {
    return decodeURIComponent(match[1] ?? "");
  } catch {
    return "";
  }
}

const TOKEN_KEY = "runagents.idToken";

function readToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? "";
  } catch {
    return "";
  }
}

/** The ID token of a person signed in through an identity provider (sent as `Authorization: Bearer`). */
export const idToken = signal(readToken());

export function setIdToken(token: string): void {
  idToken.value = token;
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: the token lives as long as this page.
  }
}

/** Who the ID token names (read for display only: the platform verifies the token on every call). */
export interface SignedInUser {
  subject: string;
  email: string;
  name: string;
}

export function tokenClaims(token: string): Record<string, unknown> {
  try {
    const part = token.split(".")[1] ?? "";
    const binary = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const json = new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    const claims = JSON.parse(json) as unknown;
    return claims && typeof claims === "object" ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function signedInUser(): SignedInUser | undefined {
  if (!idToken.value) return undefined;
  const c = tokenClaims(idToken.value);
  const text = (v: unknown) => (typeof v === "string" ? v : "");
  return { subject: text(c.sub), email: text(c.email), name: text(c.name) };
}

/** Why the last session ended, shown on the sign-in screen ("" after a plain sign-out). */
export const signedOutBecause = signal("");

export function signOut(reason = ""): void {
  signedOutBecause.value = reason;
  setApiKey("");
  setIdToken("");
}

const WORKSPACE_KEY = "runagents.workspace";
/** Workspace names as the platform takes them: lowercase letters, digits and '-'. */
export const WORKSPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function readWorkspace(): string {
  try {
    const stored = sessionStorage.getItem(WORKSPACE_KEY) ?? "";
    return WORKSPACE_NAME.test(stored) ? stored : "default";
  } catch {
    return "default";
  }
}

/** The workspace every screen works in (`default` unless switched in Settings). */
export const workspace = signal(readWorkspace());

/** Switches workspace; the words to show when the name is not one, else "". */
export function setWorkspace(name: string): string {
  const wanted = name.trim();
  if (!WORKSPACE_NAME.test(wanted)) {
    return `"${wanted}" is not a workspace name: use lowercase letters, digits and '-' (at most 63), starting and ending with a letter or digit.`;
  }
  workspace.value = wanted;
  try {
    sessionStorage.setItem(WORKSPACE_KEY, wanted);
  } catch {
    // Storage disabled: the choice lives as long as this page.
  }
  return "";
}
