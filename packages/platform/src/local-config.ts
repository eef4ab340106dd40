/**
 * @module local-config
 * Hands the platform's first admin key to the people on this machine: written into the local
 * RunAgents configuration (`~/.runagents/config.json`, or `$RUNAGENTS_CONFIG_DIR/config.json`;
 * mode 0600) that the CLI, the Client, the MCP server and the Python SDK read, when that file
 * points at this platform (or at no platform). Agents never see it: a sandboxed agent has neither
 * the file nor a route to the management API.
 */
import { readFileSync } from "node:fs";
import { configPath, DEFAULT_CONFIG, loadConfig, saveConfig } from "runagents";

export type KeyHandOff = { written: string } | { notWritten: string };

export function writeAdminKey(token: string, platformUrl: string): KeyHandOff {
  const location = { env: { RUNAGENTS_CONFIG_DIR: process.env.RUNAGENTS_CONFIG_DIR } };
  let file: ReturnType<typeof loadConfig>;
  try {
    file = loadConfig(location);
  } catch (err) {
    return { notWritten: (err as Error).message };
  }
  const chosen = endpointChosen(configPath(location));
  if (chosen && !sameLocalPlatform(file.endpoint, platformUrl)) {
    return { notWritten: `the configuration points at another platform (${file.endpoint})` };
  }
  // No endpoint chosen yet: this platform becomes it (unless it is the default one anyway).
  const endpoint =
    chosen || sameLocalPlatform(DEFAULT_CONFIG.endpoint, platformUrl) ? file.endpoint : platformUrl;
  try {
    return { written: saveConfig({ ...file, endpoint, apiKey: token }, location) };
  } catch (err) {
    return { notWritten: (err as Error).message };
  }
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

export function sameLocalPlatform(endpoint: string, platformUrl: string): boolean {
  try {
    const a = new URL(endpoint);
    const b = new URL(platformUrl);
    const port = (u: URL) => u.port || (u.protocol === "https:" ? "443" : "80");
    return LOCAL_HOSTS.has(a.hostname) && LOCAL_HOSTS.has(b.hostname) && port(a) === port(b);
  } catch {
    return false;
  }
}
