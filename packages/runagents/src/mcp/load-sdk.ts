/**
 * @module
 * Loads `@modelcontextprotocol/sdk`, an optional peer dependency of `runagents`, with a dynamic
 * `import()`, so that `runagents` itself has no dependencies and a missing SDK is one clear error.
 */

/** The install hint users see when the SDK is missing. */
export const INSTALL_HINT = "npm install @modelcontextprotocol/sdk";

/** `@modelcontextprotocol/sdk` cannot be imported. */
export class McpSdkMissingError extends Error {
  constructor(options: { cause?: unknown } = {}) {
    super(
      `the RunAgents MCP server needs @modelcontextprotocol/sdk, an optional peer dependency of runagents: ${INSTALL_HINT}`,
      options,
    );
    this.name = "McpSdkMissingError";
  }
}

function isMissingSdk(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    String(message).includes("@modelcontextprotocol/sdk")
  );
}

/** Import an SDK module; a missing SDK becomes {@link McpSdkMissingError}. */
export async function importSdk<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (isMissingSdk(error)) throw new McpSdkMissingError({ cause: error });
    throw error;
  }
}

/** The low-level server and the protocol schemas the RunAgents MCP server is built from. */
export function loadServerSdk() {
  return importSdk(async () => {
    const [server, types] = await Promise.all([
      import("@modelcontextprotocol/sdk/server/index.js"),
      import("@modelcontextprotocol/sdk/types.js"),
    ]);
    return {
      Server: server.Server,
      ListToolsRequestSchema: types.ListToolsRequestSchema,
      CallToolRequestSchema: types.CallToolRequestSchema,
      ErrorCode: types.ErrorCode,
    };
  });
}
