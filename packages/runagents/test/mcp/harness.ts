/**
 * Test harness: spawn the compiled `runagents-mcp` on stdio with the MCP SDK's own Client, and call
 * tools checking the result envelope (one 2-space JSON text block mirrored by structuredContent).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Client as McpClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

type Json = Record<string, any>;

/** The compiled entry point, beside this compiled test (dist/test/mcp → dist/src/mcp). */
export const MAIN = fileURLToPath(new URL("../../src/mcp/main.js", import.meta.url));

/** A started `runagents-mcp` child with its collected stderr. */
export interface McpProcess {
  mcp: McpClient;
  stderr: () => string;
  /** Resolves with all of stderr once it contains `text` (stderr and stdout are separate pipes). */
  stderrIncludes: (text: string) => Promise<string>;
  errors: Error[];
  close: () => Promise<void>;
}

export async function spawnMcp(env: Record<string, string>): Promise<McpProcess> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MAIN],
    env,
    stderr: "pipe",
  });
  let stderr = "";
  let waiters: { text: string; resolve: (all: string) => void }[] = [];
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
    for (const waiter of waiters) if (stderr.includes(waiter.text)) waiter.resolve(stderr);
    waiters = waiters.filter((w) => !stderr.includes(w.text));
  });
  const stderrIncludes = (text: string): Promise<string> =>
    stderr.includes(text)
      ? Promise.resolve(stderr)
      : new Promise((resolve) => waiters.push({ text, resolve }));
  const mcp = new McpClient({ name: "runagents-test", version: "1.0.0" });
  const errors: Error[] = [];
  mcp.onerror = (error) => errors.push(error);
  await mcp.connect(transport);
  return { mcp, stderr: () => stderr, stderrIncludes, errors, close: () => mcp.close() };
}

/** Call a tool and return its structured content, asserting the JSON text says the same. */
export async function call(
  mcp: McpClient,
  name: string,
  args: Json = {},
): Promise<{ isError: boolean; body: Json }> {
  const result = (await mcp.callTool({ name, arguments: args })) as Json;
  const text = result.content?.[0]?.text as string;
  assert.equal(result.content.length, 1);
  assert.equal(result.content[0].type, "text");
  const parsed = JSON.parse(text);
  assert.equal(text, JSON.stringify(parsed, null, 2), "the text is 2-space JSON");
  assert.deepEqual(result.structuredContent, Array.isArray(parsed) ? { items: parsed } : parsed);
  return { isError: result.isError === true, body: result.structuredContent as Json };
}
