/**
 * `runagents dev --governed` against a real platform: the dev agent's tool calls go through the
 * platform's egress (default deny, policies, credential injection, approvals with resume), and
 * every invoke through the dev front is a recorded run.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { RecordingServer } from "../helpers/recording-server.js";
import { LiveCli, removeDir, startPlatform, type TestPlatform, tempDir } from "./helpers.js";

const runtimeBuilt = existsSync(fileURLToPath(new URL("../../src/runtime/main.js", import.meta.url)));

const HANDLER = `export async function handler(request) {
  const res = await fetch(process.env.TOOL_URL_LEDGER + "/" + request.message, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Api-Key": "forged" },
    body: JSON.stringify({ amount: 5 }),
  });
  return { response: res.status + " " + (await res.text()) };
}
`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Invoked {
  status: number;
  body: { response?: string; run_id?: string; status?: string; [key: string]: unknown };
}

async function invoke(port: number, message: string): Promise<Invoked> {
  const res = await fetch(`http://127.0.0.1:${port}/invoke`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ message, user_id: "alice@example.com" }),
  });
  return { status: res.status, body: (await res.json()) as Invoked["body"] };
}

describe("runagents dev --governed", {
  skip: runtimeBuilt ? false : "the agent runtime is not built",
}, () => {
  let dir: string;
  let platform: TestPlatform;
  let tool: RecordingServer;
  before(async () => {
    dir = tempDir();
    platform = await startPlatform();
    tool = await RecordingServer.start();
    tool.otherwise({ json: { charged: true } });
    const created = await platform.call("POST", "/tools", {
      name: "ledger",
      spec: {
        connection: {
          baseUrl: tool.url,
          authentication: { type: "APIKey", apiKeyConfig: { in: "Header", name: "X-Api-Key" } },
        },
      },
      credentials: { api_key: "sk-ledger-secret" },
    });
    assert.equal(created.status, 201, created.text);
  });
  after(async () => {
    await tool.close();
    await platform.destroy();
    removeDir(dir);
  });

  test("tool calls go through the egress: default deny, then allowed by policy with the credential injected", async () => {
    const project = join(dir, "gov");
    mkdirSync(project);
    writeFileSync(
      join(project, "runagents.yaml"),
      "name: gov-agent\ntools: [ledger]\npolicies: [ledger-policy]\nentry_point: agent.mjs\n",
    );
    writeFileSync(join(project, "agent.mjs"), HANDLER);
    const port = await freePort();
    const dev = new LiveCli(["dev", "--governed", "--port", String(port)], {
      env: { HOME: dir, RUNAGENTS_ENDPOINT: platform.url, RUNAGENTS_API_KEY: platform.adminKey },
      cwd: project,
    });
    try {
      await dev.waitFor(/^Ready: /);
      assert.deepEqual(dev.stdout, [
        "RunAgents Dev Server",
        `  Agent:       http://127.0.0.1:${port}`,
        `  Governed:    agent gov-agent on ${platform.url}`,
        "  Tools:       ledger (through the egress)",
        "  Model:       gpt-4o-mini via the platform gateway",
        "  Entry point: agent.mjs",
        `Ready: curl -X POST http://127.0.0.1:${port}/invoke -d '{"message":"Hello"}'`,
      ]);
      // (the runtime's own JSON log lines go to stderr too)
      assert.deepEqual(
        dev.stderr.filter((line) => !line.startsWith("{")),
        ["Notice: policy ledger-policy does not exist: it allows nothing"],
      );
      const agent = (await platform.call("GET", "/agents/gov-agent")).json as Record<string, unknown>;
      assert.deepEqual(
        [agent.labels, agent.phase, (agent.status as { message: string }).message, agent.required_tools],
        [{ "runagents.dev/dev": "true" }, "Running", "running under runagents dev", ["ledger"]],
      );

      // No policy allows the call: the egress denies it and the tool never hears of it.
      const denied = await invoke(port, "charges");
      assert.equal(denied.status, 200, JSON.stringify(denied.body));
      assert.match(denied.body.response ?? "", /^403 \{.*"code":"POLICY_DENIED"/);
      assert.equal(tool.requests.length, 0);
      const deniedEvents = await events(platform, denied.body.run_id ?? "");
      assert.ok(deniedEvents.includes("TOOL_REQUEST:deny"), deniedEvents.join(" "));

      const policy = await platform.call("POST", "/policies", {
        name: "ledger-policy",
        spec: { policies: [{ permission: "allow" }], approvals: [] },
      });
      assert.equal(policy.status, 201, policy.text);
      const allowed = await invoke(port, "charges");
      assert.equal(allowed.body.response, '200 {"charged":true}');
      const seen = tool.only();
      assert.deepEqual(
        [seen.method, seen.path, seen.headers["x-api-key"], seen.headers["x-end-user-id"], seen.json],
        ["POST", "/charges", "sk-ledger-secret", "alice@example.com", { amount: 5 }],
      );
      const allowedEvents = await events(platform, allowed.body.run_id ?? "");
      assert.ok(allowedEvents.includes("TOOL_REQUEST:allow"), allowedEvents.join(" "));
      assert.ok(allowedEvents.includes("TOOL_RESPONSE"), allowedEvents.join(" "));
    } finally {
      assert.equal(await dev.stop("SIGTERM"), 0);
    }
    // The session ended: the dev agent left the agent list; its runs stay.
    const listed = (await platform.call("GET", "/agents")).json as { name: string }[];
    assert.ok(!listed.some((a) => a.name === "gov-agent"), JSON.stringify(listed));
    assert.equal((await platform.call("GET", "/agents/gov-agent")).status, 404);
    const kept = (await platform.call("GET", "/runs?agent_id=gov-agent")).json as unknown[];
    assert.ok(kept.length >= 2, "the session's runs stay");
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
  });

  test("an approval pauses the run; once approved, the platform resumes it on the dev runtime", async () => {
    const policy = await platform.call("POST", "/policies", {
      name: "approve-policy",
      spec: { policies: [{ permission: "approval_required" }], approvals: [] },
    });
    assert.equal(policy.status, 201, policy.text);
    const project = join(dir, "approve");
    mkdirSync(project);
    writeFileSync(
      join(project, "runagents.yaml"),
      "name: gov-approve\ntools: [ledger]\npolicies: [approve-policy]\nentry_point: agent.mjs\n",
    );
    writeFileSync(join(project, "agent.mjs"), HANDLER);
    const port = await freePort();
    const dev = new LiveCli(["dev", "--governed", "--port", String(port)], {
      env: { HOME: dir, RUNAGENTS_ENDPOINT: platform.url, RUNAGENTS_API_KEY: platform.adminKey },
      cwd: project,
    });
    const before = tool.requests.length;
    try {
      await dev.waitFor(/^Ready: /);
      const paused = await invoke(port, "refunds");
      assert.equal(paused.status, 200, JSON.stringify(paused.body));
      const pending = paused.body.approval_required as { request_id: string; action_id: string };
      assert.match(pending.request_id, /.+/);
      assert.equal(tool.requests.length, before);
      const runId = paused.body.run_id ?? "";
      assert.equal(
        ((await platform.call("GET", `/runs/${runId}`)).json as { status: string }).status,
        "PAUSED_APPROVAL",
      );

      const approved = await platform.call("POST", `/approvals/requests/${pending.request_id}/approve`, {
        scope: "once",
      });
      assert.equal(approved.status, 200, approved.text);
      await tool.waitForRequests(before + 1);
      const seen = tool.requests[before];
      assert.deepEqual(
        [seen?.path, seen?.headers["x-api-key"], seen?.headers["x-end-user-id"]],
        ["/refunds", "sk-ledger-secret", "alice@example.com"],
      );
      const run = await settled(platform, runId);
      assert.equal(run.status, "COMPLETED");
      const types = await events(platform, runId);
      assert.ok(types.includes("RESUMED") && types.includes("TOOL_REQUEST:allow"), types.join(" "));
    } finally {
      assert.equal(await dev.stop("SIGTERM"), 0);
    }
  });

  test("a deployed agent of the same name is refused with a one-line error", async () => {
    const project = join(dir, "clash");
    mkdirSync(project);
    writeFileSync(join(project, "runagents.yaml"), "name: clash-agent\ntools: []\nentry_point: agent.mjs\n");
    writeFileSync(join(project, "agent.mjs"), HANDLER);
    const deployed = await platform.call("POST", "/deploy", {
      agent_name: "clash-agent",
      image: "example.com/clash-agent:1",
    });
    assert.ok(deployed.status === 200 || deployed.status === 201, deployed.text);
    const dev = new LiveCli(["dev", "--governed", "--port", String(await freePort())], {
      env: { HOME: dir, RUNAGENTS_ENDPOINT: platform.url, RUNAGENTS_API_KEY: platform.adminKey },
      cwd: project,
    });
    assert.equal(await dev.exited(), 1);
    assert.deepEqual(dev.stderr, [
      "Error: the platform refused the dev session (HTTP 409): agent clash-agent exists and is not a dev " +
        "agent (it was deployed); use another name for the dev session or delete the agent first",
    ]);
  });
});

/** The run's event types; tool requests as `TOOL_REQUEST:<decision>`. */
async function events(platform: TestPlatform, runId: string): Promise<string[]> {
  const res = await platform.call("GET", `/runs/${runId}/events`);
  assert.equal(res.status, 200, res.text);
  const list = res.json as { type: string; data?: { decision?: string } }[];
  return list.map((e) => (e.type === "TOOL_REQUEST" ? `${e.type}:${e.data?.decision}` : e.type));
}

/** The run once it is no longer RUNNING (the resume answer is recorded just after the tool call). */
async function settled(platform: TestPlatform, runId: string): Promise<{ status: string }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const run = (await platform.call("GET", `/runs/${runId}`)).json as { status: string };
    if (run.status !== "RUNNING" || Date.now() > deadline) return run;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
