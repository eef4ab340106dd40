/**
 * Issue 13, crashes: a tool call's outcome is recorded exactly once; after a crash an unknown
 * outcome is surfaced to an operator, never silently retried; a paused run survives a restart;
 * no checkpoint holds a live agent token.
 *
 * The first tests run the platform as its own process with a deployed agent and a local tool
 * that holds the call, and SIGKILL the platform while the tool has the request. The others
 * restart an in-process platform on the same data dir over runs a "previous process" left.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RESUME_QUEUE, writeResumeJob } from "../../src/governance/resume-worker.js";
import { transitionRun } from "../../src/governance/runs.js";
import type { Store } from "../../src/store/store.js";
import {
  governedAgent,
  newRun,
  runOf,
  sha256,
  startFakeAgent,
  startToolServer,
  type ToolServer,
  waitFor,
} from "../egress/helpers.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import {
  createApiKey,
  freePort,
  type PlatformProcess,
  startPlatformProcess,
} from "../helpers/platform-process.js";

const PAY_AGENT = `import { Agent } from "runagents";

const agent = new Agent();

export async function handler(request: { message: string }) {
  const result = await agent.callTool({ name: "payments", path: "/charges", payload: { amount: 42, memo: request.message } });
  return { response: "charged: " + JSON.stringify(result) };
}
`;

type Json = Record<string, any>;

describe("a platform killed while a governed call is in flight", () => {
  let tool: ToolServer;
  let dataDir: string;
  let port: number;
  let apiKey: string;
  let platform: PlatformProcess | undefined;
  const held: ServerResponse[] = [];

  before(async () => {
    tool = await startToolServer();
    dataDir = mkdtempSync(join(tmpdir(), "runagents-crash-e2e-"));
    port = await freePort();
    apiKey = await createApiKey(dataDir);
  });
  after(async () => {
    await platform?.stop();
    for (const res of held) res.destroy();
    await tool.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: unknown) => {
    if (!platform) throw new Error("platform not started");
    return platform.call(method, path, body);
  };
  const running = (agent: string) =>
    waitFor(
      async () => ((await call("GET", `/agents/${agent}`)).json as Json)?.status?.phase === "Running",
      `${agent} to run`,
      60_000,
    );
  const run = async (id: string) => (await call("GET", `/runs/${id}`)).json as Json;
  const events = async (id: string) => (await call("GET", `/runs/${id}/events`)).json as Json[];
  const restart = async () => {
    await platform?.kill();
    platform = await startPlatformProcess(port, dataDir, apiKey);
  };
  const charges = (memo: string) =>
    tool.received.filter((r) => r.url === "/charges" && JSON.parse(r.body).memo === memo);
  const holdCharges = () =>
    tool.routes.set("/charges", (_req, res) => {
      held.push(res);
    });
  const answerCharges = () => tool.routes.delete("/charges");

  async function deploy(agent: string, permission: string) {
    const policy = await call("POST", "/policies", {
      name: `${agent}-policy`,
      spec: { policies: [{ permission, resource: "payments", operations: ["POST"] }] },
    });
    assert.equal(policy.status, 201, policy.text);
    const res = await call("POST", "/deploy", {
      agent_name: agent,
      source_files: { "agent.ts": PAY_AGENT },
      required_tools: ["payments"],
      policies: [`${agent}-policy`],
    });
    assert.ok(res.status === 200 || res.status === 201, res.text);
  }

  it("an approved once call in flight at the crash is called exactly once and the run fails with TOOL_OUTCOME_UNKNOWN, with no new approval", async () => {
    platform = await startPlatformProcess(port, dataDir, apiKey);
    assert.equal((await call("POST", "/tools", { name: "payments", base_url: tool.url })).status, 201);
    await deploy("pay-bot", "approval_required");
    await deploy("free-bot", "allow");
    await running("pay-bot");

    const invoke = await call("POST", "/agents/pay-bot/invoke", {
      message: "book it",
      user_id: "alice@example.com",
    });
    assert.equal(invoke.status, 200, invoke.text);
    const pause = (invoke.json as Json).approval_required as Json;
    const runId = (invoke.json as Json).run_id as string;
    assert.equal(pause.code, "APPROVAL_REQUIRED");

    holdCharges();
    const reached = tool.next();
    const approve = await call("POST", `/approvals/requests/${pause.request_id}/approve`, { scope: "once" });
    assert.equal(approve.status, 200, approve.text);
    await reached;
    await restart();

    const failed = await run(runId);
    assert.equal(failed.status, "FAILED");
    assert.equal(failed.failure.reason, "TOOL_OUTCOME_UNKNOWN");
    assert.equal(failed.failure.tool, "payments");
    assert.equal(failed.failure.tool_method, "POST");
    assert.equal(failed.failure.tool_url, `${tool.url}/charges`);
    assert.equal(failed.failure.payload_hash, sha256(JSON.stringify({ amount: 42, memo: "book it" })));
    assert.equal(failed.failure.action_id, pause.action_id);
    assert.match(failed.failure.error, /outcome is unknown, so it is not retried/);
    const types = (await events(runId)).map((e) => e.type);
    assert.equal(types.filter((t) => t === "APPROVAL_REQUIRED").length, 1, types.join(", "));
    assert.equal(types.at(-1), "FAILED");

    const requests = (await call("GET", `/approvals/requests?run_id=${runId}`)).json as Json[];
    assert.deepEqual(
      requests.map((r) => [r.id, r.status]),
      [[pause.request_id, "APPROVED"]],
      "no new approval request",
    );
    const again = await call("POST", `/approvals/requests/${pause.request_id}/approve`, { scope: "once" });
    assert.equal(again.status, 409, again.text);

    // A later approval flows through the same resume worker: once it has completed, any resume of
    // the crashed run would have been made too.
    answerCharges();
    await running("pay-bot");
    const next = await call("POST", "/agents/pay-bot/invoke", {
      message: "next one",
      user_id: "alice@example.com",
    });
    const nextPause = (next.json as Json).approval_required as Json;
    await call("POST", `/approvals/requests/${nextPause.request_id}/approve`, { scope: "once" });
    const done = await waitFor(
      async () => {
        const r = await run((next.json as Json).run_id);
        return (r.status === "COMPLETED" || r.status === "FAILED") && r;
      },
      "the later run to finish",
      60_000,
    );
    assert.equal(done.status, "COMPLETED", JSON.stringify(done));
    assert.equal(charges("book it").length, 1, "the approved call reached the tool exactly once");
    assert.equal(charges("next one").length, 1);
    assert.equal((await run(runId)).status, "FAILED");
  });

  it("an allowed call in flight at the crash leaves no run RUNNING: it fails with TOOL_OUTCOME_UNKNOWN at start-up", async () => {
    await running("free-bot");
    holdCharges();
    const reached = tool.next();
    const invoke = call("POST", "/agents/free-bot/invoke", {
      message: "free call",
      user_id: "bob@example.com",
    });
    invoke.catch(() => undefined); // the platform dies under it
    await reached;
    const runs = (await call("GET", "/runs?agent_id=free-bot")).json as Json[];
    const runId = runs.find((r) => r.status === "RUNNING")?.id as string;
    assert.ok(runId, JSON.stringify(runs));
    await restart();

    const failed = await run(runId);
    assert.equal(failed.status, "FAILED");
    assert.equal(failed.failure.reason, "TOOL_OUTCOME_UNKNOWN");
    assert.equal(failed.failure.tool_url, `${tool.url}/charges`);
    assert.equal(failed.failure.action_id, "");
    assert.equal(charges("free call").length, 1);
    const seqs = (await events(runId)).map((e) => e.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
      "gapless seq",
    );
    const stuck = ((await call("GET", "/runs?status=RUNNING")).json as Json[]).map((r) => r.id);
    assert.deepEqual(stuck, []);
  });
});

describe("start-up reconciliation of runs a previous process left behind", () => {
  let dataDir: string;
  let platform: TestPlatform;

  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "runagents-crash-"));
  });
  after(async () => {
    await platform?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const GONE = "boot-of-a-dead-process";
  const sent = (requestId: string) => ({
    type: "TOOL_REQUEST",
    actor: "bot",
    payloadHash: "sha256:abc",
    data: {
      tool: "payments",
      tool_method: "POST",
      tool_url: "http://127.0.0.1:9/charges",
      request_id: requestId,
      decision: "allow",
    },
  });
  const answered = (requestId: string) => ({
    type: "TOOL_RESPONSE",
    actor: "bot",
    data: { tool: "payments", request_id: requestId, status_code: 200 },
  });
  const running = (store: Store, owner: string) =>
    store.createRun({ workspace: "default", agentId: "bot", userId: "u", status: "RUNNING", owner });
  /** Writes runs through `seed` with one platform, then starts another on the same data dir. */
  async function restartOver<T>(seed: (store: Store) => Promise<T>): Promise<T> {
    const first = await startTestPlatform({ dataDir });
    const seeded = await seed(first.store);
    await first.close();
    platform = await startTestPlatform({ dataDir });
    return seeded;
  }

  it("a RUNNING run of a dead process fails with RUN_INTERRUPTED; unanswered calls fail with TOOL_OUTCOME_UNKNOWN; paused and outside-driven runs are kept", async () => {
    const ids = await restartOver(async (store) => {
      const interrupted = await running(store, GONE);
      const external = await running(store, "");
      const paused = await running(store, GONE);
      await transitionRun(store, "default", paused.id, "PAUSED_APPROVAL", { blockedActionId: "act-1" });
      const unknown = await running(store, GONE);
      for (const event of [sent("r1"), answered("r1"), sent("r2")])
        await store.appendEvent("default", unknown.id, event);
      const externalUnknown = await running(store, "");
      await store.appendEvent("default", externalUnknown.id, sent("r3"));
      return { interrupted, external, paused, unknown, externalUnknown };
    });
    const get = async (id: string) => runOf(platform, id);

    const interrupted = await get(ids.interrupted.id);
    assert.equal(interrupted.status, "FAILED");
    assert.equal(interrupted.failure.reason, "RUN_INTERRUPTED");
    assert.equal((await get(ids.external.id)).status, "RUNNING", "a run driven from outside is its driver's");
    assert.equal((await get(ids.paused.id)).status, "PAUSED_APPROVAL", "a paused run survives");
    const unknown = await get(ids.unknown.id);
    assert.equal(unknown.status, "FAILED");
    assert.equal(unknown.failure.reason, "TOOL_OUTCOME_UNKNOWN");
    assert.equal(unknown.failure.request_id, "r2", "the answered call is not the unknown one");
    assert.equal(unknown.failure.payload_hash, "sha256:abc");
    assert.deepEqual(
      unknown.failure.calls.map((c: Json) => c.request_id),
      ["r2"],
    );
    assert.equal((await get(ids.externalUnknown.id)).failure.reason, "TOOL_OUTCOME_UNKNOWN");
  });

  it("a resume interrupted after the agent made a call is not re-sent: the run fails with RUN_INTERRUPTED", async () => {
    await platform?.close();
    const runId = await restartOver(async (store) => {
      const r = await running(store, GONE);
      await store.appendEvent("default", r.id, { type: "RESUMED", data: { action_id: "act-9" } });
      await store.appendEvent("default", r.id, sent("r1"));
      await store.appendEvent("default", r.id, answered("r1"));
      await writeResumeJob(store, "default", {
        run_id: r.id,
        action_id: "act-9",
        request_id: "",
        agent: "bot",
        user_id: "u",
      });
      return r.id;
    });
    const failed = await waitFor(async () => {
      const r = await runOf(platform, runId);
      return r.status === "FAILED" && r;
    }, "the run to fail");
    assert.equal(failed.failure.reason, "RUN_INTERRUPTED");
    await waitFor(
      async () => (await platform.store.listResources(RESUME_QUEUE, "resume_job")).length === 0,
      "the job to be dropped",
    );
  });

  it("a resume interrupted before the agent made any call is re-sent and the run completes", async () => {
    await platform?.close();
    const runId = await restartOver(async (store) => {
      const r = await running(store, GONE);
      await store.appendEvent("default", r.id, { type: "RESUMED", data: { action_id: "act-7" } });
      await writeResumeJob(store, "default", {
        run_id: r.id,
        action_id: "act-7",
        request_id: "",
        agent: "bot",
        user_id: "u",
      });
      return r.id;
    });
    const agent = await startFakeAgent(platform, "bot", async () => ({ response: "done after restart" }));
    try {
      const done = await waitFor(async () => {
        const r = await runOf(platform, runId);
        return r.status !== "RUNNING" && r;
      }, "the run to finish");
      assert.equal(done.status, "COMPLETED", JSON.stringify(done));
      assert.deepEqual(
        agent.resumes.map((r) => r.actionId),
        ["act-7"],
      );
    } finally {
      await agent.close();
    }
  });
});

describe("an approved once call replayed again", () => {
  let platform: TestPlatform;
  let tool: ToolServer;
  before(async () => {
    platform = await startTestPlatform();
    tool = await startToolServer();
  });
  after(async () => {
    await tool.close();
    await platform.destroy();
  });

  it("is refused with 409 ALREADY_EXECUTED instead of asking for a new approval", async () => {
    const { egress } = await governedAgent(platform, {
      agent: "replayer",
      tool: { name: "payments", spec: { connection: { baseUrl: tool.url } } },
      rules: [{ permission: "approval_required", resource: "payments", operations: ["POST"] }],
    });
    const runId = await newRun(platform, "replayer");
    const body = JSON.stringify({ amount: 42 });
    const post = (headers: Record<string, string>) =>
      fetch(`${egress}/charges`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Run-ID": runId, ...headers },
        body,
      });
    const blocked = (await (await post({})).json()) as Json;
    assert.equal(blocked.code, "APPROVAL_REQUIRED");
    const approve = await platform.call("POST", `/approvals/requests/${blocked.request_id}/approve`, {
      scope: "once",
    });
    assert.equal(approve.status, 200, approve.text);
    const first = await post({ "X-Action-ID": blocked.action_id });
    assert.equal(first.status, 200, await first.text());
    const replay = await post({ "X-Action-ID": blocked.action_id });
    assert.equal(replay.status, 409);
    const refusal = (await replay.json()) as Json;
    assert.equal(refusal.code, "ALREADY_EXECUTED");
    assert.equal(refusal.action_id, blocked.action_id);
    assert.equal(tool.received.length, 1);
    const requests = (await platform.call("GET", `/approvals/requests?run_id=${runId}`)).json as Json[];
    assert.equal(requests.length, 1, "no new approval request");
  });
});

describe("checkpoints and agent tokens", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("a checkpoint posted with capability URLs is stored without any ra_agt_ token", async () => {
    const { token, egress } = await governedAgent(platform, {
      agent: "keeper",
      tool: { name: "payments", spec: { connection: { baseUrl: "http://127.0.0.1:9" } } },
      rules: [{ permission: "allow" }],
    });
    const runId = await newRun(platform, "keeper");
    const checkpoint = {
      action_id: "act-1",
      messages: [{ role: "user", content: "pay" }],
      pending_calls: [
        {
          tool_call_id: "c1",
          function_name: "payments",
          arguments: "{}",
          method: "POST",
          url: `${egress}/charges`,
          path: "/charges",
          tool_name: "payments",
        },
      ],
      llm_gateway_url: `${platform.url}/gateway/${token}/v1`,
    };
    const internal = `${platform.url}/internal/${token}/runs/${runId}/checkpoint`;
    const put = await platform.call("POST", internal, checkpoint);
    assert.equal(put.status, 201, put.text);

    const stored = await platform.store.listResources("default", "checkpoint");
    assert.equal(stored.length, 1);
    assert.doesNotMatch(JSON.stringify(stored), /ra_agt_/);
    const read = (await platform.call("GET", `${internal}/act-1`)).json as Json;
    assert.doesNotMatch(JSON.stringify(read), /ra_agt_/);
    assert.equal(read.pending_calls[0].path, "/charges");
    assert.equal(read.pending_calls[0].url, `${platform.url}/egress/[token]/payments/charges`);
  });
});
