/**
 * The API key the console signs in with: kept in sessionStorage (gone when the tab closes), and
 * taken once from a `#key=...` fragment (the sign-in link the platform prints; a fragment never
 * reaches the server), which is then removed from the address bar and the history.
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

export const signOut = (): void => setApiKey("");

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
