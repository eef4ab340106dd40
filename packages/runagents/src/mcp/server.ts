/**
 * @module
 * `createMcpServer`: the RunAgents MCP server (name `RunAgents`) with every tool of `tools.ts`, on the
 * SDK's low-level `Server`. Tool input schemas are plain JSON Schema, so `runagents` needs neither zod
 * nor any other dependency; the SDK itself is loaded on demand (see `load-sdk.ts`). Connect the result
 * to any transport: stdio (`main.ts`) or Streamable HTTP (the platform's `/api/v1/mcp`).
 */

import { createRequire } from "node:module";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Client } from "../client/client.js";
import { loadServerSdk } from "./load-sdk.js";
import { callTool, findTool, MCP_TOOLS, toListing } from "./tools.js";

export const SERVER_NAME = "RunAgents";

export const SERVER_INSTRUCTIONS = [
  "RunAgents platform server: deploy AI agents, register the tools (external APIs) and models they use,",
  "watch their runs, configure governance (policies, identity providers, approval connectors) and decide",
  "approval requests. Read-only tools (list_*, get_*, export_*, analyze_code, translate_policy,",
  "validate_plan, evaluate_policy, wait_for_run) are always safe to call; the other tools change platform",
  "state, so confirm with the user before using them. Start with export_context for an overview of a",
  "workspace; paused runs (status PAUSED_APPROVAL) wait for approve_request or reject_request",
  "(list_approval_requests with status PENDING finds their request ids); runs paused for OAuth consent",
  "(status PAUSED_CONSENT) wait for their end user to open the authorization URL list_consents shows.",
].join(" ");

export interface McpServerOptions {
  /** Diagnostics (never written to stdout). */
  log?: (message: string) => void;
  /** Called for every failed tool call, with the tool name and the error (or validation message). */
  onToolError?: (tool: string, error: unknown) => void;
}

/** The `runagents` package version, for the server's `serverInfo`. */
export function packageVersion(): string {
  try {
    const pkg = createRequire(import.meta.url)("runagents/package.json") as { version?: unknown };
    return typeof pkg.version === "string" ? pkg.version : "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/** A getter that creates the client on first use; a failed creation is retried on the next call. */
function lazy(source: Client | (() => Client), log?: (message: string) => void): () => Client {
  if (typeof source !== "function") return () => source;
  let client: Client | undefined;
  return () => {
    if (client === undefined) {
      client = source();
      log?.(`platform API at ${client.baseUrl}`);
    }
    return client;
  };
}

/**
 * Build the RunAgents MCP server. `client` is a Client, or a factory called on the first tool call (so
 * a bad config file is reported as a tool error, not a startup crash). Throws `McpSdkMissingError`
 * when `@modelcontextprotocol/sdk` is not installed.
 */
export async function createMcpServer(
  client: Client | (() => Client),
  options: McpServerOptions = {},
): Promise<Server> {
  const sdk = await loadServerSdk();
  const server = new sdk.Server(
    { name: SERVER_NAME, version: packageVersion() },
    { capabilities: { tools: {} }, instructions: SERVER_INSTRUCTIONS },
  );
  const getClient = lazy(client, options.log);
  const tools = MCP_TOOLS.map(toListing);
  server.setRequestHandler(sdk.ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(sdk.CallToolRequestSchema, (request, extra) => {
    const tool = findTool(request.params.name);
    if (tool === undefined) {
      // A plain Error with a JSON-RPC code: McpError would prefix its message a second time.
      const message = `unknown tool "${request.params.name}"; tools/list names the ${MCP_TOOLS.length} tools`;
      throw Object.assign(new Error(message), { code: sdk.ErrorCode.InvalidParams });
    }
    return callTool(tool, getClient, request.params.arguments, { signal: extra.signal }, options.onToolError);
  });
  return server;
}
