/**
 * Live feeds across a fleet: replicas on one PostgreSQL database (test/helpers/replicas.ts). An
 * event written through one replica reaches the SSE followers of another as it is committed (the
 * append's NOTIFY wakes them, no polling), and a stream ticket issued by one replica opens the
 * stream once on any.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Fleet, type Replica, startFleet } from "../helpers/replicas.js";
import { openStream } from "../helpers/sse.js";
import { storeBackends } from "../helpers/stores.js";

type Json = Record<string, any>;

const postgres = (await storeBackends()).find((b) => b.name === "postgres");

const newRun = async (replica: Replica, agent: string): Promise<string> => {
  const res = await replica.call("POST", "/runs", { agent_id: agent, user_id: "alice" });
  assert.equal(res.status, 201, res.text);
  return (res.json as Json).id;
};

describe("live feeds across replicas on one PostgreSQL database", {
  skip: postgres?.skip,
  timeout: 120_000,
}, () => {
  let fleet: Fleet;
  let a: Replica;
  let b: Replica;
  before(async () => {
    fleet = await startFleet(2);
    [a, b] = fleet.replicas as [Replica, Replica];
  });
  after(() => fleet?.dispose());

  it("streams on replica A the events written through replica B, in order, as they commit", async () => {
    const headers = { "X-RunAgents-API-Key": fleet.apiKey };
    const all = await openStream(a.url, "/api/v1/events/stream", headers);
    assert.equal(all.status, 200, all.body);
    const runId = await newRun(b, "fleet-feed");
    const byRun = await openStream(a.url, `/api/v1/events/stream?run=${runId}&kind=AGENT_MESSAGE`, headers);
    assert.equal(byRun.status, 200, byRun.body);

    const created = await all.next();
    assert.deepEqual([created.data.type, created.data.run_id], ["RUN_CREATED", runId]);
    for (const message of ["one", "two", "three"]) {
      const res = await b.call("POST", `/runs/${runId}/events`, { type: "AGENT_MESSAGE", data: { message } });
      assert.equal(res.status, 201, res.text);
    }
    const seen: string[] = [];
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const event = await all.next();
      seen.push(event.data.data.message);
      ids.push(Number(event.id));
    }
    assert.deepEqual(seen, ["one", "two", "three"]);
    assert.ok(
      ids.every((id, i) => i === 0 || id > (ids[i - 1] as number)),
      `growing ids ${ids}`,
    );
    assert.deepEqual(
      [(await byRun.next()).data.data.message, (await byRun.next()).data.data.message],
      ["one", "two"],
    );
    all.close();
    byRun.close();
  });

  it("redeems a ticket from replica A once on replica B (the console's SSE behind a load balancer)", async () => {
    const issued = await a.call("POST", "/events/stream-ticket", {});
    assert.equal(issued.status, 201, issued.text);
    const ticket = (issued.json as Json).ticket as string;
    const onB = await openStream(b.url, `/api/v1/events/stream?ticket=${ticket}`);
    assert.equal(onB.status, 200, onB.body);
    const again = await openStream(a.url, `/api/v1/events/stream?ticket=${ticket}`);
    assert.equal(again.status, 401, "one use, whichever replica");
    assert.match(JSON.parse(again.body).error, /invalid, used or expired stream ticket/);
    const runId = await newRun(a, "ticket-feed");
    const created = await onB.next();
    assert.deepEqual([created.data.type, created.data.run_id], ["RUN_CREATED", runId]);
    onB.close();
  });

  it("stores tickets only hashed: the ticket itself is nowhere in the database", async () => {
    const issued = await b.call("POST", "/events/stream-ticket", {});
    const ticket = (issued.json as Json).ticket as string;
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: fleet.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT count(*)::int AS n FROM resources WHERE name LIKE $1 OR doc LIKE $1",
        [`%${ticket}%`],
      );
      assert.equal(rows[0].n, 0);
    } finally {
      await client.end();
    }
  });
});
