/**
 * Deploying TypeScript agents from source and talking to them through the platform, with the SDK's
 * Client against a real platform that runs each agent as a real child process.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Client } from "runagents";
import type { TestPlatform } from "../helpers/platform.js";
import { phaseIs, startAgentPlatform, waitForAgent } from "./helpers.js";

type Json = Record<string, any>;

const ECHO_AGENT = `import type { HandlerRequest } from "runagents";

interface Reply {
  response: string;
  history_length: number;
  user: string;
  run: string;
}

export async function handler(request: HandlerRequest): Promise<Reply> {
  const history = request.history as { role: string; content: string }[];
  return {
    response: \`You said: \${request.message}\`,
    history_length: history.length,
    user: request.user_id ?? "",
    run: request.run_id ?? "",
  };
}
`;

const STREAM_AGENT = `export async function* handler(request: { message: string }) {
  for (const word of request.message.split(" ")) {
    if (word === "wait") await new Promise((resolve) => setTimeout(resolve, 10_000));
    yield \`\${word} \`;
  }
}
`;

const ENV_AGENT = `export function handler(): string {
  return JSON.stringify(process.env);
}
`;

describe("running agents through the platform", () => {
  let platform: TestPlatform;
  let client: Client;
  const canary = `canary-${Math.random().toString(36).slice(2)}`;

  before(async () => {
    process.env.PLATFORM_SECRET_CANARY = canary;
    platform = await startAgentPlatform();
    client = new Client({ endpoint: platform.url, apiKey: platform.adminKey, namespace: "default" });
  });
  after(async () => {
    delete process.env.PLATFORM_SECRET_CANARY;
    await platform.destroy();
  });

  it("deploys a TypeScript handler, runs it, and records the invoke as a run with ordered events", async () => {
    const result = await client.agents.deploy({
      name: "echo-bot",
      sourceFiles: { "agent.ts": ECHO_AGENT, "runagents.yaml": "name: echo-bot\nentry_point: agent.ts\n" },
      systemPrompt: "Be brief.",
    });
    assert.equal(result.agentName, "echo-bot");
    assert.equal(result.status, "created");
    await waitForAgent(platform, "echo-bot", phaseIs("Running"));
    const agent = await client.agents.get("echo-bot");
    assert.equal(agent.status, "Running");

    const reply = await client.agents.invoke("echo-bot", { message: "hello there", userId: "alice" });
    assert.equal(reply.response, "You said: hello there");
    assert.equal(reply.raw.history_length, 0);
    assert.equal(reply.raw.user, "alice");
    assert.ok(reply.runId);
    assert.equal(reply.raw.run, reply.runId, "the agent got the run id");

    const run = await client.runs.get(reply.runId);
    assert.equal(run.status, "COMPLETED");
    assert.equal(run.agentId, "echo-bot");
    assert.equal(run.userId, "alice");
    assert.equal(run.initialMessage, "hello there");
    const events = await client.runs.events(reply.runId);
    assert.deepEqual(
      events.map((e) => e.type),
      ["RUN_CREATED", "USER_MESSAGE", "INVOKE_REQUESTED", "INVOKE_COMPLETED", "AGENT_MESSAGE", "COMPLETED"],
    );
    assert.deepEqual(
      events.map((e) => e.sequence),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(events[1]?.actor, "alice");
    assert.equal(events[1]?.data.content, "hello there");
    assert.equal(events[4]?.actor, "echo-bot");
    assert.equal(events[4]?.data.content, "You said: hello there");
  });

  it("continues a conversation: the earlier messages arrive as history", async () => {
    const first = await client.agents.invoke("echo-bot", { message: "one" });
    const conversationId = first.raw.conversation_id as string;
    assert.match(conversationId, /^[0-9a-f-]{36}$/);
    const second = await client.agents.invoke("echo-bot", { message: "two", conversationId });
    assert.equal(second.raw.conversation_id, conversationId);
    assert.equal(second.raw.history_length, 2);
    const explicit = await client.agents.invoke("echo-bot", {
      message: "three",
      conversationId,
      history: [{ role: "user", content: "only this" }],
    });
    assert.equal(explicit.raw.history_length, 1);
    const runs = await client.runs.list({ agent: "echo-bot" });
    assert.equal(runs.filter((r) => r.conversationId === conversationId).length, 3);
  });

  it("streams an invoke: a run event first, then the agent's deltas, then [DONE]", async () => {
    await client.agents.deploy({ name: "stream-bot", sourceFiles: { "agent.ts": STREAM_AGENT } });
    await waitForAgent(platform, "stream-bot", phaseIs("Running"));
    const received: { event: string; data: unknown }[] = [];
    for await (const event of client.agents.invokeStream("stream-bot", { message: "a b c" }))
      received.push(event);
    const first = received[0]?.data as Json;
    assert.equal(first.type, "run");
    const deltas = received
      .filter((e) => (e.data as Json).type === "content")
      .map((e) => (e.data as Json).delta);
    assert.deepEqual(deltas, ["a ", "b ", "c "]);
    assert.equal((received.at(-1)?.data as Json | undefined)?.type, "done");

    const run = await client.runs.get(first.run_id);
    assert.equal(run.status, "COMPLETED");
    const events = await client.runs.events(first.run_id);
    assert.deepEqual(
      events.map((e) => e.type),
      ["RUN_CREATED", "USER_MESSAGE", "INVOKE_REQUESTED", "INVOKE_COMPLETED", "AGENT_MESSAGE", "COMPLETED"],
    );
    assert.equal(events[2]?.data.stream, true);
    assert.equal(events[4]?.data.content, "a b c ");
  });

  it("fails the run when the caller leaves in the middle of a stream", async () => {
    const abort = new AbortController();
    const res = await fetch(`${platform.api}/agents/stream-bot/invoke/stream`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...platform.authHeaders },
      body: JSON.stringify({ message: "first wait never" }),
      signal: abort.signal,
    });
    assert.equal(res.status, 200);
    const runId = res.headers.get("x-run-id") as string;
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let seen = "";
    while (!seen.includes('"delta":"first "')) seen += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    const deadline = Date.now() + 10_000;
    while ((await client.runs.get(runId)).status !== "FAILED") {
      assert.ok(Date.now() < deadline, "the run was not failed");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const events = await client.runs.events(runId);
    assert.deepEqual(
      events.slice(-2).map((e) => [e.type, e.data.error]),
      [
        ["INVOKE_FAILED", "the caller disconnected during the stream"],
        ["FAILED", "the caller disconnected during the stream"],
      ],
    );
  });

  it("starts agents with an environment built from scratch: no platform secret, the agent's identity URLs", async () => {
    await client.agents.deploy({
      name: "env-bot",
      sourceFiles: { "agent.ts": ENV_AGENT },
      systemPrompt: "You are env-bot.",
      requiredTools: ["echo-tool"],
      llmConfigs: [{ provider: "openai", model: "gpt-4o-mini" }],
      env: [{ name: "GREETING", value: "hello" }],
    });
    await waitForAgent(platform, "env-bot", phaseIs("Running"));
    const reply = await client.agents.invoke("env-bot", { message: "env" });
    assert.ok(!reply.response.includes(canary), "the platform's secret reached the agent");
    const env = JSON.parse(reply.response) as Record<string, string>;
    assert.equal(env.PLATFORM_SECRET_CANARY, undefined);
    assert.equal(env.AGENT_NAME, "env-bot");
    assert.equal(env.SYSTEM_PROMPT, "You are env-bot.");
    assert.equal(env.GREETING, "hello");
    assert.equal(env.LLM_MODEL, "gpt-4o-mini");
    assert.equal(env.LLM_PROVIDER, "openai");
    assert.equal(env.NODE_ENV, "production");
    // The runtime's own secret and sockets are not user code's.
    assert.equal(env.RUNAGENTS_RUNTIME_SECRET, undefined);
    assert.equal(env.RUNAGENTS_RUNTIME_SOCKET, undefined);
    assert.equal(env.USER_ENTRY_POINT, "agent.js");
    // The agent's capability token is in its URLs; the platform redacts it from the reply.
    assert.ok(!reply.response.includes("ra_agt_"), "the agent token reached the caller");
    // A sandboxed agent reaches the platform through its runtime's relay on its own loopback.
    const agent = (await platform.call("GET", "/agents/env-bot")).json as Json;
    const base = agent.isolation === "sandbox" ? "http://127.0.0.1:8092" : platform.url;
    assert.equal(env.OPENAI_BASE_URL, `${base}/gateway/[token]/v1`);
    assert.equal(env.LLM_GATEWAY_URL, `${base}/gateway/[token]/v1`);
    assert.equal(env.TOOL_URL_ECHO_TOOL, `${base}/egress/[token]/echo-tool`);
    assert.equal(env.GOVERNANCE_URL, `${base}/internal/[token]`);
    assert.equal(env.TOOL_NAMES, "echo-tool");
    // Its HOME is its private scratch directory (inside a sandbox: where it is mounted).
    assert.match(
      env.HOME ?? "",
      agent.isolation === "sandbox" ? /^\/agent\/home$/ : /agents\/default\/env-bot\/scratch$/,
    );
    const inherited = Object.keys(process.env).filter((k) => k !== "PATH" && env[k] === process.env[k]);
    assert.deepEqual(inherited, [], "variables inherited from the platform");

    const logs = (await platform.call("GET", "/agents/env-bot/logs?tail=50")).json as Json;
    assert.equal(logs.agent, "env-bot");
    assert.ok(logs.lines.some((l: string) => l.includes('"msg":"runtime_starting"')));
    assert.ok(!JSON.stringify(logs).includes("ra_agt_"), "a log line shows the agent token");
  });

  it("runs an agent deployed by an action plan's deploy.execute", async () => {
    const res = await platform.call("POST", "/actions/apply", {
      plan_id: "plan-deploy",
      actions: [
        {
          id: "deploy",
          type: "deploy.execute",
          idempotency_key: "deploy:plan-bot",
          params: { agent_name: "plan-bot", source_files: { "agent.ts": ECHO_AGENT } },
        },
      ],
    });
    assert.equal(res.status, 200, res.text);
    await waitForAgent(platform, "plan-bot", phaseIs("Running"));
    assert.equal(
      (await client.agents.invoke("plan-bot", { message: "planned" })).response,
      "You said: planned",
    );
  });

  it("answers invoke errors clearly: unknown agent, bad body, an agent without a process", async () => {
    const unknown = await platform.call("POST", "/agents/nobody/invoke", { message: "hi" });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.json, { error: "agent nobody not found" });
    const noMessage = await platform.call("POST", "/agents/echo-bot/invoke", { text: "hi" });
    assert.equal(noMessage.status, 400);
    assert.deepEqual(noMessage.json, { error: "message is required" });
    for (const userId of ["a\r\nX-Injected: y", "zoë-名前"]) {
      const badUser = await platform.call("POST", "/agents/echo-bot/invoke", {
        message: "hi",
        user_id: userId,
      });
      assert.equal(badUser.status, 400);
      assert.deepEqual(badUser.json, {
        error: "user_id must be printable ASCII (it is sent in the X-End-User-Id header)",
      });
    }
    const badHistory = await platform.call("POST", "/agents/echo-bot/invoke", {
      message: "hi",
      history: "x",
    });
    assert.equal(badHistory.status, 400);
    assert.deepEqual(badHistory.json, { error: "history must be a list of {role, content} objects" });

    await platform.call("POST", "/deploy", { agent_name: "image-bot", image: "registry.example/bot:1" });
    const agent = await waitForAgent(platform, "image-bot", phaseIs("Failed"));
    assert.match(agent.status.message, /^cannot run on the local platform: it runs agents from source files/);
    const down = await platform.call("POST", "/agents/image-bot/invoke", { message: "hi" });
    assert.equal(down.status, 503);
    assert.match(
      (down.json as Json).error,
      /^agent image-bot is not running \(Failed: cannot run on the local platform/,
    );
    assert.deepEqual(await client.runs.list({ agent: "image-bot" }), []);
  });
});
