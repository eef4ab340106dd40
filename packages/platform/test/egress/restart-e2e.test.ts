/**
 * End to end with the real pieces: the platform as its own process (`main.js`), a TypeScript agent
 * deployed from source and run by the real runtime under the supervisor, and a local tool server.
 * The agent's tool call needs approval; the platform is killed (SIGKILL) while the run waits,
 * started again on the same data dir, and the approval then resumes the run to completion — with
 * the tool called exactly once. On each store backend: the SQLite file in the data dir, and
 * PostgreSQL (`--database-url`, a fresh schema).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { runtimeConfig } from "../deploy/helpers.js";
import { request } from "../helpers/platform.js";
import { freshSchema, storeBackends } from "../helpers/stores.js";
import { startToolServer, type ToolServer, waitFor } from "./helpers.js";

const PAY_AGENT = `import { Agent } from "runagents";

const agent = new Agent();

export async function handler(request: { message: string }) {
  const result = await agent.callTool({ name: "payments", path: "/charges", payload: { amount: 42, memo: request.message } });
  return { response: "charged: " + JSON.stringify(result) };
}
`;

const MAIN = fileURLToPath(new URL("../../src/main.js", import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `runagents-platform` and resolves once it says it is ready. */
async function startPlatformProcess(
  port: number,
  dataDir: string,
  configDir: string,
  extraArgs: string[],
): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNAGENTS_LOG_LEVEL: "warn",
    // The first start writes its admin key into this configuration, as `npm start` does into ~/.runagents.
    RUNAGENTS_CONFIG_DIR: configDir,
  };
  const staged = runtimeConfig().runagentsDir;
  if (staged) env.RUNAGENTS_PACKAGE_DIR = staged;
  const args = [MAIN, "--port", String(port), "--data-dir", dataDir, "--no-seed", ...extraArgs];
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      if (stderr.includes("RunAgents platform ready at")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`platform exited with ${code}: ${stderr}`)));
  });
  return child;
}

for (const backend of await storeBackends()) {
  describe(`approval across a platform restart, with a deployed agent (${backend.name} store)`, {
    skip: backend.skip,
  }, () => {
    let tool: ToolServer;
    let dataDir: string;
    let port: number;
    let platform: ChildProcess | undefined;
    let api: string;
    let configDir: string;
    let storeArgs: string[] = [];
    let dropSchema = async () => {};

    before(async () => {
      if (backend.name === "postgres") {
        const schema = await freshSchema();
        storeArgs = ["--database-url", schema.url];
        dropSchema = schema.drop;
      }
      tool = await startToolServer();
      dataDir = mkdtempSync(join(tmpdir(), "runagents-egress-e2e-"));
      configDir = mkdtempSync(join(tmpdir(), "runagents-egress-e2e-config-"));
      port = await freePort();
      api = `http://127.0.0.1:${port}/api/v1`;
    });
    after(async () => {
      if (platform && platform.exitCode === null) {
        const exited = new Promise((resolve) => platform?.once("exit", resolve));
        platform.kill("SIGTERM");
        await exited;
      }
      await tool.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(configDir, { recursive: true, force: true });
      await dropSchema();
    });

    const apiKey = () =>
      (JSON.parse(readFileSync(join(configDir, "config.json"), "utf8")) as { api_key: string }).api_key;
    const call = (method: string, path: string, body?: unknown) =>
      request(`${api}${path}`, method, body, { "X-RunAgents-API-Key": apiKey() });
    const agentRunning = () =>
      waitFor(
        async () => ((await call("GET", "/agents/pay-bot")).json as any)?.status?.phase === "Running",
        "pay-bot to run",
        60_000,
      );

    it("pauses, survives SIGKILL, and completes after approval with the tool called exactly once", async () => {
      platform = await startPlatformProcess(port, dataDir, configDir, storeArgs);
      assert.equal(existsSync(join(dataDir, "platform.db")), backend.name === "sqlite", "the store in use");
      assert.equal((await call("POST", "/tools", { name: "payments", base_url: tool.url })).status, 201);
      const policy = await call("POST", "/policies", {
        name: "payments-approval",
        spec: { policies: [{ permission: "approval_required", resource: "payments", operations: ["POST"] }] },
      });
      assert.equal(policy.status, 201);
      const deploy = await call("POST", "/deploy", {
        agent_name: "pay-bot",
        source_files: { "agent.ts": PAY_AGENT },
        required_tools: ["payments"],
        policies: ["payments-approval"],
      });
      assert.ok(deploy.status === 200 || deploy.status === 201, deploy.text);
      await agentRunning();

      const invoke = await call("POST", "/agents/pay-bot/invoke", {
        message: "book it",
        user_id: "alice@example.com",
      });
      assert.equal(invoke.status, 200, invoke.text);
      const paused = invoke.json as any;
      const runId = paused.run_id as string;
      assert.equal(paused.approval_required.code, "APPROVAL_REQUIRED");
      const requestId = paused.approval_required.request_id as string;
      assert.equal(((await call("GET", `/runs/${runId}`)).json as any).status, "PAUSED_APPROVAL");
      assert.equal(tool.received.length, 0);

      const killed = new Promise((resolve) => platform?.once("exit", resolve));
      platform.kill("SIGKILL");
      await killed;
      platform = await startPlatformProcess(port, dataDir, configDir, storeArgs);
      await agentRunning();
      assert.equal(
        ((await call("GET", `/runs/${runId}`)).json as any).status,
        "PAUSED_APPROVAL",
        "the pause survived",
      );

      const approve = await call("POST", `/approvals/requests/${requestId}/approve`, { scope: "once" });
      assert.equal(approve.status, 200, approve.text);
      // Wait for the terminal event; it is stored in one transaction with the run's final status.
      const events = await waitFor(
        async () => {
          const list = (await call("GET", `/runs/${runId}/events`)).json as any[];
          return list.some((e) => e.type === "COMPLETED" || e.type === "FAILED") && list;
        },
        "the resumed run's last event",
        60_000,
      );
      const done = (await call("GET", `/runs/${runId}`)).json as any;
      assert.equal(done.status, "COMPLETED", JSON.stringify(events.map((e) => [e.type, e.data])));
      assert.equal(tool.received.length, 1, "the tool saw the approved call exactly once");
      assert.equal(tool.received[0]?.method, "POST");
      assert.equal(tool.received[0]?.url, "/charges");
      assert.deepEqual(JSON.parse(tool.received[0]?.body ?? ""), { amount: 42, memo: "book it" });
      assert.equal(tool.received[0]?.headers["x-end-user-id"], "alice@example.com");

      const types = events.map((e) => e.type);
      const order = [
        "APPROVAL_REQUIRED",
        "APPROVED",
        "RESUMED",
        "TOOL_RESPONSE",
        "AGENT_MESSAGE",
        "COMPLETED",
      ];
      const positions = order.map((type) => types.indexOf(type));
      assert.ok(
        positions.every((p, i) => p >= 0 && (i === 0 || p > (positions[i - 1] as number))),
        `events in order: ${types.join(", ")}`,
      );
      const message = events.find((e) => e.type === "AGENT_MESSAGE");
      assert.equal(message.data.message, `charged: ${JSON.stringify({ ok: true, path: "/charges" })}`);
    });
  });
}
