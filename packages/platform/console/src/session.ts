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
