/**
 * The local supervisor with real processes: failures reported with their cause, crash restarts,
 * redeploys without dropped requests, deletes that leave nothing behind, and agents that come
 * back with the platform.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Client } from "runagents";
import { revokeAgentTokens } from "../../src/governance/agent-identity.js";
import type { TestPlatform } from "../helpers/platform.js";
import { phaseIs, startAgentPlatform, waitForAgent } from "./helpers.js";

type Json = Record<string, any>;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitUntil(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Polls the agent's logs until a line contains `text`. */
async function waitForLog(platform: TestPlatform, agent: string, text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const logs = (await platform.call("GET", `/agents/${agent}/logs?tail=200`)).json as Json;
    if ((logs.lines as string[]).some((l) => l.includes(text))) return;
    if (Date.now() > deadline) throw new Error(`no "${text}" in ${agent}'s logs`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const versioned = (version: string) => `
export async function handler(request: { message: string }): Promise<string> {
  const slow = /^slow:(\\d+)$/.exec(request.message);
  if (slow) console.log("slow request started");
  if (slow) await new Promise((resolve) => setTimeout(resolve, Number(slow[1])));
  if (request.message === "crash") process.exit(7);
  return "${version}: " + request.message + " / " + (process.env.SYSTEM_PROMPT ?? "");
}
`;

describe("supervising agent processes", () => {
  let platform: TestPlatform;
  let client: Client;
  before(async () => {
    platform = await startAgentPlatform();
    client = new Client({ endpoint: platform.url, apiKey: platform.adminKey, namespace: "default" });
  });
  after(() => platform.destroy());

  const deploy = (name: string, files: Record<string, string>, extra: Json = {}) =>
    platform.call("POST", "/deploy", { agent_name: name, source_files: files, ...extra });

  it("fails a deploy whose TypeScript does not parse, naming the file, line and error", async () => {
    const res = await deploy("syntax-bot", { "agent.ts": "export function handler() {\n  return (;\n}\n" });
    assert.equal(res.status, 201);
    const agent = await waitForAgent(platform, "syntax-bot", phaseIs("Failed"));
    assert.equal(
      agent.status.message,
      "version 1 failed to build: agent.ts(2,11): error TS1109: Expression expected.",
    );
  });

  it("fails an agent whose module throws at import, with the error and the last log lines", async () => {
    await deploy("throw-bot", {
      "agent.ts": 'throw new Error("boom at import");\nexport const handler = () => "x";\n',
    });
    const agent = await waitForAgent(platform, "throw-bot", phaseIs("Failed"));
    const [first] = agent.status.message.split("\n");
    assert.equal(first, "version 1 failed to start: failed to import agent.js: Error: boom at import");
    assert.match(agent.status.message, /\nlast log lines:\n/);
    assert.equal(agent.status.pid, undefined);
  });

  it("fails an agent whose process exits while starting, with its exit code", async () => {
    await deploy("exit-bot", { "agent.ts": "process.exit(3);\nexport const handler = () => 'x';\n" });
    const agent = await waitForAgent(platform, "exit-bot", phaseIs("Failed"));
    assert.match(agent.status.message, /^version 1 failed to start: the process exited with code 3/);
  });

  it("restarts a killed agent process with backoff and serves again", async () => {
    await deploy("kill-bot", { "agent.ts": versioned("v1") });
    const running = await waitForAgent(platform, "kill-bot", phaseIs("Running"));
    const pid = running.status.pid as number;
    assert.ok(alive(pid));
    process.kill(pid, "SIGKILL");
    const restarting = await waitForAgent(platform, "kill-bot", phaseIs("Restarting"));
    assert.equal(
      restarting.status.message.split("\n")[0],
      `the process was killed by SIGKILL (pid ${pid}); restarting in 0.5 s (restart 1)`,
    );
    const back = await waitForAgent(
      platform,
      "kill-bot",
      (a) => a.status.phase === "Running" && a.status.pid !== pid,
    );
    assert.equal(back.status.restarts, 1);
    assert.equal((await client.agents.invoke("kill-bot", { message: "again" })).response, "v1: again / ");
  });

  it("fails the run with 502 when the agent dies during an invoke, then restarts it", async () => {
    const before = (await waitForAgent(platform, "kill-bot", phaseIs("Running"))).status.pid;
    const res = await platform.call("POST", "/agents/kill-bot/invoke", { message: "crash" });
    assert.equal(res.status, 502);
    const body = res.json as Json;
    assert.match(body.error, /^failed to reach agent kill-bot: /);
    const events = (await platform.call("GET", `/runs/${body.run_id}/events`)).json as Json[];
    assert.deepEqual(
      events.map((e) => e.type),
      ["RUN_CREATED", "USER_MESSAGE", "INVOKE_REQUESTED", "INVOKE_FAILED", "FAILED"],
    );
    assert.equal((await client.runs.get(body.run_id)).status, "FAILED");
    await waitForAgent(platform, "kill-bot", (a) => a.status.phase === "Running" && a.status.pid !== before);
  });

  it("redeploys without dropping an in-flight request, then retires the old version", async () => {
    await deploy("swap-bot", { "agent.ts": versioned("v1") });
    const v1 = await waitForAgent(platform, "swap-bot", phaseIs("Running"));
    const slow = client.agents.invoke("swap-bot", { message: "slow:1500" });
    await waitForLog(platform, "swap-bot", "slow request started");
    const res = await deploy("swap-bot", { "agent.ts": versioned("v2") });
    assert.equal((res.json as Json).status, "updated");
    assert.equal((res.json as Json).version, 2);
    const v2 = await waitForAgent(
      platform,
      "swap-bot",
      (a) => a.status.phase === "Running" && a.status.version === 2,
    );
    assert.equal((await client.agents.invoke("swap-bot", { message: "new" })).response, "v2: new / ");
    assert.equal((await slow).response, "v1: slow:1500 / ");
    await waitUntil("v1 stopped", () => !alive(v1.status.pid));
    assert.ok(alive(v2.status.pid));
    const dir = join(platform.dataDir, "agents", "default", "swap-bot");
    await waitUntil("v1's files were removed", () => !existsSync(join(dir, "v1")));
    assert.deepEqual(
      readdirSync(dir)
        .filter((f) => f.startsWith("v"))
        .sort(),
      ["v2"],
    );
  });

  it("restarts a running agent with its new configuration", async () => {
    const before = await waitForAgent(platform, "swap-bot", phaseIs("Running"));
    const res = await platform.call("PUT", "/agents/swap-bot/config", { system_prompt: "Be terse." });
    assert.equal(res.status, 200);
    await waitForAgent(
      platform,
      "swap-bot",
      (a) => a.status.phase === "Running" && a.status.pid !== before.status.pid,
    );
    assert.equal((await client.agents.invoke("swap-bot", { message: "hi" })).response, "v2: hi / Be terse.");
  });

  it("deletes an agent: its process stops, its files and logs go, invokes are 404", async () => {
    const agent = await waitForAgent(platform, "kill-bot", phaseIs("Running"));
    const dir = join(platform.dataDir, "agents", "default", "kill-bot");
    assert.ok(existsSync(dir));
    assert.deepEqual(await client.agents.delete("kill-bot"), { status: "deleted" });
    assert.equal(alive(agent.status.pid), false);
    assert.equal(existsSync(dir), false);
    assert.equal(await revokeAgentTokens(platform.store, "default", "kill-bot"), 0, "its token was revoked");
    assert.equal((await platform.call("GET", "/agents/kill-bot")).status, 404);
    assert.equal((await platform.call("GET", "/agents/kill-bot/logs")).status, 404);
    const invoke = await platform.call("POST", "/agents/kill-bot/invoke", { message: "hi" });
    assert.equal(invoke.status, 404);
  });
});

describe("agents across platform restarts", () => {
  it("starts every deployed agent again when the platform starts on the same data dir", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "runagents-restart-"));
    try {
      const first = await startAgentPlatform({ dataDir });
      await first.call("POST", "/deploy", {
        agent_name: "phoenix",
        source_files: { "agent.ts": versioned("v1") },
      });
      await first.call("POST", "/workspaces/team-a/deploy", {
        agent_name: "phoenix",
        source_files: { "agent.ts": versioned("team-a") },
      });
      const before = await waitForAgent(first, "phoenix", phaseIs("Running"));
      await waitForAgent(first, "phoenix", phaseIs("Running"), 20_000, "/workspaces/team-a");
      await first.close();
      assert.equal(alive(before.status.pid), false, "the platform stopped its agents on close");

      const second = await startAgentPlatform({ dataDir });
      try {
        const after = await waitForAgent(second, "phoenix", phaseIs("Running"));
        assert.notEqual(after.status.pid, before.status.pid);
        const reply = await second.call("POST", "/agents/phoenix/invoke", { message: "back?" });
        assert.equal((reply.json as Json).response, "v1: back? / ");
        await waitForAgent(second, "phoenix", phaseIs("Running"), 20_000, "/workspaces/team-a");
        const team = await second.call("POST", "/workspaces/team-a/agents/phoenix/invoke", { message: "x" });
        assert.equal((team.json as Json).response, "team-a: x / ");
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
