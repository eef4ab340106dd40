/**
 * @module
 * Public API of `runagents/mcp`: the RunAgents MCP server and its transport-independent tool catalogue.
 * Needs the optional peer dependency `@modelcontextprotocol/sdk` (loaded on demand by
 * `createMcpServer`); the catalogue itself has no dependency.
 */

export type { ToolAnnotations, ToolArgs, ToolContext, ToolDefinition } from "./define.js";
export { INSTALL_HINT, McpSdkMissingError } from "./load-sdk.js";
export { errorBody, type ToolResult, toolError, toolResult } from "./result.js";
export type { JsonSchema, ToolInputSchema } from "./schema.js";
export {
  createMcpServer,
  type McpServerOptions,
  packageVersion,
  SERVER_INSTRUCTIONS,
  SERVER_NAME,
} from "./server.js";
export { callTool, findTool, MCP_TOOLS, type ToolListing, toListing } from "./tools.js";
export { buildCatalogDeployBody, type CatalogDeployOptions } from "./tools-catalog.js";
