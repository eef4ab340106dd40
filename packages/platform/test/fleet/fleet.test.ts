/**
 * Issue 17, many replicas: three platform processes on one PostgreSQL database behave as one
 * platform. Agents deployed through different replicas are spread over all three; any replica
 * answers for any agent (invoke, stream, logs, approvals); a replica killed with SIGKILL under
 * load loses no acknowledged write, leaves no run RUNNING, and its agents run again on the others
 * (the time is printed); paused runs approved elsewhere resume with their tool called once; a
 * replica stopped with SIGTERM hands its agents over before it exits; and the routes replicas
 * use between them refuse anyone else.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { ReplicaAuth } from "../../src/deploy/placement/replica-auth.js";
import { startToolServer, type ToolServer } from "../egress/helpers.js";
import { type Fleet, type Replica as Process, startFleet } from "../helpers/replicas.js";
import { TEST_DATABASE_URL } from "../helpers/stores.js";

type Json = Record<string, any>;

/** A replica process with its name and the id it heartbeats with. */
interface Replica extends Process {
  name: string;
  id: string;
  alive(): boolean;
}

/** Polls `check` every 100 ms until it returns something other than undefined/false. */
async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  ms = 30_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const PAY_AGENT = `import { Agent } from "runagents";

const agent = new Agent();

export async function handler(request: { message: string }) {
  const result = await agent.callTool({ name: "payments", path: "/charges", payload: { amount: 42, memo: request.message } });
  return { response: "charged: " + JSON.stringify(result) };
}
`;

/** Fetches what the message names and answers the status it got (the sandbox test's probe, smaller). */
const PROBE_AGENT = `export async function handler(request: { message: string }) {
  try {
    const res = await fetch(request.message, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
    return { response: String(res.status) };
  } catch (error) {
    return { response: "error: " + String(error) };
  }
}
`;

const ALLOW_AGENTS = ["pay-1", "pay-2", "pay-3"];
const AGENTS = [...ALLOW_AGENTS, "gated", "probe"];

const postgres = await (async () => {
  const pg = await import("pg");
  const client = new pg.default.Client({
    connectionString: TEST_DATABASE_URL,
    connectionTimeoutMillis: 3000,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return `PostgreSQL not reachable at ${TEST_DATABASE_URL} (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
})();
const skip = postgres && process.env.RUNAGENTS_REQUIRE_POSTGRES !== "1" ? postgres : undefined;

describe("a fleet of three replicas on one PostgreSQL database", { skip }, () => {
  let fleet: Fleet;
  let db: pg.Client;
  let tool: ToolServer;
  let replicas: Replica[];
  const secretKey = randomBytes(24).toString("hex");
  const sql = async (text: string, params: unknown[] = []) => (await db.query(text, params)).rows as Json[];
  /** Every invoke answered 200, with the replica that answered it. */
  const acknowledged: { runId: string; agent: string; via: string }[] = [];

  const live = () => replicas.filter((r) => r.alive());
  const ownerOf = async (agent: string): Promise<string> => {
    const [row] = await sql("SELECT replica FROM agent_placements WHERE agent = $1", [agent]);
    return String(row?.replica ?? "");
  };
  const replicaById = (id: string) => replicas.find((r) => r.id === id) as Replica;
  const charges = (memo: string) =>
    tool.received.filter((r) => r.url === "/charges" && JSON.parse(r.body).memo === memo);
  const running = (via: Replica, agent: string) =>
    eventually(
      async () => ((await via.call("GET", `/agents/${agent}`)).json as Json)?.status?.phase === "Running",
      `${agent} to run`,
      60_000,
    );
  const invoke = async (via: Replica, agent: string, message: string) => {
    const res = await via.call("POST", `/agents/${agent}/invoke`, { message, user_id: "alice@example.com" });
    if (res.status === 200) acknowledged.push({ runId: (res.json as Json).run_id, agent, via: via.name });
    return res;
  };

  before(async () => {
    tool = await startToolServer();
    fleet = await startFleet(3, { env: { RUNAGENTS_SECRET_KEY: secretKey } });
    db = new pg.Client({ connectionString: fleet.databaseUrl });
    await db.connect();
    replicas = [];
    for (const process of fleet.replicas) {
      const [row] = await sql("SELECT id FROM replicas WHERE url = $1", [process.url]);
      const alive = () => process.child.exitCode === null && process.child.signalCode === null;
      replicas.push(Object.assign(process, { name: `r${process.index + 1}`, id: String(row?.id), alive }));
    }
    const [r1, r2, r3] = replicas as [Replica, Replica, Replica];
    assert.equal((await r1.call("POST", "/tools", { name: "payments", base_url: tool.url })).status, 201);
    for (const [name, permission] of [
      ["pay-allow", "allow"],
      ["pay-approval", "approval_required"],
    ]) {
      const policy = await r2.call("POST", "/policies", {
        name,
        spec: { policies: [{ permission, resource: "payments", operations: ["POST"] }] },
      });
      assert.equal(policy.status, 201, policy.text);
    }
    const deploys: [Replica, string, string, string][] = [
      [r1, "pay-1", PAY_AGENT, "pay-allow"],
      [r2, "pay-2", PAY_AGENT, "pay-allow"],
      [r3, "pay-3", PAY_AGENT, "pay-allow"],
      [r2, "gated", PAY_AGENT, "pay-approval"],
      [r3, "probe", PROBE_AGENT, "pay-allow"],
    ];
    for (const [via, name, source, policy] of deploys) {
      const res = await via.call("POST", "/deploy", {
        agent_name: name,
        source_files: { "agent.ts": source },
        required_tools: ["payments"],
        policies: [policy],
      });
      assert.ok(res.status === 200 || res.status === 201, res.text);
    }
    for (const agent of AGENTS) await running(r1, agent);
  });
  after(async () => {
    await db?.end();
    await fleet?.dispose();
    await tool?.close();
  });

  it("spreads the agents over all three replicas and names each agent's replica in its status", async () => {
    const owners = new Map<string, string>();
    for (const agent of AGENTS) owners.set(agent, await ownerOf(agent));
    assert.deepEqual(
      new Set(owners.values()),
      new Set(replicas.map((r) => r.id)),
      JSON.stringify([...owners]),
    );
    for (const agent of AGENTS) {
      for (const via of replicas) {
        const status = ((await via.call("GET", `/agents/${agent}`)).json as Json).status;
        assert.equal(status.replica, owners.get(agent), `${agent} seen through ${via.name}`);
      }
    }
  });

  it("answers any call on any replica: governed invokes, a streamed invoke and a followed log through a replica that does not run the agent", async () => {
    let n = 0;
    await Promise.all(
      replicas.flatMap((via) =>
        ALLOW_AGENTS.map(async (agent) => {
          const res = await invoke(via, agent, `spread ${n++}`);
          assert.equal(res.status, 200, res.text);
          assert.match((res.json as Json).response, /^charged: /);
        }),
      ),
    );
    const owner = await ownerOf("pay-1");
    const other = replicas.find((r) => r.id !== owner) as Replica;
    const stream = await fetch(`${other.api}/agents/pay-1/invoke/stream`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-RunAgents-API-Key": fleet.apiKey },
      body: JSON.stringify({ message: "streamed", user_id: "alice@example.com" }),
    });
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get("content-type") ?? "", /^text\/event-stream/);
    const runId = stream.headers.get("x-run-id") as string;
    const text = await stream.text();
    assert.match(text, new RegExp(`"type":"run","run_id":"${runId}"`));
    const streamed = await eventually(async () => {
      const run = (await other.call("GET", `/runs/${runId}`)).json as Json;
      return run.status === "COMPLETED" && run;
    }, "the streamed run to complete");
    assert.equal(streamed.agent_id, "pay-1");
    assert.equal(charges("streamed").length, 1);

    const follow = new AbortController();
    const logs = await fetch(`${other.api}/agents/pay-1/logs?follow=true&tail=5`, {
      headers: { "X-RunAgents-API-Key": fleet.apiKey },
      signal: follow.signal,
    });
    assert.equal(logs.status, 200);
    const reader = (logs.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    assert.match(first, /data: \{"type":"line"/);
    follow.abort();
    const tail = await other.call("GET", "/agents/pay-1/logs?tail=50");
    assert.equal(tail.status, 200);
    assert.ok(((tail.json as Json).lines as string[]).length > 0, tail.text);
  });

  it("refuses forwarded calls that are unsigned, forged, replayed or stale (401), and from an agent's sandbox (403)", async () => {
    const target = replicas[0] as Replica;
    const path = "/_fleet/v1/agents/default/pay-1/logs?tail=1";
    const get = (headers: Record<string, string>) => fetch(`${target.url}${path}`, { headers });
    const unsigned = await get({});
    assert.equal(unsigned.status, 401);
    assert.match(((await unsigned.json()) as Json).error, /not signed/);
    const key = createHash("sha256").update(secretKey).digest();
    const signed = new ReplicaAuth(key, "test-replica").sign({ method: "GET", path, body: "" });
    const forged = await get({ ...signed, "x-runagents-signature": `v1=${"0".repeat(64)}` });
    assert.equal(forged.status, 401);
    const otherPath = await fetch(`${target.url}/_fleet/v1/agents/default/pay-2/logs?tail=1`, {
      headers: signed,
    });
    assert.equal(otherPath.status, 401, "a signature covers its path");
    const good = await get(signed);
    assert.equal(good.status, 200, await good.text());
    const replayed = await get(signed);
    assert.equal(replayed.status, 401);
    assert.match(((await replayed.json()) as Json).error, /replay/);
    const stale = new ReplicaAuth(key, "test-replica", () => Date.now() - 120_000).sign({
      method: "GET",
      path,
      body: "",
    });
    assert.equal((await get(stale)).status, 401);
    const wrongKey = new ReplicaAuth(Buffer.alloc(32, 7), "test-replica").sign({
      method: "GET",
      path,
      body: "",
    });
    assert.equal((await get(wrongKey)).status, 401);

    // An agent: through its sandbox channel the route is not there for it (403); without a
    // sandbox it reaches the replica's port like any outsider and has no key to sign with (401).
    const probeOwner = replicaById(await ownerOf("probe"));
    const isolation = ((await probeOwner.call("GET", "/agents/probe")).json as Json).status.isolation;
    const forward = "/_fleet/v1/agents/default/pay-1/invoke";
    const url = isolation === "sandbox" ? `http://127.0.0.1:8092${forward}` : `${probeOwner.url}${forward}`;
    const probed = await probeOwner.call("POST", "/agents/probe/invoke", { message: url });
    process.stdout.write(
      `# fleet: an agent (isolation ${isolation}) calling ${forward} got ${(probed.json as Json)?.response}\n`,
    );
    assert.equal(probed.status, 200, probed.text);
    assert.equal(
      (probed.json as Json).response,
      isolation === "sandbox" ? "403" : "401",
      `isolation ${isolation}`,
    );
  });

  it("deletes an agent through a replica that does not run it: its replica stops it and a log followed through a third one ends", async () => {
    const res = await replicas[0]?.call("POST", "/deploy", {
      agent_name: "doomed",
      source_files: { "agent.ts": PAY_AGENT },
      required_tools: ["payments"],
      policies: ["pay-allow"],
    });
    assert.ok(res && (res.status === 200 || res.status === 201), res?.text);
    await running(replicas[0] as Replica, "doomed");
    const owner = await ownerOf("doomed");
    const [follower, deleter] = replicas.filter((r) => r.id !== owner) as [Replica, Replica];
    const logs = await fetch(`${follower.api}/agents/doomed/logs?follow=true&tail=1`, {
      headers: { "X-RunAgents-API-Key": fleet.apiKey },
    });
    assert.equal(logs.status, 200);
    const text = logs.text();
    assert.equal((await deleter.call("DELETE", "/agents/doomed")).status, 200);
    assert.match(await text, /"type":"end","reason":"agent doomed was deleted"/);
    assert.deepEqual(await sql("SELECT agent FROM agent_placements WHERE agent = 'doomed'"), []);
    assert.equal((await replicaById(owner).call("GET", "/agents/doomed")).status, 404);
  });

  it("survives a replica killed with SIGKILL under load: no acknowledged write lost, no run left RUNNING, its agents run again elsewhere, approvals resume exactly once", async () => {
    const victim = replicaById(await ownerOf("gated"));
    const survivors = replicas.filter((r) => r !== victim);
    // Runs paused for approval, through every replica, before the kill.
    const paused: { runId: string; requestId: string; memo: string }[] = [];
    for (const via of replicas) {
      const memo = `gated via ${via.name}`;
      const res = await invoke(via, "gated", memo);
      assert.equal(res.status, 200, res.text);
      const pause = (res.json as Json).approval_required as Json;
      assert.equal(pause.code, "APPROVAL_REQUIRED");
      paused.push({ runId: (res.json as Json).run_id, requestId: pause.request_id, memo });
    }
    const victimAgents: string[] = [];
    for (const agent of ALLOW_AGENTS) if ((await ownerOf(agent)) === victim.id) victimAgents.push(agent);

    // Load: invokes of every allowed agent through every replica, six at a time.
    let stop = false;
    let sent = 0;
    let killedAt = 0;
    const backAgain = new Map<string, number>();
    const worker = async (w: number) => {
      while (!stop) {
        const via = replicas[(sent + w) % replicas.length] as Replica;
        const agent = ALLOW_AGENTS[sent++ % ALLOW_AGENTS.length] as string;
        if (!via.alive()) continue;
        const res = await invoke(via, agent, `load ${sent}`).catch(() => undefined);
        if (res?.status === 200 && killedAt && victimAgents.includes(agent) && !backAgain.has(agent)) {
          backAgain.set(agent, Date.now() - killedAt);
        }
        if (res?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, (_, w) => worker(w)));
    await eventually(async () => acknowledged.length >= 30, "some load before the kill");
    await victim.kill();
    killedAt = Date.now();
    const victimAgentsBack = await eventually(
      async () => victimAgents.every((agent) => backAgain.has(agent)),
      "the dead replica's agents to run again",
      30_000,
    );
    assert.ok(victimAgentsBack);
    await eventually(async () => acknowledged.length >= 60, "more load after the kill");
    stop = true;
    await load;
    const gatedBack = await eventually(
      async () => {
        const owner = await ownerOf("gated");
        if (owner === victim.id) return false;
        const status = ((await (survivors[0] as Replica).call("GET", "/agents/gated")).json as Json).status;
        return status.phase === "Running" && status.replica === owner && Date.now() - killedAt;
      },
      "gated to run again",
      30_000,
    );
    const times = [...backAgain.values(), gatedBack];
    process.stdout.write(
      `# fleet: a killed replica's agents served again after ${times.map((t) => `${t} ms`).join(", ")} (${victimAgents.join(", ")}, gated)\n`,
    );
    assert.ok(Math.max(...times) <= 10_000, `agents ran again within 10 s: ${times.join(", ")}`);

    // Approvals of the paused runs, on the survivors: each resumes on the agent's new replica.
    for (const [i, pause] of paused.entries()) {
      const via = survivors[i % survivors.length] as Replica;
      const approve = await via.call("POST", `/approvals/requests/${pause.requestId}/approve`, {
        scope: "once",
      });
      assert.equal(approve.status, 200, approve.text);
    }
    for (const pause of paused) {
      const run = await eventually(
        async () => {
          const r = (await (survivors[1] as Replica).call("GET", `/runs/${pause.runId}`)).json as Json;
          return (r.status === "COMPLETED" || r.status === "FAILED") && r;
        },
        `run ${pause.runId} to finish`,
        60_000,
      ).catch(async (error) => {
        const events = (await (survivors[1] as Replica).call("GET", `/runs/${pause.runId}/events`))
          .json as Json[];
        const jobs = await sql("SELECT doc FROM resources WHERE kind = 'resume_job'");
        const run = (await (survivors[1] as Replica).call("GET", `/runs/${pause.runId}`)).json;
        throw new Error(
          `${(error as Error).message}; run ${JSON.stringify(run)}; events: ${events.map((e) => e.type).join(", ")}; jobs: ${JSON.stringify(jobs)}; replicas ${replicas.map((r) => `${r.name}=${r.id}`).join(" ")}`,
        );
      });
      assert.equal(run.status, "COMPLETED", JSON.stringify(run));
      assert.equal(
        charges(pause.memo).length,
        1,
        `the approved call for "${pause.memo}" reached the tool once`,
      );
    }

    // No run stays RUNNING: the dead replica's in-flight runs are reconciled by a survivor.
    const via = survivors[0] as Replica;
    const all = await eventually(
      async () => {
        const runs = ((await via.call("GET", "/runs?limit=1000")).json as Json[]) ?? [];
        return runs.every((r) => r.status !== "RUNNING") && runs;
      },
      "no run RUNNING",
      30_000,
    );
    const byId = new Map(all.map((r) => [r.id as string, r]));
    for (const ack of acknowledged) {
      const run = byId.get(ack.runId);
      assert.ok(run, `acknowledged run ${ack.runId} (${ack.agent} via ${ack.via}) is stored`);
      assert.ok(["COMPLETED", "PAUSED_APPROVAL"].includes(run.status) || ack.agent === "gated", run.status);
    }
    for (const run of all) {
      const seqs = ((await via.call("GET", `/runs/${run.id}/events`)).json as Json[]).map((e) => e.seq);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => i + 1),
        `run ${run.id} has gapless events`,
      );
    }
    for (const ack of acknowledged.filter((a) => ALLOW_AGENTS.includes(a.agent))) {
      assert.equal(byId.get(ack.runId)?.status, "COMPLETED");
    }
    process.stdout.write(
      `# fleet: ${acknowledged.length} acknowledged invokes, ${all.length} runs checked\n`,
    );
  });

  it("hands a replica's agents over on SIGTERM before it exits", async () => {
    const [leaving, staying] = live() as [Replica, Replica];
    const before = await sql("SELECT agent FROM agent_placements WHERE replica = $1", [leaving.id]);
    assert.ok(before.length > 0, "the leaving replica supervises agents");
    await leaving.stop();
    const placements = await sql("SELECT agent, replica, version, running_version FROM agent_placements");
    for (const placement of placements) {
      assert.equal(placement.replica, staying.id, `${placement.agent} moved to the staying replica`);
      assert.equal(placement.running_version, placement.version, `${placement.agent} already runs there`);
    }
    assert.deepEqual(
      (await sql("SELECT id FROM replicas")).map((r) => r.id),
      [staying.id],
      "the leaving replica removed itself",
    );
    for (const row of before) {
      const res = await invoke(staying, row.agent, `after the handover of ${row.agent}`);
      if (row.agent === "probe") continue;
      assert.equal(res.status, 200, res.text);
    }
  });
});
