/**
 * Denied tool calls end to end: a deployed agent (a real process) calls echo-tool through the
 * egress, a policy denies it. Uncaught, the run fails with the denial and the caller gets it;
 * caught, the agent answers and the run completes. Either way the run's events are in causal
 * order: every tool event precedes the run's terminal event.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "runagents";
import type { TestPlatform } from "../helpers/platform.js";
import { phaseIs, startAgentPlatform, waitForAgent } from "./helpers.js";

type Json = Record<string, any>;

const UNCAUGHT = `import { Agent } from "runagents";

const agent = new Agent();

export async function handler(request: { message: string }) {
  const echo = (await agent.callTool({ name: "echo-tool", path: "/echo", payload: { message: request.message } })) as { reply?: string };
  return \`echo-tool replied: \${echo.reply}\`;
}
`;

const CAUGHT = `import { Agent, PolicyDeniedError } from "runagents";

const agent = new Agent();

export async function handler(request: { message: string }) {
  try {
    await agent.callTool({ name: "echo-tool", path: "/echo", payload: { message: request.message } });
    return "echo-tool answered";
  } catch (error) {
    if (error instanceof PolicyDeniedError) return \`I may not use \${error.tool}: \${error.reason}\`;
    throw error;
  }
}
`;

const REASON = "denied by policy no-echo rule 0 (deny POST echo-tool)";
const RULE = { policy: "no-echo", index: 0, permission: "deny", operations: ["POST"], resource: "echo-tool" };

/** Every TOOL_* event comes before the run's terminal event, and `seq` is gapless. */
function assertCausal(events: { type: string; sequence: number }[], terminal: string): void {
  assert.deepEqual(
    events.map((e) => e.sequence),
    events.map((_, i) => i + 1),
  );
  const end = events.find((e) => e.type === terminal);
  assert.ok(end, `no ${terminal} event: ${events.map((e) => e.type).join(", ")}`);
  assert.equal(events.at(-1)?.type, terminal, `${terminal} is the last event`);
  for (const e of events.filter((x) => x.type.startsWith("TOOL_"))) {
    assert.ok(e.sequence < end.sequence, `${e.type} (${e.sequence}) after ${terminal} (${end.sequence})`);
  }
}

describe("denied tool calls through the platform", () => {
  let platform: TestPlatform;
  let client: Client;

  before(async () => {
    platform = await startAgentPlatform();
    client = new Client({
      endpoint: platform.url,
      apiKey: platform.adminKey || undefined,
      namespace: "default",
    });
    await client.seedStarterKit();
    await client.policies.apply({
      name: "no-echo",
      spec: { policies: [{ permission: "deny", operations: ["POST"], resource: "echo-tool" }] },
    });
    for (const [name, source] of [
      ["denied-bot", UNCAUGHT],
      ["polite-bot", CAUGHT],
    ] as const) {
      await client.agents.deploy({
        name,
        sourceFiles: { "agent.ts": source },
        requiredTools: ["echo-tool"],
        policies: ["no-echo"],
      });
    }
    await waitForAgent(platform, "denied-bot", phaseIs("Running"));
    await waitForAgent(platform, "polite-bot", phaseIs("Running"));
  });
  after(() => platform.destroy());

  it("an uncaught denial fails the run with TOOL_DENIED naming the rule, and the caller gets 403 with the denial", async () => {
    const res = await platform.call("POST", "/agents/denied-bot/invoke", { message: "hi" });
    assert.equal(res.status, 403);
    const body = res.json as Json;
    assert.equal(body.code, "POLICY_DENIED");
    assert.equal(body.tool, "echo-tool");
    assert.equal(body.reason, REASON);
    assert.deepEqual(body.rule, RULE);
    assert.equal(body.error, `Call to echo-tool denied: ${REASON}`);
    assert.equal(body.method, "POST");
    assert.match(body.url, /\/echo$/);
    assert.ok(!res.text.includes("ra_agt_"), "no agent token reaches the caller");

    const run = await client.runs.get(body.run_id);
    assert.equal(run.status, "FAILED");
    const events = await client.runs.events(body.run_id);
    assert.deepEqual(
      events.map((e) => e.type),
      [
        "RUN_CREATED",
        "USER_MESSAGE",
        "INVOKE_REQUESTED",
        "TOOL_REQUEST",
        "TOOL_DENIED",
        "INVOKE_FAILED",
        "FAILED",
      ],
      "no TOOL_CALLED (nor 'returned N characters') for the blocked call",
    );
    const denied = events.find((e) => e.type === "TOOL_DENIED") as Json;
    assert.equal(denied.data.tool, "echo-tool");
    assert.equal(denied.data.tool_method, "POST");
    assert.match(denied.data.tool_url, /\/echo$/);
    assert.equal(denied.data.code, "POLICY_DENIED");
    assert.equal(denied.data.reason, REASON);
    assert.deepEqual(denied.data.rule, RULE);
    const failed = events.at(-1) as Json;
    assert.equal(failed.data.error, `Call to echo-tool denied: ${REASON}`);
    assert.equal(failed.data.code, "POLICY_DENIED");
    assert.equal(failed.data.tool, "echo-tool");
    assert.equal(failed.data.reason, REASON);
    assert.deepEqual(failed.data.rule, RULE);
    assertCausal(events, "FAILED");
  });

  it("streaming, an uncaught denial is an error event and the run fails the same way", async () => {
    const received: Json[] = [];
    for await (const event of client.agents.invokeStream("denied-bot", { message: "hi" })) {
      received.push(event.data as Json);
    }
    const runId = received[0]?.run_id as string;
    const error = received.find((e) => e.type === "error");
    assert.equal(error?.code, "POLICY_DENIED");
    assert.deepEqual(error?.rule, RULE);
    const run = await client.runs.get(runId);
    assert.equal(run.status, "FAILED");
    const events = await client.runs.events(runId);
    const failed = events.at(-1) as Json;
    assert.equal(failed.type, "FAILED");
    assert.equal(failed.data.code, "POLICY_DENIED");
    assert.equal(failed.data.reason, REASON);
    assert.ok(events.some((e) => e.type === "TOOL_DENIED"));
    assertCausal(events, "FAILED");
  });

  it("an agent that catches PolicyDeniedError says so and its run completes", async () => {
    const reply = await client.agents.invoke("polite-bot", { message: "hi" });
    assert.equal(reply.response, `I may not use echo-tool: ${REASON}`);
    const run = await client.runs.get(reply.runId as string);
    assert.equal(run.status, "COMPLETED");
    const events = await client.runs.events(run.id);
    assert.deepEqual(
      events.map((e) => e.type),
      [
        "RUN_CREATED",
        "USER_MESSAGE",
        "INVOKE_REQUESTED",
        "TOOL_REQUEST",
        "TOOL_DENIED",
        "INVOKE_COMPLETED",
        "AGENT_MESSAGE",
        "COMPLETED",
      ],
    );
    assertCausal(events, "COMPLETED");
  });
});
