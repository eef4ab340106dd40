/**
 * @module
 * The runtime's environment contract, parsed once at start-up. Invalid numbers fail fast with a
 * {@link RuntimeConfigError}; malformed JSON variables are warnings (and fall back to empty values),
 * as in the reference runtime.
 */

import { isRecord } from "../agent/json.js";
import {
  DEFAULT_LLM_GATEWAY_URL,
  DEFAULT_MODEL,
  DEFAULT_SYSTEM_PROMPT,
  gatewayBaseUrl,
  type OpenAITool,
} from "../agent/llm.js";
import { toolUrlsFromEnv } from "../agent/tool-urls.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** `TOOL_ROUTES_JSON` entry: how a function name maps to a tool call. */
export interface ToolRoute {
  tool?: string;
  method?: string;
  /** May contain `{param}` templates, filled from the call's arguments. */
  path?: string;
}

export type OutboundMode = "direct" | "alias" | "strict";

export interface RuntimeConfig {
  /** `PORT`, default 8080 (0 picks a free port). */
  port: number;
  /** `HOST`, default `0.0.0.0`. */
  host: string;
  /**
   * `RUNAGENTS_RUNTIME_SOCKET`: listen on this Unix socket instead of `HOST:PORT` (the platform's
   * private channel to a deployed agent).
   */
  socketPath: string | undefined;
  /**
   * `RUNAGENTS_RUNTIME_SECRET`: when set, every invoke/resume request must carry it in
   * `X-RunAgents-Runtime-Secret` (401 otherwise). Unset (`runagents dev`): no check.
   */
  secret: string | undefined;
  /**
   * `RUNAGENTS_PLATFORM_SOCKET` + `RUNAGENTS_PLATFORM_RELAY_PORT`: inside a sandbox without a
   * network, the platform is a Unix socket; the runtime relays `127.0.0.1:<port>` to it so tool
   * and gateway URLs stay plain `http://` URLs for user code.
   */
  platformRelay: { socketPath: string; port: number } | undefined;
  /** `AGENT_NAME`, default `agent`. */
  agentName: string;
  systemPrompt: string;
  model: string;
  /** `LLM_GATEWAY_URL` as given (may end in `/chat/completions`). */
  llmGatewayUrl: string;
  /** The full chat-completions URL. */
  llmUrl: string;
  /** The gateway base URL. */
  llmBaseUrl: string;
  /** `GOVERNANCE_URL`, without a trailing `/`. */
  governanceUrl: string;
  /** `MAX_TOOL_ITERATIONS`, default 10: LLM calls per built-in loop. */
  maxToolIterations: number;
  /** `{toolName: baseUrl}` from `TOOL_URL_*` (frozen). */
  toolUrls: Readonly<Record<string, string>>;
  toolDefinitions: OpenAITool[];
  toolRoutes: Record<string, ToolRoute>;
  /** `TOOL_URL_REWRITES_JSON`: placeholder base URL → real tool URL. */
  rewrites: Record<string, string>;
  outboundMode: OutboundMode;
  /** `USER_ENTRY_POINT`: the user's module, if any. */
  entryPoint: string | undefined;
  /** `RUNAGENTS_USER_CODE_DIR`: where relative entry points are looked up first. */
  userCodeDir: string | undefined;
  /** Problems that did not stop start-up (bad JSON variables), to be logged. */
  warnings: string[];
}

/** A variable the runtime cannot start with. The message is one line, fit for stderr. */
export class RuntimeConfigError extends Error {
  readonly code = "RUNTIME_CONFIG_ERROR";
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(message);
    this.name = "RuntimeConfigError";
    this.variable = variable;
  }
}

export function loadRuntimeConfig(env: Env): RuntimeConfig {
  const warnings: string[] = [];
  const llmGatewayUrl = env.LLM_GATEWAY_URL || DEFAULT_LLM_GATEWAY_URL;
  const llmBaseUrl = gatewayBaseUrl(llmGatewayUrl);
  return {
    port: integer(env, "PORT", 8080, 65_535),
    host: env.HOST || "0.0.0.0",
    socketPath: env.RUNAGENTS_RUNTIME_SOCKET?.trim() || undefined,
    secret: env.RUNAGENTS_RUNTIME_SECRET?.trim() || undefined,
    platformRelay: env.RUNAGENTS_PLATFORM_SOCKET?.trim()
      ? {
          socketPath: env.RUNAGENTS_PLATFORM_SOCKET.trim(),
          port: integer(env, "RUNAGENTS_PLATFORM_RELAY_PORT", 8092, 65_535),
        }
      : undefined,
    agentName: env.AGENT_NAME || "agent",
    systemPrompt: env.SYSTEM_PROMPT || DEFAULT_SYSTEM_PROMPT,
    model: env.LLM_MODEL || DEFAULT_MODEL,
    llmGatewayUrl,
    llmUrl: `${llmBaseUrl}/chat/completions`,
    llmBaseUrl,
    governanceUrl: (env.GOVERNANCE_URL || "http://governance.agent-system.svc:8092").replace(/\/+$/, ""),
    maxToolIterations: integer(env, "MAX_TOOL_ITERATIONS", 10, 10_000),
    toolUrls: Object.freeze(toolUrlsFromEnv(env)),
    toolDefinitions: jsonVariable(env, "TOOL_DEFINITIONS_JSON", warnings, isToolList, []),
    toolRoutes: jsonVariable(env, "TOOL_ROUTES_JSON", warnings, isRouteMap, {}),
    rewrites: jsonVariable(env, "TOOL_URL_REWRITES_JSON", warnings, isStringMap, {}),
    outboundMode: outboundMode(env.RUNAGENTS_OUTBOUND_MODE),
    entryPoint: env.USER_ENTRY_POINT?.trim() || undefined,
    userCodeDir: env.RUNAGENTS_USER_CODE_DIR?.trim() || undefined,
    warnings,
  };
}

function integer(env: Env, name: string, fallback: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    throw new RuntimeConfigError(name, `${name} must be an integer between 0 and ${max}, got '${raw}'`);
  }
  return Number(raw);
}

function jsonVariable<T>(
  env: Env,
  name: string,
  warnings: string[],
  valid: (value: unknown) => value is T,
  fallback: T,
): T {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    warnings.push(`failed to parse ${name}: ${(error as Error).message}`);
    return fallback;
  }
  if (!valid(value)) {
    warnings.push(`failed to parse ${name}: unexpected shape`);
    return fallback;
  }
  return value;
}

function isToolList(value: unknown): value is OpenAITool[] {
  return Array.isArray(value) && value.every((t) => isRecord(t) && isRecord(t.function));
}

function isRouteMap(value: unknown): value is Record<string, ToolRoute> {
  return isRecord(value) && Object.values(value).every(isRecord);
}

function isStringMap(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === "string");
}

function outboundMode(raw: string | undefined): OutboundMode {
  const mode = raw?.trim().toLowerCase();
  return mode === "strict" || mode === "alias" ? mode : "direct";
}

/**
 * Points OpenAI- and Anthropic-style SDKs in user code at the gateway: normalises `LLM_GATEWAY_URL`
 * to the base URL and sets `OPENAI_BASE_URL`, `OPENAI_API_BASE`, `OPENAI_API_KEY`,
 * `ANTHROPIC_BASE_URL`, `ANTHROPIC_API_KEY` when absent. Only when `LLM_GATEWAY_URL` is set.
 * Returns the names it set.
 */
export function injectPlatformEnv(env: Record<string, string | undefined>): string[] {
  const raw = env.LLM_GATEWAY_URL;
  if (!raw) return [];
  const base = gatewayBaseUrl(raw);
  env.LLM_GATEWAY_URL = base;
  const defaults: Record<string, string> = {
    OPENAI_BASE_URL: base,
    OPENAI_API_BASE: base,
    OPENAI_API_KEY: "platform-managed",
    ANTHROPIC_BASE_URL: base,
    ANTHROPIC_API_KEY: "platform-managed",
  };
  const set: string[] = [];
  for (const [key, value] of Object.entries(defaults)) {
    if (env[key]) continue;
    env[key] = value;
    set.push(key);
  }
  return set;
}
