/**
 * A new user's path, every step through the built CLI: `up` a local platform, seed the starter kit,
 * scaffold and deploy a project, then follow a run through an approval to its end.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { LiveCli, removeDir, runCli, tempDir } from "./helpers.js";

let home: string;
let up: LiveCli;
let url: string;

before(async () => {
  home = tempDir();
  up = new LiveCli(["up", "--port", "0", "--data-dir", join(home, "data")], { env: { HOME: home } });
  const ready = await up.waitFor(/^RunAgents platform running at /);
  url = ready.slice("RunAgents platform running at ".length);
  await up.waitFor(/^Press Ctrl-C to stop\.$/);
});
after(async () => {
  if (up) await up.stop("SIGTERM");
  removeDir(home);
});

const cli = (args: string[], cwd = home) =>
  runCli(args, { env: { HOME: home, RUNAGENTS_ENDPOINT: url }, cwd });

async function ok(args: string[], cwd = home): Promise<string> {
  const result = await cli(args, cwd);
  assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/** The admin key `up` created at first start and saved in the user's configuration. */
const savedApiKey = (): string =>
  (JSON.parse(readFileSync(join(home, ".runagents", "config.json"), "utf8")) as { api_key: string }).api_key;

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { "content-type": "application/json", "X-RunAgents-API-Key": savedApiKey() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

test("up → starter-kit → init → deploy --no-wait → runs → approve → runs wait", async () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.deepEqual(up.stdout.slice(1, 3), [
    `  API:       ${url}/api/v1`,
    `  Data dir:  ${join(home, "data")}`,
  ]);

  assert.equal(
    await ok(["starter-kit"]),
    "Starter kit seeded successfully.\nMessage: starter kit already present: echo-tool, playground-llm\n",
  );
  await ok(["init", "flow-agent"]);
  const project = join(home, "flow-agent");
  assert.equal(
    await ok(["deploy", "--no-wait"], project),
    'Agent "flow-agent" deploy accepted; it builds and starts in the background (see "runagents agents get flow-agent").\n' +
      "Agent:          flow-agent\nVersion:        1\nTools created:  -\nStatus:         Pending\n",
  );
  const config = JSON.parse(await ok(["agents", "config", "get", "flow-agent", "-o", "json"])) as Record<
    string,
    unknown
  >;
  assert.equal(config.system_prompt, "You are a helpful assistant.");
  assert.deepEqual(
    (config.llm_configs as Record<string, unknown>[]).map((c) => [c.provider, c.model]),
    [["openai", "gpt-4o-mini"]],
  );
  assert.match(await ok(["agents", "list"]), /^flow-agent \| \w+ +\| \S/m);
  assert.equal(await ok(["runs", "list"]), "No runs found.\n");

  const run = await api("POST", "/runs", {
    agent_id: "flow-agent",
    user_id: "alice@example.com",
    message: "hi",
  });
  const runId = String(run.id);
  await api("POST", `/runs/${runId}/actions`, {
    tool_id: "echo-tool",
    capability: "echo",
    tool_method: "POST",
    tool_url: `${url}/echo`,
  });
  assert.match(
    await ok(["runs", "list"]),
    new RegExp(`^${runId} \\| flow-agent \\| alice@example\\.com \\| PAUSED_APPROVAL \\|`, "m"),
  );

  const pending = JSON.parse(await ok(["approvals", "list", "--status", "pending", "-o", "json"])) as Record<
    string,
    unknown
  >[];
  const request = pending.find((r) => r.run_id === runId);
  assert.ok(request, "an access request for the run");
  const requestId = String(request.id);
  assert.equal(
    await ok(["approvals", "approve", requestId, "--scope", "run", "--reason", "fine"]),
    `Access request "${requestId}" approved for this run.\n`,
  );
  assert.match(
    await ok(["runs", "events", runId]),
    /^ +3 \| APPROVED +\| key:key_\w+ +\| Approved by key:key_\w+ +\|/m,
  );

  // After the approval the platform resumes the run (or fails it when the agent cannot be
  // reached); `runs wait` returns once the run is over, with the status the platform holds.
  const wait = await startWait(runId);
  const now = await api("GET", `/runs/${runId}`);
  if (now.status !== "COMPLETED" && now.status !== "FAILED") await finish(runId);
  assert.equal(await wait.exited(), 0, wait.stderr.join("\n"));
  const final = String((await api("GET", `/runs/${runId}`)).status);
  assert.equal(wait.stdout[0], `Run "${runId}" reached terminal status ${final}.`);
  const exported = JSON.parse(await ok(["runs", "export", runId, "-o", "json"])) as {
    run: { status: string };
    events: { type: string }[];
  };
  assert.equal(exported.run.status, final);
  assert.deepEqual(
    exported.events.slice(0, 3).map((e) => e.type),
    ["RUN_CREATED", "APPROVAL_REQUIRED", "APPROVED"],
  );
  const waited = JSON.parse(await ok(["runs", "wait", runId, "-o", "json"])) as {
    id: string;
    status: string;
  };
  assert.deepEqual([waited.id, waited.status], [runId, final]);
});

test("runs wait keeps waiting while a run is paused, and returns when it completes", async () => {
  const run = await api("POST", "/runs", { agent_id: "flow-agent", user_id: "bob@example.com" });
  const runId = String(run.id);
  await api("POST", `/runs/${runId}/actions`, {
    tool_id: "echo-tool",
    tool_method: "POST",
    tool_url: `${url}/echo`,
  });
  const logged = up.stderr.length;
  const wait = await startWait(runId);
  await up.waitFor(new RegExp(`"method":"GET","path":"/api/v1/runs/${runId}"`), "stderr", logged, 3);
  assert.equal(wait.child.exitCode, null, "still waiting while PAUSED_APPROVAL");
  await finish(runId);
  assert.equal(await wait.exited(), 0, wait.stderr.join("\n"));
  assert.equal(wait.stdout[0], `Run "${runId}" reached terminal status COMPLETED.`);
  assert.ok(wait.stdout.some((line) => /^Status: +COMPLETED$/.test(line)));
});

/** `runs wait` polling every 100 ms, resolved once it has polled the run at least once. */
async function startWait(runId: string): Promise<LiveCli> {
  const logged = up.stderr.length;
  const wait = new LiveCli(["runs", "wait", runId, "--interval", "100ms", "--timeout", "60s"], {
    env: { HOME: home, RUNAGENTS_ENDPOINT: url },
  });
  await up.waitFor(new RegExp(`"method":"GET","path":"/api/v1/runs/${runId}"`), "stderr", logged);
  return wait;
}

/** Ends a run as its agent would: back to RUNNING if paused, then COMPLETED (409s from races ignored). */
async function finish(runId: string): Promise<void> {
  await api("PATCH", `/runs/${runId}`, { status: "RUNNING" });
  await api("PATCH", `/runs/${runId}`, { status: "COMPLETED" });
}

test("up stops cleanly on SIGTERM", async () => {
  assert.equal(await up.stop("SIGTERM"), 0);
  assert.ok(up.stderr.includes("Shutting down..."));
  await assert.rejects(fetch(`${url}/healthz`));
});
