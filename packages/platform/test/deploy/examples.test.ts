/**
 * The repository's example agents, deployed from their files on disk with the Client and invoked
 * end to end: the agent process, the platform egress and policies, the offline playground model
 * behind the gateway, and the run's events. The only fake is the `tickets` service (a local HTTP
 * server standing in for a third-party API).
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "runagents";
import type { TestPlatform } from "../helpers/platform.js";
import { phaseIs, startAgentPlatform, waitForAgent } from "./helpers.js";

/** `examples/` of the repository: looked for above the working directory and above this file. */
function examplesDir(): string {
  for (const start of [process.cwd(), dirname(fileURLToPath(import.meta.url))]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      if (existsSync(join(dir, "examples", "hello-world", "runagents.yaml"))) return join(dir, "examples");
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error("examples/ not found above the working directory: run the tests from the repository");
}

const readExample = (name: string): Record<string, string> => {
  const dir = join(examplesDir(), name);
  const files: Record<string, string> = {};
  for (const file of readdirSync(dir))
    if (file !== "README.md") files[file] = readFileSync(join(dir, file), "utf8");
  return files;
};

/** The run's events once one of type `type` is among them (polled every 20 ms, 10 s at most). */
async function waitForEvent(client: Client, runId: string, type: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const events = await client.runs.events(runId);
    if (events.some((e) => e.type === type)) return events;
    if (Date.now() > deadline) throw new Error(`no ${type} event: ${events.map((e) => e.type).join(", ")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("example agents", () => {
  let platform: TestPlatform;
  let client: Client;
  let tickets: Server;
  const opened: unknown[] = [];

  before(async () => {
    tickets = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        opened.push({ method: req.method, url: req.url, body: JSON.parse(body || "{}") });
        res.writeHead(201, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ ticket: "T-1001", status: "open" }));
      });
    });
    await new Promise<void>((r) => tickets.listen(0, "127.0.0.1", r));
    platform = await startAgentPlatform();
    client = new Client({ endpoint: platform.url, apiKey: platform.adminKey, namespace: "default" });
    await client.seedStarterKit();
  });
  after(async () => {
    await platform.destroy();
    await new Promise((r) => tickets.close(r));
  });

  it("hello-world: the handler calls echo-tool through the egress", async () => {
    await client.policies.apply({
      name: "hello-world-echo",
      spec: { policies: [{ permission: "allow", operations: ["POST"], resource: "echo-tool" }] },
    });
    const files = readExample("hello-world");
    assert.deepEqual(Object.keys(files).sort(), ["agent.ts", "runagents.yaml"]);
    await client.agents.deploy({
      name: "hello-world",
      sourceFiles: files,
      requiredTools: ["echo-tool"],
      policies: ["hello-world-echo"],
    });
    await waitForAgent(platform, "hello-world", phaseIs("Running"));
    const reply = await client.agents.invoke("hello-world", { message: "Hello from the test" });
    assert.equal(reply.response, "echo-tool replied: Hello from the test");
    const run = await client.runs.get(reply.runId as string);
    assert.equal(run.status, "COMPLETED");
    // The runtime's own report of the call (TOOL_CALLED) is answered before the runtime answers
    // the invoke: every tool event precedes the outcome.
    const events = await client.runs.events(run.id);
    assert.deepEqual(
      events.map((e) => e.type),
      [
        "RUN_CREATED",
        "USER_MESSAGE",
        "INVOKE_REQUESTED",
        "TOOL_REQUEST",
        "TOOL_RESPONSE",
        "TOOL_CALLED",
        "INVOKE_COMPLETED",
        "AGENT_MESSAGE",
        "COMPLETED",
      ],
    );
    assert.deepEqual(
      events.map((e) => e.sequence),
      events.map((_, i) => i + 1),
    );
    const called = events.find((e) => e.type === "TOOL_CALLED");
    assert.equal(called?.actor, "hello-world");
    assert.equal(called?.data.tool, "echo-tool");
    // The agent's capability token (in its egress URL) reaches neither the caller nor the events.
    assert.ok(JSON.stringify(reply.raw).includes("/egress/[token]/echo-tool"), "tool call URL redacted");
    assert.ok(!JSON.stringify(reply.raw).includes("ra_agt_"));
    assert.ok(!JSON.stringify(events).includes("ra_agt_"));
    const streamed: string[] = [];
    for await (const event of client.agents.invokeStream("hello-world", { message: "Stream it" })) {
      streamed.push(JSON.stringify(event.data));
    }
    assert.ok(streamed.some((line) => line.includes("echo-tool replied: Stream it")));
    assert.ok(!streamed.join("\n").includes("ra_agt_"));
    assert.ok(!platform.logs.join("\n").includes("ra_agt_"), "no token in the platform's logs");
  });

  it("support-agent: no code, the built-in tool loop picks a tool from its capabilities", async () => {
    await client.tools.create({
      name: "tickets",
      baseUrl: `http://127.0.0.1:${(tickets.address() as AddressInfo).port}`,
      scheme: "HTTP",
      description: "The support desk",
      capabilities: [
        { name: "open", method: "POST", path: "/tickets", description: "Open a support ticket" },
      ],
    });
    await client.policies.apply({
      name: "support-agent-tools",
      spec: { policies: [{ permission: "allow", operations: ["POST"], resource: "*" }] },
    });
    const files = readExample("support-agent");
    assert.deepEqual(Object.keys(files), ["runagents.yaml"]);
    await client.agents.deploy({
      name: "support-agent",
      sourceFiles: files,
      requiredTools: ["echo-tool", "tickets"],
      policies: ["support-agent-tools"],
      llmConfigs: [{ provider: "openai", model: "gpt-4o-mini" }],
    });
    await waitForAgent(platform, "support-agent", phaseIs("Running"));
    const reply = await client.agents.invoke("support-agent", { message: "tickets: my printer is on fire" });
    assert.equal(reply.response, '[playground] tickets__open returned: {"ticket":"T-1001","status":"open"}');
    assert.deepEqual(opened, [
      { method: "POST", url: "/tickets", body: { message: "my printer is on fire" } },
    ]);
    const events = await waitForEvent(client, reply.runId as string, "TOOL_CALLED");
    const called = events.find((e) => e.type === "TOOL_CALLED");
    assert.equal(called?.actor, "support-agent");
    assert.equal(called?.data.function_name, "tickets__open");
    assert.equal(called?.data.result, '{"ticket":"T-1001","status":"open"}');
    const lifecycle = events.map((e) => e.type).filter((t) => !["TOOL_CALLED", "LLM_CALL"].includes(t));
    assert.deepEqual(lifecycle, [
      "RUN_CREATED",
      "USER_MESSAGE",
      "INVOKE_REQUESTED",
      "TOOL_REQUEST",
      "TOOL_RESPONSE",
      "INVOKE_COMPLETED",
      "AGENT_MESSAGE",
      "COMPLETED",
    ]);
  });
});
