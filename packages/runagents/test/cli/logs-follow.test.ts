/**
 * `runagents agents logs <name> --follow` against a real platform running real agents: lines
 * written after it started, through a crash restart; Ctrl-C/SIGTERM ends it quietly; the agent's
 * deletion and the platform shutting down end it with one line and exit 1.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { LiveCli, removeDir, runCli, startPlatform, type TestPlatform, tempDir } from "./helpers.js";

const runtimeBuilt = existsSync(fileURLToPath(new URL("../../src/runtime/main.js", import.meta.url)));

const AGENT = `export async function handler(request) {
  console.log("said: " + request.message);
  if (request.message === "crash") setTimeout(() => process.exit(3), 100);
  return { response: "logged" };
}
`;

type Json = Record<string, unknown>;

describe("agents logs --follow", { skip: runtimeBuilt ? false : "the agent runtime is not built" }, () => {
  let dir: string;
  let platform: TestPlatform;
  const env = () => ({ HOME: dir, RUNAGENTS_ENDPOINT: platform.url, RUNAGENTS_API_KEY: platform.adminKey });
  const follow = (agent: string, ...more: string[]) =>
    new LiveCli(["agents", "logs", agent, "--follow", "--tail", "1", ...more], { env: env(), cwd: dir });

  async function running(agent: string, notPid?: unknown): Promise<void> {
    for (;;) {
      const status =
        ((await platform.call("GET", `/agents/${agent}`)).json as { status?: Json }).status ?? {};
      if (status.phase === "Running" && status.pid !== notPid) return;
      assert.notEqual(status.phase, "Failed", JSON.stringify(status));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function say(agent: string, message: string): Promise<void> {
    const res = await platform.call("POST", `/agents/${agent}/invoke`, { message });
    assert.equal(res.status, 200, res.text);
  }

  before(async () => {
    dir = tempDir();
    platform = await startPlatform();
    for (const name of ["logger", "keeper"]) {
      const res = await platform.call("POST", "/deploy", {
        agent_name: name,
        source_files: { "agent.mjs": AGENT },
        entry_point: "agent.mjs",
      });
      assert.equal(res.status, 201, res.text);
    }
    await running("logger");
    await running("keeper");
  });
  after(async () => {
    await platform.destroy();
    removeDir(dir);
  });

  test("prints lines written after it started, through a crash restart", async () => {
    const live = follow("logger");
    try {
      await live.waitFor(/./);
      await say("logger", "hello");
      await live.waitFor(/said: hello/);

      const pid = ((await platform.call("GET", "/agents/logger")).json as { status: Json }).status.pid;
      await say("logger", "crash");
      await live.waitFor(/^\[runagents\] .* restarting in [\d.]+ s$/);
      await live.waitFor(/^\[runagents\] .*started version 1: pid \d+/, "stdout", live.stdout.length - 1);
      await running("logger", pid);
      await say("logger", "after the restart");
      await live.waitFor(/said: after the restart/);
      assert.equal(live.child.exitCode, null, "still following");
    } finally {
      assert.equal(await live.stop("SIGTERM"), 0);
    }
    assert.deepEqual(live.stderr, []);
  });

  test("Ctrl-C ends it quietly with exit 0", async () => {
    const live = follow("logger");
    await live.waitFor(/./);
    assert.equal(await live.stop("SIGINT"), 0);
    assert.deepEqual(live.stderr, []);
  });

  test("an unknown agent is one line, exit 1; a bad follow value is a 400", async () => {
    assert.deepEqual(await runCli(["agents", "logs", "nobody", "-f"], { env: env(), cwd: dir }), {
      code: 1,
      stdout: "",
      stderr: "Error: API error (HTTP 404): agent nobody not found\n",
    });
    const res = await platform.call("GET", "/agents/logger/logs?follow=yes");
    assert.deepEqual(
      [res.status, res.json],
      [400, { error: "query parameter follow must be true or false" }],
    );
  });

  test("the agent's deletion ends it with one line, exit 1 (-o json: one event a line)", async () => {
    const live = follow("logger", "-o", "json");
    await live.waitFor(/^\{"type":"line","line":/);
    const deleted = await platform.call("DELETE", "/agents/logger");
    assert.equal(deleted.status, 200, deleted.text);
    assert.equal(await live.exited(), 1);
    assert.deepEqual(live.stderr, ["Error: stopped following logger's logs: agent logger was deleted"]);
    assert.deepEqual(JSON.parse(live.stdout.at(-1) ?? ""), {
      type: "end",
      reason: "agent logger was deleted",
    });
  });

  test("the platform going away ends it with one line, exit 1", async () => {
    const live = follow("keeper");
    await live.waitFor(/./);
    await platform.destroy();
    assert.equal(await live.exited(), 1);
    assert.deepEqual(live.stderr, ["Error: stopped following keeper's logs: the platform is shutting down"]);
  });
});
