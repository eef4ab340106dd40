/**
 * @module
 * The MCP tool catalogue (api-contract §4.2 plus invoke_agent, get_agent_logs and evaluate_policy) and
 * the one function that runs a tool: validate the arguments, call the handler, wrap the outcome in the
 * result envelope. No transport here: the stdio server and the platform's HTTP endpoint share it.
 */

import type { Client } from "../client/client.js";
import { type ToolAnnotations, ToolArgs, type ToolContext, type ToolDefinition } from "./define.js";
import { type ToolResult, toolError, toolResult } from "./result.js";
import { type ToolInputSchema, validateArguments } from "./schema.js";
import { AGENT_TOOLS } from "./tools-agents.js";
import { CATALOG_TOOLS } from "./tools-catalog.js";
import { CONNECTOR_TOOLS } from "./tools-connectors.js";
import { GOVERNANCE_TOOLS } from "./tools-governance.js";
import { RUN_TOOLS } from "./tools-runs.js";
import { WORKSPACE_TOOLS } from "./tools-workspace.js";

/** Every tool, in a stable order. */
export const MCP_TOOLS: readonly ToolDefinition[] = Object.freeze([
  ...AGENT_TOOLS,
  ...WORKSPACE_TOOLS,
  ...RUN_TOOLS,
  ...CATALOG_TOOLS,
  ...GOVERNANCE_TOOLS,
  ...CONNECTOR_TOOLS,
]);

const BY_NAME = new Map(MCP_TOOLS.map((tool) => [tool.name, tool]));

/** The tool called `name`, or `undefined`. */
export function findTool(name: string): ToolDefinition | undefined {
  return BY_NAME.get(name);
}

/** A tool as `tools/list` describes it. */
export interface ToolListing {
  name: string;
  title: string;
  description: string;
  inputSchema: ToolInputSchema;
  annotations: ToolAnnotations & { title: string };
}

export function toListing(tool: ToolDefinition): ToolListing {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    annotations: { title: tool.title, ...tool.annotations },
  };
}

/**
 * Run `tool` with raw `args` and return the MCP result. Never throws: invalid arguments, a client that
 * cannot be created (bad config), platform errors, timeouts and connection failures all come back as
 * tool errors (`isError: true`). `onError` sees every failure (for logging).
 */
export async function callTool(
  tool: ToolDefinition,
  client: Client | (() => Client),
  args: unknown,
  context: ToolContext = {},
  onError?: (tool: string, error: unknown) => void,
): Promise<ToolResult> {
  let values: Record<string, unknown>;
  try {
    values = validateArguments(tool.inputSchema, args);
  } catch (error) {
    const message = `invalid arguments for ${tool.name}: ${(error as Error).message}`;
    onError?.(tool.name, message);
    return toolError(new Error(message));
  }
  try {
    const resolved = typeof client === "function" ? client() : client;
    return toolResult(await tool.handler(resolved, new ToolArgs(values), context));
  } catch (error) {
    onError?.(tool.name, error);
    return toolError(error);
  }
}
