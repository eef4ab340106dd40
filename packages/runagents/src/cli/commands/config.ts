/**
 * @module
 * `runagents config set|get`. `set` changes only what the config file holds: values coming from
 * `RUNAGENTS_*` variables or flags are not written into it (the Go CLI's quirk, fixed).
 */

import { readFileSync } from "node:fs";
import {
  configPath,
  endpointProblem,
  loadConfig,
  parseAssistantMode,
  type RunAgentsConfig,
  saveConfig,
} from "../../config.js";
import { CliError, type Group } from "../args.js";
import type { Ctx } from "../context.js";
import { maskSecret } from "../output.js";

const KEYS: Record<string, keyof RunAgentsConfig> = {
  endpoint: "endpoint",
  "api-key": "apiKey",
  namespace: "namespace",
  "assistant-mode": "assistantMode",
};
const FILE_KEYS: Record<keyof RunAgentsConfig, string> = {
  endpoint: "endpoint",
  apiKey: "api_key",
  namespace: "namespace",
  assistantMode: "assistant_mode",
};

function unknownKey(key: string): CliError {
  return new CliError(`unknown config key "${key}"; valid keys: ${Object.keys(KEYS).join(", ")}`);
}

/** The values the file itself holds (validated by loading it once without the environment). */
function fileValues(ctx: Ctx): Partial<RunAgentsConfig> {
  const location = { env: { RUNAGENTS_CONFIG_DIR: ctx.env.RUNAGENTS_CONFIG_DIR } };
  loadConfig(location);
  let document: Record<string, unknown> = {};
  try {
    const text = readFileSync(configPath(location), "utf8");
    if (text.trim() !== "") document = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const out: Partial<Record<keyof RunAgentsConfig, string>> = {};
  for (const [field, key] of Object.entries(FILE_KEYS) as [keyof RunAgentsConfig, string][]) {
    const value = document[key];
    if (typeof value === "string" && value !== "") out[field] = value;
  }
  return out as Partial<RunAgentsConfig>;
}

function display(config: RunAgentsConfig, field: keyof RunAgentsConfig): string {
  if (field === "apiKey") return config.apiKey ? maskSecret(config.apiKey) : "(not set)";
  return config[field];
}

export const config: Group = {
  name: "config",
  summary: "Show and change the CLI configuration (~/.runagents/config.json)",
  commands: [
    {
      name: "set",
      summary: "Set a configuration value: endpoint, api-key, namespace or assistant-mode",
      args: "<key> <value>",
      min: 2,
      run(ctx, { positionals: [key = "", value = ""] }) {
        const field = KEYS[key];
        if (!field) throw unknownKey(key);
        const values = fileValues(ctx);
        if (field === "assistantMode")
          values.assistantMode = parseAssistantMode(value, "assistant-mode", "the command line");
        else if (field === "endpoint") {
          const problem = endpointProblem(value);
          if (problem) throw new CliError(`invalid endpoint "${value.trim()}": ${problem}`);
          values.endpoint = value;
        } else values[field] = value;
        saveConfig(values, { env: { RUNAGENTS_CONFIG_DIR: ctx.env.RUNAGENTS_CONFIG_DIR } });
        ctx.out.line(`Config "${key}" set successfully.`);
      },
    },
    {
      name: "get",
      summary: "Show the effective configuration (flags > environment > file > defaults), or one key",
      args: "[key]",
      min: 0,
      max: 1,
      run(ctx, { positionals: [key] }) {
        const effective = ctx.config();
        if (key !== undefined) {
          const field = KEYS[key];
          if (!field) throw unknownKey(key);
          ctx.out.line(display(effective, field));
          return;
        }
        ctx.out.labels([
          ["Endpoint", effective.endpoint],
          ["Namespace", effective.namespace],
          ["Assistant Mode", effective.assistantMode],
          ["API Key", display(effective, "apiKey")],
          ["Config File", configPath({ env: ctx.env })],
        ]);
      },
    },
    {
      name: "path",
      summary: "Print the config file path",
      run(ctx) {
        ctx.out.line(configPath({ env: ctx.env }));
      },
    },
  ],
};
