/**
 * @module local-config
 * Tells the people on this machine where the platform runs and how to get in: the local RunAgents
 * configuration (`~/.runagents/config.json`, or `$RUNAGENTS_CONFIG_DIR/config.json`; mode 0600)
 * that the CLI, the Client, the MCP server and the Python SDK read.
 *
 * - The first admin key, created at the platform's first start, is written there when that file
 *   points at this platform or at no platform (`writeAdminKey`).
 * - At every start, the platform's endpoint is recorded there when the file's API key is one of
 *   this platform's keys (or the file has none), so `npm start -- --port 18300` is followed by a
 *   CLI that talks to 18300. A file that points at a remote platform, or holds another platform's
 *   key, is never changed (`recordLocalPlatform`).
 *
 * Agents never see the file: a sandboxed agent has neither it nor a route to the management API.
 */
import { readFileSync } from "node:fs";
import { configPath, DEFAULT_CONFIG, loadConfig, type RunAgentsConfig, saveConfig } from "runagents";
import { hashToken } from "./api/auth.js";
import type { Store } from "./store/store.js";

export type KeyHandOff = { written: string } | { notWritten: string };

/** What {@link recordLocalPlatform} did with the configuration file. */
export type LocalConfigRecord =
  /** The file now names this platform (and holds the first admin key when `keySaved`). */
  | { written: string; keySaved: boolean }
  /** The file already named this platform: nothing to write. */
  | { unchanged: string }
  /** The file was left as it was, for `reason`. */
  | { notWritten: string };

const location = () => ({ env: { RUNAGENTS_CONFIG_DIR: process.env.RUNAGENTS_CONFIG_DIR } });

export function writeAdminKey(token: string, platformUrl: string): KeyHandOff {
  let file: RunAgentsConfig;
  try {
    file = loadConfig(location());
  } catch (err) {
    return { notWritten: (err as Error).message };
  }
  const chosen = endpointChosen(configPath(location()));
  // A key without an endpoint is the default platform's: not this one's to replace.
  if ((chosen || file.apiKey) && !sameLocalPlatform(file.endpoint, platformUrl)) {
    return { notWritten: `the configuration points at another platform (${file.endpoint})` };
  }
  return save({ ...file, endpoint: endpointFor(file, chosen, platformUrl), apiKey: token });
}

/**
 * Records the running platform in the local configuration: its first admin key when it just
 * created one (see {@link writeAdminKey}), else its endpoint when the file's key is one of its
 * own (`keyBelongsHere`) or the file has no key, and the file does not point at a remote platform.
 */
export async function recordLocalPlatform(
  platformUrl: string,
  options: { bootstrapKey?: string | undefined; keyBelongsHere: (token: string) => Promise<boolean> },
): Promise<LocalConfigRecord> {
  if (options.bootstrapKey) {
    const handOff = writeAdminKey(options.bootstrapKey, platformUrl);
    return "written" in handOff ? { written: handOff.written, keySaved: true } : handOff;
  }
  let file: RunAgentsConfig;
  try {
    file = loadConfig(location());
  } catch (err) {
    return { notWritten: (err as Error).message };
  }
  const path = configPath(location());
  if (sameLocalPlatform(file.endpoint, platformUrl)) return { unchanged: path };
  if (!isLocal(file.endpoint)) {
    return { notWritten: `the configuration points at another platform (${file.endpoint})` };
  }
  if (file.apiKey && !(await options.keyBelongsHere(file.apiKey))) {
    return { notWritten: `the configuration's API key is another platform's (${file.endpoint})` };
  }
  const saved = save({ ...file, endpoint: platformUrl });
  return "written" in saved ? { written: saved.written, keySaved: false } : saved;
}

function save(config: RunAgentsConfig): KeyHandOff {
  try {
    return { written: saveConfig(config, location()) };
  } catch (err) {
    return { notWritten: (err as Error).message };
  }
}

/** No endpoint chosen yet: this platform becomes it (unless it is the default one anyway). */
function endpointFor(file: RunAgentsConfig, chosen: boolean, platformUrl: string): string {
  return chosen || sameLocalPlatform(DEFAULT_CONFIG.endpoint, platformUrl) ? file.endpoint : platformUrl;
}

function endpointChosen(path: string): boolean {
  try {
    const doc = JSON.parse(readFileSync(path, "utf8")) as { endpoint?: unknown };
    return typeof doc.endpoint === "string" && doc.endpoint.trim() !== "";
  } catch {
    return false;
  }
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "0.0.0.0"]);

function isLocal(endpoint: string): boolean {
  try {
    return LOCAL_HOSTS.has(new URL(endpoint).hostname);
  } catch {
    return false;
  }
}

export function sameLocalPlatform(endpoint: string, platformUrl: string): boolean {
  try {
    const a = new URL(endpoint);
    const b = new URL(platformUrl);
    const port = (u: URL) => u.port || (u.protocol === "https:" ? "443" : "80");
    return isLocal(endpoint) && isLocal(platformUrl) && port(a) === port(b);
  } catch {
    return false;
  }
}

/** {@link recordLocalPlatform} for a running platform, whose store knows its keys. */
export function recordRunningPlatform(platform: {
  url: string;
  bootstrapKey?: string | undefined;
  store: Pick<Store, "findApiKeyByHash">;
}): Promise<LocalConfigRecord> {
  return recordLocalPlatform(platform.url, {
    bootstrapKey: platform.bootstrapKey,
    keyBelongsHere: async (token) => (await platform.store.findApiKeyByHash(hashToken(token))) !== undefined,
  });
}

/**
 * What to tell the person who started the platform: `notes` (where the first admin key went, or
 * the key itself when it could not be saved) and the `export RUNAGENTS_ENDPOINT=...` line, a
 * shell command with a comment that says whether the CLI and the Client already know it.
 */
export function localConfigLines(
  record: LocalConfigRecord,
  platform: { url: string; bootstrapKey?: string | undefined },
): { notes: string[]; endpointLine: string } {
  const lines: string[] = [];
  let note: string;
  if ("written" in record) {
    if (record.keySaved) {
      lines.push(
        `Created the admin API key "local-admin" and saved it in ${record.written}: the CLI and the Client use it.`,
      );
    }
    note = `# saved in ${record.written} for the CLI and the Client`;
  } else if ("unchanged" in record) {
    note = "# the CLI and the Client already use it";
  } else {
    if (platform.bootstrapKey) {
      lines.push(
        `Created the admin API key "local-admin" (not saved: ${record.notWritten}). Store it now, it is shown once:`,
        platform.bootstrapKey,
      );
    }
    note = `# not saved (${record.notWritten}): run this where you use the CLI or the Client`;
  }
  return { notes: lines, endpointLine: `export RUNAGENTS_ENDPOINT=${platform.url}   ${note}` };
}
