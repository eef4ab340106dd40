import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { issueAgentToken } from "../../src/governance/agent-identity.js";
import { RESUME_QUEUE, ResumeWorker, writeResumeJob } from "../../src/governance/resume-worker.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import {
  call,
  governedAgent,
  newRun,
  runOf,
  startFakeAgent,
  startToolServer,
  type ToolServer,
  waitFor,
} from "./helpers.js";

describe("resume worker: a durable queue", () => {
  let tool: ToolServer;
  let dataDir: string;
  const cleanup: (() => Promise<void>)[] = [];

  before(async () => {
    tool = await startToolServer();
    dataDir = mkdtempSync(join(tmpdir(), "runagents-resume-queue-"));
  });
  after(async () => {
    for (const close of cleanup.reverse()) await close();
    await tool.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function blockedRun(platform: TestPlatform, agent: string) {
    const { egress } = await governedAgent(platform, {
      agent,
      tool: { name: "orders", spec: { connection: { baseUrl: tool.url } } },
      rules: [{ permission: "approval_required", resource: "orders" }],
    });
    const charge = (runId: string, headers: Record<string, string> = {}) =>
      call(`${egress}/orders`, {
        method: "POST",
        headers: { "X-Run-ID": runId, ...headers },
        body: '{"sku":"a"}',
      });
    const runId = await newRun(platform, agent, "carol@example.com");
    const blocked = (await charge(runId)).json;
    assert.equal(blocked.code, "APPROVAL_REQUIRED");
    return { runId, blocked, charge };
  }

  it("keeps an approved resume whose agent is not running across a restart, then finishes it", async () => {
    const first = await startTestPlatform({ dataDir });
    const { runId, blocked } = await blockedRun(first, "queued-agent");
    const approve = await first.call("POST", `/approvals/requests/${blocked.request_id}/approve`, {
      scope: "once",
    });
    assert.equal(approve.status, 200);
    const job = await waitFor(async () => {
      const record = await first.store.getResource(
        RESUME_QUEUE,
        "resume_job",
        `default/${blocked.action_id}`,
      );
      return record && (record.doc.attempts as number) >= 1 && record;
    }, "a failed first attempt");
    assert.equal(job.doc.last_error, "agent queued-agent is not running");
    assert.equal((await runOf(first, runId)).status, "PAUSED_APPROVAL", "nothing resumed without an agent");
    await first.close();

    const second = await startTestPlatform({ dataDir });
    cleanup.push(() => second.destroy());
    const before = tool.received.length;
    const agent = await replayingAgent(second, "queued-agent");
    // nothing is approved again: the restarted platform's worker finds the queued job by itself
    await waitFor(
      async () => (await runOf(second, runId)).status === "COMPLETED",
      "the run to complete",
      15_000,
    );
    assert.equal(tool.received.length, before + 1);
    assert.equal(agent.resumes.length, 1);
    assert.equal(
      await second.store.getResource(RESUME_QUEUE, "resume_job", `default/${blocked.action_id}`),
      undefined,
    );
  });

  /**
   * The agent process of a (restarted) platform: a new token, the same identity. On resume it
   * replays the blocked order through the egress and answers with the status it got.
   */
  async function replayingAgent(platform: TestPlatform, name: string) {
    const egress = `${platform.url}/egress/${await issueAgentToken(platform.store, "default", name)}/orders`;
    const agent = await startFakeAgent(platform, name, async ({ actionId, runId: id }) => {
      const replay = await call(`${egress}/orders`, {
        method: "POST",
        headers: { "X-Run-ID": id, "X-Action-ID": actionId },
        body: '{"sku":"a"}',
      });
      return { response: `ordered ${replay.status}` };
    });
    cleanup.push(agent.close);
    return agent;
  }

  /** What approving records first, without the events and listeners that follow it. */
  async function recordApproval(platform: TestPlatform, requestId: string) {
    const request = await platform.store.getResource("default", "access_request", requestId);
    assert.ok(request);
    await platform.store.putResource("default", "access_request", requestId, {
      ...request.doc,
      status: "APPROVED",
      scope: "once",
    });
  }

  it("writes the resume job before it records the approval", async () => {
    const platform = await startTestPlatform();
    cleanup.push(() => platform.destroy());
    const { blocked } = await blockedRun(platform, "ordered-agent");
    const writes: string[] = [];
    const put = platform.store.putResource.bind(platform.store);
    platform.store.putResource = (ws, kind, name, doc, options) => {
      writes.push(`${kind}:${(doc as { status?: string }).status ?? ""}`);
      return put(ws, kind, name, doc, options);
    };
    const approve = await platform.call("POST", `/approvals/requests/${blocked.request_id}/approve`, {
      scope: "once",
    });
    assert.equal(approve.status, 200);
    assert.ok(
      writes.indexOf("resume_job:") >= 0 &&
        writes.indexOf("resume_job:") < writes.indexOf("access_request:APPROVED"),
      writes.join(", "),
    );
  });

  it("finishes a resume whose approval was recorded just before the platform stopped", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runagents-resume-crash-"));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    const first = await startTestPlatform({ dataDir: dir });
    const { runId, blocked } = await blockedRun(first, "crash-agent");
    // What a platform stopped mid-approval leaves: the job, then the decision; no events, no listeners.
    await writeResumeJob(first.store, "default", {
      run_id: runId,
      action_id: blocked.action_id,
      request_id: blocked.request_id,
      agent: "crash-agent",
      user_id: "carol@example.com",
    });
    await recordApproval(first, blocked.request_id);
    await first.close();

    const second = await startTestPlatform({ dataDir: dir });
    cleanup.push(() => second.destroy());
    const agent = await replayingAgent(second, "crash-agent");
    await waitFor(
      async () => (await runOf(second, runId)).status === "COMPLETED",
      "the run to complete",
      15_000,
    );
    assert.equal(agent.resumes.length, 1);
    assert.equal(agent.resumes[0]?.answer.response, "ordered 200");
  });

  it("drops a job whose approval never landed, and the run stays paused", async () => {
    const platform = await startTestPlatform();
    cleanup.push(() => platform.destroy());
    const { runId, blocked } = await blockedRun(platform, "undecided-agent");
    const agent = await startFakeAgent(platform, "undecided-agent", async () => ({ response: "resumed" }));
    cleanup.push(agent.close);
    const worker = new ResumeWorker(platform.services, { decisionGraceMs: 0, pollMs: 60_000 });
    await writeResumeJob(platform.store, "default", {
      run_id: runId,
      action_id: blocked.action_id,
      request_id: blocked.request_id,
      agent: "undecided-agent",
      user_id: "carol@example.com",
    });
    await worker.drain();
    await worker.stop();
    assert.equal(
      await platform.store.getResource(RESUME_QUEUE, "resume_job", `default/${blocked.action_id}`),
      undefined,
    );
    assert.equal((await runOf(platform, runId)).status, "PAUSED_APPROVAL");
    assert.equal(agent.resumes.length, 0);
  });

  it("fails the run after the last attempt when the agent never comes back", async () => {
    const platform = await startTestPlatform();
    cleanup.push(() => platform.destroy());
    const { runId, blocked } = await blockedRun(platform, "gone-agent");
    await recordApproval(platform, blocked.request_id);
    // a worker of its own with a short backoff (the platform's own would take minutes to give up)
    const worker = new ResumeWorker(platform.services, { attempts: 2, backoffMs: 1, pollMs: 60_000 });
    await worker.enqueue("default", {
      run_id: runId,
      action_id: blocked.action_id,
      request_id: blocked.request_id,
      agent: "gone-agent",
      user_id: "carol@example.com",
    });
    await waitFor(async () => {
      await worker.drain();
      return (await runOf(platform, runId)).status === "FAILED";
    }, "the run to fail");
    await worker.stop();
    const events = (await platform.call("GET", `/runs/${runId}/events`)).json as any[];
    assert.equal(events.at(-1).type, "FAILED");
    assert.equal(events.at(-1).data.error, "could not resume the run: agent gone-agent is not running");
  });
});
