/**
 * `runagents runs …` against a real platform: `-o json` prints what the REST API returned (its
 * snake_case shape), and the filters and limit are the platform's.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { cliWithPlatform } from "./helpers.js";

const env = cliWithPlatform();
let runId = "";

/** Three runs of json-agent in one conversation; the last has an event and is COMPLETED. */
async function seedRuns(): Promise<void> {
  if (runId) return;
  for (const user of ["alice@example.com", "bob@example.com", "alice@example.com"]) {
    const res = await env.platform.call("POST", "/runs", {
      agent_id: "json-agent",
      user_id: user,
      conversation_id: "conv-1",
      initial_message: "hello",
    });
    assert.equal(res.status, 201, res.text);
    runId = (res.json as { id: string }).id;
  }
  await env.platform.call("POST", `/runs/${runId}/events`, {
    type: "AGENT_MESSAGE",
    data: { content: "hi" },
  });
  await env.platform.call("PATCH", `/runs/${runId}`, { status: "COMPLETED" });
}

const json = async (...args: string[]): Promise<unknown> => JSON.parse(await env.ok(...args, "-o", "json"));
const api = async (path: string): Promise<unknown> => (await env.platform.call("GET", path)).json;

describe("runs -o json prints the REST API's answer", () => {
  before(seedRuns);
  test("list, get, events and wait print the platform's snake_case bodies", async () => {
    assert.deepEqual(
      await json("runs", "list", "--agent", "json-agent", "--user", "alice@example.com", "--limit", "1"),
      await api("/runs?agent_id=json-agent&user_id=alice%40example.com&limit=1"),
    );
    const got = (await json("runs", "get", runId)) as Record<string, unknown>;
    assert.deepEqual(got, await api(`/runs/${runId}`));
    assert.equal(got.agent_id, "json-agent");
    assert.equal("agentId" in got, false);
    assert.deepEqual(
      await json("runs", "events", runId, "--type", "agent_message"),
      await api(`/runs/${runId}/events?type=AGENT_MESSAGE`),
    );
    assert.deepEqual(await json("runs", "wait", runId), await api(`/runs/${runId}`));
  });

  test("timeline and export carry the run and events as the API sent them", async () => {
    const exported = (await json("runs", "export", runId)) as Record<string, unknown>;
    assert.deepEqual(exported.run, await api(`/runs/${runId}`));
    assert.deepEqual(exported.events, await api(`/runs/${runId}/events`));
    assert.deepEqual(
      (exported.timeline as { type: string }[]).map((t) => t.type),
      ["RUN_CREATED", "AGENT_MESSAGE", "COMPLETED"],
    );
    const timeline = (await json("runs", "timeline", runId)) as Record<string, unknown>;
    assert.deepEqual(timeline.run, exported.run);
    assert.deepEqual(timeline.timeline, exported.timeline);
  });
});

describe("runs list filters", () => {
  before(seedRuns);
  test("--limit keeps the newest runs; more than 1000 is a usage error", async () => {
    const all = (await json("runs", "list", "--agent", "json-agent")) as { id: string }[];
    assert.equal(all.length, 3);
    const two = (await json("runs", "list", "--agent", "json-agent", "--limit", "2")) as { id: string }[];
    assert.deepEqual(
      two.map((r) => r.id),
      all.slice(0, 2).map((r) => r.id),
    );
    const table = await env.ok("runs", "list", "--agent", "json-agent", "--user", "bob@example.com");
    assert.equal(table.trimEnd().split("\n").length, 3, table);
    assert.deepEqual(await env.cli("runs", "list", "--limit", "1001"), {
      code: 2,
      stdout: "",
      stderr: "Error: --limit must be at most 1000 (0 for all)\n",
    });
  });
});
