/**
 * @module
 * `~/.runagents/config.json` plus `RUNAGENTS_*` environment overrides, shared by the Client, the CLI
 * and the MCP server. Precedence (lowest → highest): defaults < file < environment < explicit options.
 */

import { randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { ConfigError } from "./errors.js";

export type AssistantMode = "external" | "runagents" | "off";

export const ASSISTANT_MODES: readonly AssistantMode[] = ["external", "runagents", "off"];

export interface RunAgentsConfig {
  /** @default "http://localhost:8092" (trailing `/` stripped) */
  endpoint: string;
  /** @default "" (no auth header) */
  apiKey: string;
  /** @default "default" (the caller's default workspace) */
  namespace: string;
  /** @default "external" */
  assistantMode: AssistantMode;
}

export const DEFAULT_CONFIG: Readonly<RunAgentsConfig> = Object.freeze({
  endpoint: "http://localhost:8092",
  apiKey: "",
  namespace: "default",
  assistantMode: "external",
});

/**
 * Where the config file lives and which environment to read. Resolution of the file:
 * `path` if given; else `$RUNAGENTS_CONFIG_DIR/config.json` if that variable is non-empty;
 * else `<home>/.runagents/config.json` with `home` defaulting to `os.homedir()`.
 */
export interface ConfigLocation {
  home?: string;
  path?: string;
  env?: Readonly<Record<string, string | undefined>>;
}

const FILE_KEYS = {
  endpoint: "endpoint",
  apiKey: "api_key",
  namespace: "namespace",
  assistantMode: "assistant_mode",
};

/** The config file path for `location` (see {@link ConfigLocation}). */
export function configPath(location: ConfigLocation = {}): string {
  if (location.path) return location.path;
  const env = location.env ?? process.env;
  const dir = env.RUNAGENTS_CONFIG_DIR?.trim();
  if (dir) return join(dir, "config.json");
  return join(location.home ?? homedir(), ".runagents", "config.json");
}

/** Trim, lower-case and validate an assistant mode; empty means `external`. */
export function parseAssistantMode(value: string, path: string, source?: string): AssistantMode {
  const mode = value.trim().toLowerCase();
  if (mode === "") return "external";
  if ((ASSISTANT_MODES as readonly string[]).includes(mode)) return mode as AssistantMode;
  const from = source === undefined ? `config file ${path}` : `from ${source}`;
  throw new ConfigError(
    `invalid assistant-mode "${value}"; valid values: ${ASSISTANT_MODES.join(", ")} (${from})`,
    path,
  );
}

function readFile(path: string): Partial<Record<keyof RunAgentsConfig, string>> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new ConfigError(`failed to read config file ${path}: ${(error as Error).message}`, path, {
      cause: error,
    });
  }
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`failed to parse config file ${path}: ${(error as Error).message}`, path, {
      cause: error,
    });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`failed to parse config file ${path}: expected a JSON object`, path);
  }
  const record = parsed as Record<string, unknown>;
  const out: Partial<Record<keyof RunAgentsConfig, string>> = {};
  for (const [field, key] of Object.entries(FILE_KEYS) as [keyof RunAgentsConfig, string][]) {
    const value = record[key];
    if (value === undefined || value === null || value === "") continue;
    if (typeof value !== "string") {
      throw new ConfigError(`invalid config file ${path}: "${key}" must be a string`, path);
    }
    out[field] = value;
  }
  return out;
}

/**
 * Why `endpoint` is no platform URL, or `undefined` when it is one: `host:port` without a scheme is
 * the usual slip (`127.0.0.1:8092`), and fetch would only say "Invalid URL".
 */
export function endpointProblem(endpoint: string): string | undefined {
  const value = endpoint.trim();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1];
  if (scheme === undefined) return `http:// is missing (use "http://${value}")`;
  if (!/^https?$/i.test(scheme)) return "use an http:// or https:// URL";
  if (!URL.canParse(value)) return "not a valid URL";
  return undefined;
}

function stripSlash(endpoint: string): string {
  return endpoint.trim().replace(/\/+$/, "");
}

/**
 * Load the configuration: defaults, then the file (keys with empty values are ignored), then the
 * non-empty `RUNAGENTS_ENDPOINT`, `RUNAGENTS_API_KEY`, `RUNAGENTS_NAMESPACE`, `RUNAGENTS_ASSISTANT_MODE`.
 * A malformed file or an invalid assistant mode throws {@link ConfigError} naming the file.
 */
export function loadConfig(location: ConfigLocation = {}): RunAgentsConfig {
  const env = location.env ?? process.env;
  const path = configPath({ ...location, env });
  const file = readFile(path);
  const fromEnv = (name: string): string | undefined => {
    const value = env[name];
    return value !== undefined && value.trim() !== "" ? value : undefined;
  };

  const envMode = fromEnv("RUNAGENTS_ASSISTANT_MODE");
  const assistantMode =
    envMode !== undefined
      ? parseAssistantMode(envMode, path, "RUNAGENTS_ASSISTANT_MODE")
      : parseAssistantMode(file.assistantMode ?? "", path);

  return {
    endpoint: stripSlash(fromEnv("RUNAGENTS_ENDPOINT") ?? file.endpoint ?? DEFAULT_CONFIG.endpoint),
    apiKey: (fromEnv("RUNAGENTS_API_KEY") ?? file.apiKey ?? DEFAULT_CONFIG.apiKey).trim(),
    namespace: (fromEnv("RUNAGENTS_NAMESPACE") ?? file.namespace ?? DEFAULT_CONFIG.namespace).trim(),
    assistantMode,
  };
}

/**
 * Write `config` to the config file: directory created with mode 0700, file mode 0600, written to a
 * temporary file in the same directory and renamed over the old one (atomic). Only non-empty keys are
 * written, as snake_case pretty JSON with a trailing newline. Returns the path written.
 */
export function saveConfig(config: Partial<RunAgentsConfig>, location: ConfigLocation = {}): string {
  const path = configPath(location);
  const document: Record<string, string> = {};
  const values: Partial<Record<keyof RunAgentsConfig, string | undefined>> = {
    endpoint: config.endpoint === undefined ? undefined : stripSlash(config.endpoint),
    apiKey: config.apiKey?.trim(),
    namespace: config.namespace?.trim(),
    assistantMode:
      config.assistantMode === undefined ? undefined : parseAssistantMode(config.assistantMode, path),
  };
  for (const [field, key] of Object.entries(FILE_KEYS) as [keyof RunAgentsConfig, string][]) {
    const value = values[field];
    if (value) document[key] = value;
  }

  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.config.json.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(document, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new ConfigError(`failed to write config file ${path}: ${(error as Error).message}`, path, {
      cause: error,
    });
  }
  return path;
}
