/**
 * @module console-link
 * The console address `main.ts` prints at start. Where the admin key is already in the open on
 * this machine — the key this start created (saved in the local configuration, or printed when it
 * could not be), or the one the local configuration keeps for this platform — the link signs in
 * by itself: `http://127.0.0.1:8092/#key=...`.
 * A URL fragment never reaches a server; the console reads it, keeps it in sessionStorage and
 * removes it from the address bar and the history. Elsewhere the link is the bare address and the
 * console asks for a key.
 */
import { loadConfig } from "runagents";
import { sameLocalPlatform } from "./local-config.js";

export function consoleLink(platformUrl: string, createdKey?: string): string {
  const key = createdKey ?? savedKeyFor(platformUrl);
  return key ? `${platformUrl}/#key=${encodeURIComponent(key)}` : `${platformUrl}/`;
}

function savedKeyFor(platformUrl: string): string {
  try {
    const file = loadConfig({ env: { RUNAGENTS_CONFIG_DIR: process.env.RUNAGENTS_CONFIG_DIR } });
    return file.apiKey && sameLocalPlatform(file.endpoint, platformUrl) ? file.apiKey : "";
  } catch {
    return "";
  }
}
