/**
 * What the console's agent screens need from the API, over real HTTP with real agent processes:
 * `POST /agents/{name}/redeploy` (develop role: a viewer key is refused), the configuration's
 * optimistic concurrency (`config_version` / `expected_config_version` → 409 when stale), and
 * the live feed's `approvals=true` and `agents=true` channels (a pending request without a run
 * counts; an agent's phase changes arrive without polling).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { phaseIs, startAgentPlatform, waitForAgent } from "../deploy/helpers.js";
import type { TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;

const AGENT = `export async function handler(request) {
  return { response: "ok: " + request.message };
}
`;

interface NamedEvent {
  event: string;
  data: Json;
}

/** Reads named SSE events (`event:` + `data:`) off a fetch body; `until` waits for a match. */
class NamedEvents {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";
  readonly seen: NamedEvent[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The first event (from now) that matches; fails after 20 s, naming what it saw. */
  until(match: (e: NamedEvent) => boolean): Promise<NamedEvent> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no matching event in 20 s; seen: ${JSON.stringify(this.seen)}`)),
        20_000,
      );
    });
    return Promise.race([this.#until(match), late]).finally(() => clearTimeout(timer));
  }

  async #until(match: (e: NamedEvent) => boolean): Promise<NamedEvent> {
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event = line.slice(7);
          if (line.startsWith("data: ")) data.push(line.slice(6));
        }
        if (data.length === 0) continue;
        const found = { event, data: JSON.parse(data.join("\n")) as Json };
        this.seen.push(found);
        if (match(found)) return found;
        continue;
      }
      const { done, value } = await this.#reader.read();
      if (done) throw new Error(`the stream ended; seen: ${JSON.stringify(this.seen)}`);
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }

  close(): void {
    void this.#reader.cancel();
  }
}

async function openFeed(platform: TestPlatform, query: string): Promise<NamedEvents> {
  const res = await fetch(`${platform.api}/events/stream?${query}`, {
    headers: { ...platform.authHeaders, Accept: "text/event-stream" },
  });
  assert.equal(res.status, 200);
  return new NamedEvents(res.body as ReadableStream<Uint8Array>);
}

async function keyWithRole(platform: TestPlatform, role: string): Promise<Record<string, string>> {
  const res = await platform.call("POST", "/auth/api-keys", { name: `${role}-key`, role });
  assert.equal(res.status, 201, res.text);
  return { "X-RunAgents-API-Key": (res.json as Json).token };
}

describe("operating an agent through the API", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startAgentPlatform();
    const res = await platform.call("POST", "/deploy", {
      agent_name: "operated",
      source_files: { "agent.mjs": AGENT },
      entry_point: "agent.mjs",
    });
    assert.equal(res.status, 201, res.text);
    await waitForAgent(platform, "operated", phaseIs("Running"));
  });
  after(() => platform.destroy());

  it("redeploys an agent: 202, then Running again, and the feed tells the phases", async () => {
    const feed = await openFeed(platform, "agents=true");
    const res = await platform.call("POST", "/agents/operated/redeploy");
    assert.equal(res.status, 202, res.text);
    const body = res.json as Json;
    assert.equal(body.agent, "operated");
    assert.equal(body.version, 1);
    assert.equal(typeof body.phase, "string");
    // The serving process keeps serving while the new one starts; both states arrive on the feed.
    await feed.until(
      (e) => e.event === "agent" && e.data.name === "operated" && /deploying version 1/.test(e.data.message),
    );
    const running = await feed.until(
      (e) =>
        e.event === "agent" &&
        e.data.name === "operated" &&
        e.data.phase === "Running" &&
        e.data.message === "version 1 is running",
    );
    assert.equal(running.data.version, 1);
    feed.close();
    assert.equal((await platform.call("POST", "/agents/nobody/redeploy")).status, 404);
  });

  it("lists the agent's versions, newest first, with the one serving", async () => {
    const again = await platform.call("POST", "/deploy", {
      agent_name: "operated",
      source_files: { "agent.mjs": `${AGENT}// v2\n` },
      entry_point: "agent.mjs",
    });
    assert.equal(again.status, 201, again.text);
    await waitForAgent(platform, "operated", (a) => a.status?.phase === "Running" && a.status?.version === 2);
    const res = await platform.call("GET", "/agents/operated/versions");
    assert.equal(res.status, 200, res.text);
    const body = res.json as Json;
    assert.equal(body.serving, 2);
    assert.deepEqual(
      body.versions.map((v: Json) => v.version),
      [2, 1],
    );
    assert.notEqual(body.versions[0].digest, body.versions[1].digest);
    assert.ok(Date.parse(body.versions[0].deployed_at) >= Date.parse(body.versions[1].deployed_at));
    assert.equal((await platform.call("GET", "/agents/nobody/versions")).status, 404);
  });

  it("refuses a redeploy from a viewer key (403) and allows it to a developer key", async () => {
    const viewer = await keyWithRole(platform, "viewer");
    const refused = await platform.call("POST", "/agents/operated/redeploy", undefined, viewer);
    assert.equal(refused.status, 403, refused.text);
    assert.match((refused.json as Json).error, /develop/);
    const developer = await keyWithRole(platform, "developer");
    const allowed = await platform.call("POST", "/agents/operated/redeploy", undefined, developer);
    assert.equal(allowed.status, 202, allowed.text);
    await waitForAgent(platform, "operated", phaseIs("Running"));
  });

  it("updates the configuration only from the version it was read at (409 when stale)", async () => {
    const read = (await platform.call("GET", "/agents/operated/config")).json as Json;
    assert.match(read.config_version, /^[0-9a-f]{16}$/);
    // Someone else saves first.
    const first = await platform.call("PUT", "/agents/operated/config", {
      system_prompt: "first writer",
      expected_config_version: read.config_version,
    });
    assert.equal(first.status, 200, first.text);
    const after1 = first.json as Json;
    assert.notEqual(after1.config_version, read.config_version);
    // The stale edit is refused in words, and changes nothing.
    const stale = await platform.call("PUT", "/agents/operated/config", {
      system_prompt: "second writer",
      expected_config_version: read.config_version,
    });
    assert.equal(stale.status, 409, stale.text);
    assert.match((stale.json as Json).error, /changed since you read it.*reload/);
    const now = (await platform.call("GET", "/agents/operated/config")).json as Json;
    assert.equal(now.system_prompt, "first writer");
    assert.equal(now.config_version, after1.config_version);
    // The agent's own status changes (restart after the save) do not change the version.
    await waitForAgent(platform, "operated", phaseIs("Running"));
    const settled = (await platform.call("GET", "/agents/operated/config")).json as Json;
    assert.equal(settled.config_version, after1.config_version);
    // A fetched config sent back as is (with its version) is accepted.
    const resent = await platform.call("PUT", "/agents/operated/config", {
      ...settled,
      system_prompt: "resent",
      expected_config_version: settled.config_version,
    });
    assert.equal(resent.status, 200, resent.text);
    const bad = await platform.call("PUT", "/agents/operated/config", {
      system_prompt: "x",
      expected_config_version: 7,
    });
    assert.equal(bad.status, 400, bad.text);
    await waitForAgent(platform, "operated", phaseIs("Running"));
  });

  it("counts every pending approval request on the feed, also one without a run", async () => {
    const feed = await openFeed(platform, "approvals=true");
    const start = await feed.until((e) => e.event === "approval");
    assert.equal(start.data.pending, 0);
    const created = await platform.call("POST", "/approvals/requests", {
      subject: "carol",
      tool_id: "crm",
      agent_id: "operated",
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.json && (created.json as Json).run_id, "");
    assert.equal((await feed.until((e) => e.event === "approval")).data.pending, 1);
    // Another workspace's request is not counted here (nor sent at all).
    const elsewhere = await platform.call("POST", "/workspaces/other-team/approvals/requests", {
      subject: "erin",
      tool_id: "crm",
    });
    assert.equal(elsewhere.status, 201, elsewhere.text);
    const id = (created.json as Json).id;
    const rejected = await platform.call("POST", `/approvals/requests/${id}/reject`, { reason: "no" });
    assert.equal(rejected.status, 200, rejected.text);
    assert.equal((await feed.until((e) => e.event === "approval")).data.pending, 0);
    assert.deepEqual(
      feed.seen.filter((e) => e.event === "approval").map((e) => e.data.pending),
      [0, 1, 0],
      "the other workspace's request moved nothing",
    );
    feed.close();
    const bad = await fetch(`${platform.api}/events/stream?approvals=maybe`, {
      headers: { ...platform.authHeaders, Accept: "text/event-stream" },
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as Json).error, /approvals must be true or false/);
  });

  it("tells the feed when an agent is deleted", async () => {
    const deploy = await platform.call("POST", "/deploy", {
      agent_name: "short-lived",
      source_files: { "agent.mjs": AGENT },
      entry_point: "agent.mjs",
    });
    assert.equal(deploy.status, 201, deploy.text);
    await waitForAgent(platform, "short-lived", phaseIs("Running"));
    const feed = await openFeed(platform, "agents=true");
    assert.equal((await platform.call("DELETE", "/agents/short-lived")).status, 200);
    await feed.until(
      (e) => e.event === "agent" && e.data.name === "short-lived" && e.data.phase === "Deleted",
    );
    feed.close();
  });
});
