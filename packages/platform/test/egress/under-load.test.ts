/**
 * The governed egress under concurrent load (group commit, cached run rows and chain tips): every
 * call is recorded exactly once with both its events, on the right run, each run's sequence is
 * gapless and its hash chain links; a run that ends mid-load takes no events after its outcome.
 * Asserts behaviour only, never timing.
 */
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { transitionRun } from "../../src/governance/runs.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { governedAgent, newRun, startToolServer, type ToolServer } from "./helpers.js";

const RUNS = 4;
const CALLS_PER_RUN = 150;
const CONCURRENCY = 48;

describe("egress under load", () => {
  let platform: TestPlatform;
  let tool: ToolServer;
  let egress: string;

  before(async () => {
    platform = await startTestPlatform();
    tool = await startToolServer();
    ({ egress } = await governedAgent(platform, {
      agent: "load-agent",
      tool: {
        name: "inv",
        spec: {
          connection: { baseUrl: tool.url },
          capabilities: [{ name: "items", method: "GET", path: "/items" }],
        },
      },
      rules: [{ permission: "allow", resource: `${tool.url}/items*`, operations: ["GET"] }],
    }));
  });
  after(async () => {
    await platform.destroy();
    await tool.close();
  });

  /** Sends every call with `CONCURRENCY` in flight over keep-alive; returns each call's status. */
  async function fire(calls: { runId: string; i: number }[]): Promise<number[]> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const statuses: number[] = new Array(calls.length);
    let next = 0;
    const one = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const c = calls[n] as { runId: string; i: number };
        const req = http.get(
          `${egress}/items?call=${c.runId}-${c.i}`,
          { agent, headers: { "X-Run-ID": c.runId } },
          (res) => {
            res.resume();
            res.on("end", () => {
              statuses[n] = res.statusCode ?? 0;
              resolve();
            });
          },
        );
        req.on("error", reject);
      });
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < calls.length) await one(next++);
      }),
    );
    agent.destroy();
    return statuses;
  }

  it("records every call exactly once, on its run, with gapless linked sequences", async () => {
    const runIds: string[] = [];
    for (let r = 0; r < RUNS; r++) runIds.push(await newRun(platform, "load-agent", `user-${r}`));
    const calls = runIds.flatMap((runId) => Array.from({ length: CALLS_PER_RUN }, (_, i) => ({ runId, i })));
    // Interleave the runs so that every group commit mixes them.
    calls.sort((a, b) => a.i - b.i);
    const statuses = await fire(calls);
    assert.ok(
      statuses.every((s) => s === 200),
      `statuses: ${[...new Set(statuses)].join(",")}`,
    );
    assert.equal(tool.received.length, calls.length);
    for (const runId of runIds) {
      const events = await platform.store.listChainedEvents("default", runId, { afterSeq: 0, limit: 10_000 });
      assert.deepEqual(
        events.map((e) => e.seq),
        events.map((_, n) => n + 1),
        "gapless",
      );
      for (const [n, e] of events.entries()) {
        assert.equal(e.prevHash, n === 0 ? "" : events[n - 1]?.hash, `link ${e.seq}`);
      }
      const all = await platform.store.listEvents("default", runId);
      const requests = all.filter((e) => e.type === "TOOL_REQUEST");
      const responses = all.filter((e) => e.type === "TOOL_RESPONSE");
      assert.equal(requests.length, CALLS_PER_RUN);
      assert.equal(responses.length, CALLS_PER_RUN);
      const urls = new Set(requests.map((e) => String(e.data.tool_url)));
      assert.equal(urls.size, CALLS_PER_RUN, "each call once");
      for (const url of urls) assert.ok(url.includes(`call=${runId}-`), `${url} recorded on its own run`);
      for (const e of responses) assert.equal(e.data.status_code ?? e.data.status, 200);
    }
  });

  it("a run that ends mid-load takes no event after its outcome; later calls go to an audit run", async () => {
    const runId = await newRun(platform, "load-agent", "user-end");
    const calls = Array.from({ length: 200 }, (_, i) => ({ runId, i }));
    const firing = fire(calls);
    // End the run once some calls have been recorded on it.
    for (;;) {
      const seen = await platform.store.listEvents("default", runId, { type: "TOOL_REQUEST", limit: 5 });
      if (seen.length >= 5) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await transitionRun(platform.store, "default", runId, "FAILED", { data: { error: "ended under load" } });
    const statuses = await firing;
    assert.ok(statuses.every((s) => s === 200));
    const events = await platform.store.listEvents("default", runId);
    const failed = events.findIndex((e) => e.type === "FAILED");
    assert.ok(failed !== -1);
    const after = events.slice(failed + 1).map((e) => e.type);
    // No call starts on an ended run; a call already under way when it ended keeps its response
    // beside its request (the wire's truth), so only TOOL_RESPONSE may follow the outcome.
    assert.ok(
      after.every((t) => t === "TOOL_RESPONSE"),
      `after FAILED: ${after.join(",")}`,
    );
    const requests = events.filter((e) => e.type === "TOOL_REQUEST").length;
    const responses = events.filter((e) => e.type === "TOOL_RESPONSE").length;
    assert.equal(responses, requests, "every call that started on the run has its response there");
  });
});
