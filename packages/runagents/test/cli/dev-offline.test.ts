/**
 * `runagents dev` with no platform answering and no provider key: the agent's model calls are
 * answered in-process by the offline playground model, and one line says so and how to use a
 * real model.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { LiveCli, removeDir, tempDir } from "./helpers.js";

const runtimeBuilt = existsSync(fileURLToPath(new URL("../../src/runtime/main.js", import.meta.url)));
const packageRoot = fileURLToPath(new URL("../../../", import.meta.url));

const AGENT = `import { Agent } from "runagents/agent";

const agent = new Agent();

export async function handler(request) {
  const whole = await agent.chat(request.message);
  const tools = [{ type: "function", function: { name: "echo_tool__echo", parameters: { type: "object", properties: { message: { type: "string" } } } } }];
  const call = await agent.chat("echo " + request.message, { tools });
  return {
    response: whole.choices[0].message.content,
    tool_call: call.choices[0].message.tool_calls[0].function,
    usage: whole.usage,
  };
}
`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("runagents dev without a platform or a provider key", {
  skip: runtimeBuilt ? false : "the agent runtime is not built",
}, () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => removeDir(dir));

  test("answers with the offline playground model in-process and says so in one line", async () => {
    const project = join(dir, "offline");
    mkdirSync(join(project, "node_modules"), { recursive: true });
    symlinkSync(packageRoot, join(project, "node_modules", "runagents"), "dir");
    writeFileSync(join(project, "runagents.yaml"), "name: offline\ntools: []\nentry_point: agent.mjs\n");
    writeFileSync(join(project, "agent.mjs"), AGENT);
    const [port, mockPort, deadPort] = [await freePort(), await freePort(), await freePort()];
    mkdirSync(join(dir, ".runagents"), { recursive: true });
    const nowhere = `http://127.0.0.1:${deadPort}`;
    writeFileSync(join(dir, ".runagents", "config.json"), JSON.stringify({ endpoint: nowhere }));

    const dev = new LiveCli(["dev", "--port", String(port), "--mock-port", String(mockPort)], {
      env: { HOME: dir },
      cwd: project,
    });
    try {
      await dev.waitFor(/^Ready: /);
      assert.ok(
        dev.stdout.includes("  Model:       gpt-4o-mini via the offline playground model (in-process)"),
      );
      // The runtime's own JSON log lines go to stderr too; the CLI's are the others.
      assert.deepEqual(
        dev.stderr.filter((line) => !line.startsWith("{")),
        [
          `Notice: dev is using the offline playground model (canned answers): no platform answers at ${nowhere} ` +
            'and OPENAI_API_KEY is not set. For a real model, set OPENAI_API_KEY or start a platform ("runagents up").',
        ],
      );
      const res = await fetch(`http://127.0.0.1:${port}/invoke`, {
        method: "POST",
        body: JSON.stringify({ message: "hello offline" }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.response, "[playground] You said: hello offline");
      assert.deepEqual(body.tool_call, {
        name: "echo_tool__echo",
        arguments: JSON.stringify({ message: "hello offline" }),
      });
      assert.equal((body.usage as { completion_tokens: number }).completion_tokens, 9);
    } finally {
      assert.equal(await dev.stop("SIGTERM"), 0);
    }
  });
});
