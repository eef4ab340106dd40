/**
 * @module deploy/agent-env
 * The environment an agent process starts with, built from scratch: nothing of the platform's
 * own environment (its secrets, provider keys, `RUNAGENTS_*`) is inherited except `PATH`.
 *
 * | variable | value |
 * |---|---|
 * | `PATH` | the platform's |
 * | `HOME` | the agent's scratch directory `<dataDir>/agents/<ws>/<agent>/scratch` |
 * | `NODE_ENV` | `production` |
 * | `RUNAGENTS_RUNTIME_SOCKET`, `RUNAGENTS_RUNTIME_SECRET` | where the runtime listens (a Unix socket only the platform reaches) and the secret every invoke must carry |
 * | `RUNAGENTS_PLATFORM_SOCKET`, `RUNAGENTS_PLATFORM_RELAY_PORT` | sandbox only: the platform's per-agent socket, relayed by the runtime to `127.0.0.1:<port>` (the `<base>` below) |
 * | `AGENT_NAME`, `SYSTEM_PROMPT` | from the agent |
 * | `LLM_GATEWAY_URL` | `<base>/gateway/<agent-token>/v1` |
 * | `LLM_MODEL`, `LLM_PROVIDER`, `LLM_PROVIDER_NAME` | the `default` (else first) model mapping, when there is one |
 * | `LLM_MODEL_<ROLE>`, `LLM_PROVIDER_<ROLE>` | every other role |
 * | `TOOL_URL_<NAME>` | `<base>/egress/<agent-token>/<tool>` per required tool |
 * | `TOOL_NAMES` | the required tools, comma-separated |
 * | `TOOL_DEFINITIONS_JSON`, `TOOL_ROUTES_JSON` | see {@link toolDefinitions} |
 * | `TOOL_URL_REWRITES_JSON` | `tool_url_mappings`, each URL mapped to its tool's egress URL |
 * | `GOVERNANCE_URL` | `<base>/internal/<agent-token>` |
 * | `USER_ENTRY_POINT`, `RUNAGENTS_USER_CODE_DIR` | the built `.js` entry and its version directory (no entry: the built-in loop) |
 * | the deploy's `env` entries | as given; they cannot replace the variables above except `NODE_ENV` and `RUNAGENTS_USER_CODE_DIR` |
 */
import type { AgentLlmConfig } from "../gateway/spend.js";
import { resolveModelProvider } from "../gateway/spend.js";
import { isObject, type Obj } from "../validate.js";
import { type ToolBinding, toolDefinitions } from "./tool-definitions.js";

export interface AgentEnvInput {
  agent: string;
  spec: Obj;
  llmConfigs: AgentLlmConfig[];
  tools: ToolBinding[];
  providers: { name: string; provider: string; models: string[] }[];
  /** How the agent reaches the platform (inside a sandbox: the runtime's relay). */
  baseUrl: string;
  token: string;
  /** The agent's writable scratch directory. */
  homeDir: string;
  codeDir: string;
  /** The JavaScript entry relative to `codeDir`, or "" for the built-in loop. */
  entry: string;
  /** The platform's PATH. */
  path: string | undefined;
  runtime: { socket: string; secret: string; platformSocket?: string; relayPort?: number };
}

/** Variables the platform sets that a deploy's `env` may still choose; the others are kept. */
const OVERRIDABLE = new Set(["NODE_ENV", "RUNAGENTS_USER_CODE_DIR"]);

export const envSuffix = (name: string): string => name.toUpperCase().replace(/[^A-Z0-9]/g, "_");

export function egressUrl(baseUrl: string, token: string, tool: string): string {
  return `${baseUrl}/egress/${token}/${encodeURIComponent(tool)}`;
}

export function agentEnvironment(input: AgentEnvInput): Record<string, string> {
  const { baseUrl, token, spec } = input;
  const env: Record<string, string> = {
    PATH: input.path ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: input.homeDir,
    NODE_ENV: "production",
    RUNAGENTS_RUNTIME_SOCKET: input.runtime.socket,
    RUNAGENTS_RUNTIME_SECRET: input.runtime.secret,
    AGENT_NAME: input.agent,
    LLM_GATEWAY_URL: `${baseUrl}/gateway/${token}/v1`,
    GOVERNANCE_URL: `${baseUrl}/internal/${token}`,
  };
  if (input.runtime.platformSocket) {
    env.RUNAGENTS_PLATFORM_SOCKET = input.runtime.platformSocket;
    env.RUNAGENTS_PLATFORM_RELAY_PORT = String(input.runtime.relayPort ?? 8092);
  }
  const prompt = typeof spec.systemPrompt === "string" ? spec.systemPrompt : "";
  if (prompt) env.SYSTEM_PROMPT = prompt;
  const primary = input.llmConfigs.find((c) => c.role === "default") ?? input.llmConfigs[0];
  for (const cfg of input.llmConfigs) {
    if (cfg === primary) {
      env.LLM_MODEL = cfg.model;
      env.LLM_PROVIDER = cfg.provider;
      const providerName = resolveModelProvider(input.providers, cfg);
      if (providerName) env.LLM_PROVIDER_NAME = providerName;
    } else {
      env[`LLM_MODEL_${envSuffix(cfg.role)}`] = cfg.model;
      env[`LLM_PROVIDER_${envSuffix(cfg.role)}`] = cfg.provider;
    }
  }
  const names = input.tools.map((t) => t.name);
  for (const tool of names) env[`TOOL_URL_${envSuffix(tool)}`] = egressUrl(baseUrl, token, tool);
  env.TOOL_NAMES = names.join(",");
  const { definitions, routes } = toolDefinitions(input.tools);
  env.TOOL_DEFINITIONS_JSON = JSON.stringify(definitions);
  env.TOOL_ROUTES_JSON = JSON.stringify(routes);
  const mappings = isObject(spec.toolUrlMappings) ? spec.toolUrlMappings : {};
  const rewrites: Record<string, string> = {};
  for (const [url, tool] of Object.entries(mappings)) {
    if (typeof tool === "string" && tool) rewrites[url] = egressUrl(baseUrl, token, tool);
  }
  if (Object.keys(rewrites).length > 0) env.TOOL_URL_REWRITES_JSON = JSON.stringify(rewrites);
  if (input.entry) {
    env.USER_ENTRY_POINT = input.entry;
    env.RUNAGENTS_USER_CODE_DIR = input.codeDir;
  }
  const userEnv = Array.isArray(spec.env) ? spec.env : [];
  for (const item of userEnv) {
    if (!isObject(item) || typeof item.name !== "string" || typeof item.value !== "string") continue;
    if (item.name in env && !OVERRIDABLE.has(item.name)) continue;
    env[item.name] = item.value;
  }
  return env;
}
