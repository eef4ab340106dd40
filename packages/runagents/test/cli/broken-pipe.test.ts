/**
 * `runagents … | head -1`: when the reader closes the pipe, the CLI stops quietly (exit 0, nothing on
 * stderr) instead of dying on an unhandled `write EPIPE` with a stack trace.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CLI, cleanEnv, cliWithPlatform } from "./helpers.js";

const env = cliWithPlatform();

/**
 * Starts the CLI with stdout on a pipe; `closeWhen` says when the reading end closes (after the first
 * line, or at once). Resolves with the exit code, the first line read and stderr.
 */
async function withClosedPipe(
  args: readonly string[],
  closeWhen: "first-line" | "at-once",
  whileRunning: () => Promise<void> = async () => {},
  bin = CLI,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; firstLine: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: env.dir,
    env: cleanEnv({
      HOME: env.dir,
      RUNAGENTS_ENDPOINT: env.platform.url,
      RUNAGENTS_API_KEY: env.platform.adminKey,
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, "close") as Promise<[number | null, NodeJS.Signals | null]>;
  let firstLine = "";
  if (closeWhen === "at-once") child.stdout.destroy();
  else {
    let seen = "";
    const closed = new Promise<void>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        seen += chunk.toString();
        const end = seen.indexOf("\n");
        if (end < 0) return;
        firstLine = seen.slice(0, end);
        child.stdout.destroy();
        resolve();
      });
    });
    await closed;
  }
  await whileRunning();
  const [code, signal] = await exited;
  return { code, signal, firstLine, stderr };
}

describe("a reader that closes the pipe", () => {
  test("runs list | head -1: the table's first line, then a quiet exit 0", async () => {
    // More than two pipe buffers (2 × 64 KiB) of table, so the CLI is still writing when the
    // reader closes after its first line.
    const user = `user-${"x".repeat(4000)}`;
    for (let i = 0; i < 60; i++) {
      const res = await env.platform.call("POST", "/runs", { agent_id: "pipe-agent", user_id: user });
      assert.equal(res.status, 201, res.text);
    }
    const result = await withClosedPipe(["runs", "list", "--limit", "0"], "first-line");
    assert.match(result.firstLine, /^ID +\| AGENT +\| USER/);
    assert.deepEqual([result.code, result.signal, result.stderr], [0, null, ""]);
  });

  test("runs wait | head -2: the reader gone before the run ends, then a quiet exit 0", async () => {
    const run = (
      await env.platform.call("POST", "/runs", { agent_id: "pipe-agent", user_id: "alice@example.com" })
    ).json as { id: string };
    const result = await withClosedPipe(
      ["runs", "wait", run.id, "--interval", "20ms"],
      "at-once",
      async () => {
        const done = await env.platform.call("PATCH", `/runs/${run.id}`, { status: "COMPLETED" });
        assert.equal(done.status, 200, done.text);
      },
    );
    assert.deepEqual([result.code, result.signal, result.stderr], [0, null, ""]);
  });

  test("runagents-mcp --help into a closed pipe: a quiet exit 0", async () => {
    const mcp = fileURLToPath(new URL("../../src/mcp/main.js", import.meta.url));
    const result = await withClosedPipe(["--help"], "at-once", async () => {}, mcp);
    assert.deepEqual([result.code, result.signal, result.stderr], [0, null, ""]);
  });
});
