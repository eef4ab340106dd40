#!/usr/bin/env node
/**
 * @module
 * The `runagents-mcp` command: the RunAgents MCP server over stdio, for AI coding assistants
 * (`{"mcpServers": {"runagents": {"command": "runagents-mcp"}}}`). The platform endpoint and API key
 * come from `~/.runagents/config.json` and `RUNAGENTS_*` like the Client's. stdout carries only
 * MCP messages; diagnostics go to stderr.
 */

import { Client } from "../client/client.js";
import { exitQuietlyOnBrokenPipe } from "../internal/broken-pipe.js";
import { createMcpServer, packageVersion } from "./server.js";
import { MCP_TOOLS } from "./tools.js";

const USAGE = `Usage: runagents-mcp

Serves the RunAgents platform to an MCP client (an AI coding assistant) over stdio.
Configuration: ~/.runagents/config.json (endpoint, api_key), overridden by RUNAGENTS_ENDPOINT,
RUNAGENTS_API_KEY and RUNAGENTS_NAMESPACE. Needs: npm install @modelcontextprotocol/sdk

Options:
  -h, --help     show this help
  -v, --version  print the version
`;

const log = (message: string): void => {
  process.stderr.write(`runagents-mcp: ${message}\n`);
};

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function main(argv: readonly string[]): Promise<void> {
  const [first] = argv;
  if (first === "-h" || first === "--help") {
    process.stdout.write(USAGE);
    return;
  }
  if (first === "-v" || first === "--version") {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  if (first !== undefined) {
    throw new Error(`unknown argument "${first}": runagents-mcp takes no arguments (see --help)`);
  }

  const server = await createMcpServer(() => new Client(), {
    log,
    onToolError: (tool, error) => log(`${tool} failed: ${errorMessage(error)}`),
  });
  const { StdioServerTransport } = await import("@modelcontextprotocol/sdk/server/stdio.js");
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void server.close().finally(() => process.exit(0));
  };
  process.stdin.once("end", stop);
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  server.onerror = (error) => log(`protocol error: ${error.message}`);
  await server.connect(new StdioServerTransport());
  log(`serving ${MCP_TOOLS.length} tools over stdio`);
}

exitQuietlyOnBrokenPipe();
main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`Error: ${errorMessage(error)}\n`);
  process.exit(error instanceof Error && error.message.startsWith("unknown argument") ? 2 : 1);
});
