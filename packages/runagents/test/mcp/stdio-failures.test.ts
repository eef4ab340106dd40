/**
 * `runagents-mcp` when things are wrong around it: an unreachable platform, a broken config file,
 * a missing MCP SDK, bad command-line arguments. The server reports, it never crashes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { call, MAIN, type McpProcess, spawnMcp } from "./harness.js";

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("runagents-mcp with an unreachable platform and a broken config file", { timeout: 60_000 }, () => {
  let home: string;
  let port: number;
  let server: McpProcess;
  const configFile = () => join(home, ".runagents", "config.json");

  before(async () => {
    port = await closedPort();
    home = mkdtempSync(join(tmpdir(), "runagents-mcp-home-"));
    mkdirSync(join(home, ".runagents"));
    writeFileSync(configFile(), "{not json");
    server = await spawnMcp({ HOME: home, RUNAGENTS_ENDPOINT: `http://127.0.0.1:${port}` });
  });
  after(async () => {
    await server?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("reports the config error on each call, then the connection failure once the file is fixed", async () => {
    for (let i = 0; i < 2; i++) {
      const broken = await call(server.mcp, "list_agents");
      assert.equal(broken.isError, true);
      assert.ok(
        String(broken.body.error).startsWith(`failed to parse config file ${configFile()}: `),
        broken.body.error,
      );
      assert.deepEqual(Object.keys(broken.body), ["error"]);
    }
    writeFileSync(configFile(), JSON.stringify({ api_key: "ra_ws_not-checked" }));
    for (let i = 0; i < 2; i++) {
      const down = await call(server.mcp, "get_run", { run_id: "r-1" });
      assert.deepEqual(down, {
        isError: true,
        body: { error: `Connection failed: connect ECONNREFUSED 127.0.0.1:${port}` },
      });
    }
    const { tools } = await server.mcp.listTools();
    assert.equal(tools.length, 48);
    assert.deepEqual(server.errors, []);
  });
});

describe("runagents-mcp command line", () => {
  const run = (args: string[], main = MAIN) =>
    spawnSync(process.execPath, [main, ...args], { encoding: "utf8", input: "", timeout: 10_000 });

  it("prints its usage with --help", () => {
    const result = run(["--help"]);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^Usage: runagents-mcp\n/);
    assert.match(result.stdout, /npm install @modelcontextprotocol\/sdk/);
    assert.equal(result.stderr, "");
  });

  it("refuses arguments with one error line and exit code 2", () => {
    const result = run(["--port", "80"]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, "");
    assert.equal(
      result.stderr,
      'Error: unknown argument "--port": runagents-mcp takes no arguments (see --help)\n',
    );
  });

  it("exits 1 with the install command when @modelcontextprotocol/sdk is missing", () => {
    // A copy of the compiled package source where no node_modules is reachable.
    const root = mkdtempSync(join(tmpdir(), "runagents-mcp-no-sdk-"));
    try {
      const src = dirname(dirname(MAIN));
      cpSync(src, join(root, "src"), { recursive: true });
      writeFileSync(join(root, "package.json"), JSON.stringify({ type: "module" }));
      const result = run([], join(root, "src", "mcp", "main.js"));
      assert.equal(result.status, 1);
      assert.equal(result.stdout, "");
      assert.equal(
        result.stderr,
        "Error: the RunAgents MCP server needs @modelcontextprotocol/sdk, an optional peer dependency of runagents: npm install @modelcontextprotocol/sdk\n",
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
