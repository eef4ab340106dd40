/**
 * Graceful shutdown of a replica (SIGTERM: `drain.ts`): it stops taking connections, answers the
 * requests in flight, ends its live feeds (their clients go to another replica), and exits 0;
 * the other replicas keep serving. A second signal exits 1 at once; a request still running at
 * RUNAGENTS_DRAIN_TIMEOUT is cut and the drain goes on.
 */
import assert from "node:assert/strict";
import { type ClientRequest, type IncomingMessage, request } from "node:http";
import { after, before, describe, it } from "node:test";
import { type Fleet, type Replica, startFleet } from "../helpers/replicas.js";
import { openStream } from "../helpers/sse.js";
import { storeBackends } from "../helpers/stores.js";

type Json = Record<string, any>;

const postgres = (await storeBackends()).find((b) => b.name === "postgres");

/**
 * A `POST /runs` whose body arrives only when `finish()` is called: in flight on the server
 * (its headers are in) until then.
 */
function slowCreateRun(replica: Replica, apiKey: string) {
  const body = JSON.stringify({ agent_id: "drain-agent", user_id: "alice" });
  const url = new URL(`${replica.api}/runs`);
  let req: ClientRequest | undefined;
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        agent: false,
        headers: {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
          "X-RunAgents-API-Key": apiKey,
        },
      },
      (res: IncomingMessage) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.write(body.slice(0, 5));
  });
  response.catch(() => undefined);
  return {
    response,
    finish: () => req?.end(body.slice(5)),
  };
}

/** Resolves once the replica has begun draining (it logs it). */
const draining = (replica: Replica) => replica.logged(/"draining"/);

describe("a replica's graceful shutdown", { skip: postgres?.skip, timeout: 120_000 }, () => {
  let fleet: Fleet;
  before(async () => {
    fleet = await startFleet(2, { env: { RUNAGENTS_LOG_LEVEL: "info" } });
  });
  after(() => fleet?.dispose());

  it("answers requests in flight, ends its feeds, refuses new connections, exits 0; the fleet keeps serving", async () => {
    const [a, b] = fleet.replicas as [Replica, Replica];
    const feed = await openStream(a.url, "/api/v1/events/stream", { "X-RunAgents-API-Key": fleet.apiKey });
    assert.equal(feed.status, 200);
    const slow = slowCreateRun(a, fleet.apiKey);
    // The request is in flight once the server has its headers: a health call after it proves that.
    assert.equal((await a.call("GET", "/runs?limit=1")).status, 200);
    a.child.kill("SIGTERM");
    await draining(a);
    await feed.ended; // its client reconnects elsewhere
    await assert.rejects(fetch(`${a.api}/runs`), "no new connections");
    slow.finish();
    const answered = await slow.response;
    assert.equal(answered.status, 201, answered.text);
    const runId = (JSON.parse(answered.text) as Json).id as string;
    assert.deepEqual(await a.exited, { code: 0, signal: null });
    const onB = await b.call("GET", `/runs/${runId}`);
    assert.equal(onB.status, 200, "the write acknowledged during the drain is in the database");
    assert.equal((onB.json as Json).agent_id, "drain-agent");
  });

  it("exits 1 at once on a second signal", async () => {
    const c = await fleet.add({ RUNAGENTS_LOG_LEVEL: "info" });
    const slow = slowCreateRun(c, fleet.apiKey);
    assert.equal((await c.call("GET", "/runs?limit=1")).status, 200);
    c.child.kill("SIGTERM");
    await draining(c);
    assert.deepEqual(await c.stop("SIGTERM"), { code: 1, signal: null });
    await assert.rejects(slow.response);
  });

  it("cuts a request still running at the drain timeout and exits 0", async () => {
    const d = await fleet.add({ RUNAGENTS_LOG_LEVEL: "info", RUNAGENTS_DRAIN_TIMEOUT: "0.5" });
    const slow = slowCreateRun(d, fleet.apiKey);
    assert.equal((await d.call("GET", "/runs?limit=1")).status, 200);
    assert.deepEqual(await d.stop("SIGTERM"), { code: 0, signal: null });
    await assert.rejects(slow.response, "the request was cut");
    assert.match(d.logs(), /drain timeout: cutting requests in flight/);
  });
});
