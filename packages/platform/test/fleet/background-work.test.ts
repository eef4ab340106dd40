/**
 * Background work across a fleet: approval-connector deliveries are durable jobs claimed in the
 * shared database, so with three replicas polling for them each new access request — created
 * through any replica — reaches the connector exactly once, and the queue ends empty.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { waitFor } from "../egress/helpers.js";
import { type Fleet, type Replica, startFleet } from "../helpers/replicas.js";
import { storeBackends } from "../helpers/stores.js";

type Json = Record<string, any>;

const postgres = (await storeBackends()).find((b) => b.name === "postgres");

describe("background work across replicas on one PostgreSQL database", {
  skip: postgres?.skip,
  timeout: 120_000,
}, () => {
  let fleet: Fleet;
  const received: Json[] = [];
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Json);
      res.writeHead(204).end();
    });
  });
  before(async () => {
    receiver.listen(0, "127.0.0.1");
    await once(receiver, "listening");
    fleet = await startFleet(3);
  });
  after(async () => {
    await fleet?.dispose();
    receiver.close();
  });

  it("delivers each new access request to the connector once, whichever replica created it", async () => {
    const replicas = fleet.replicas as Replica[];
    const port = (receiver.address() as AddressInfo).port;
    const connector = await replicas[0]!.call("POST", "/approval-connectors", {
      name: "fleet-hook",
      type: "webhook",
      endpoint: `http://127.0.0.1:${port}/hook`,
    });
    assert.equal(connector.status, 201, connector.text);
    const ids: string[] = [];
    for (let i = 0; i < 9; i++) {
      const res = await replicas[i % 3]!.call("POST", "/approvals/requests", {
        subject: `user-${i}`,
        tool_id: "ledger",
      });
      assert.equal(res.status, 201, res.text);
      ids.push((res.json as Json).id);
    }
    const client = new pg.Client({ connectionString: fleet.databaseUrl });
    await client.connect();
    try {
      await waitFor(async () => {
        const { rows } = await client.query(
          "SELECT count(*)::int AS n FROM resources WHERE workspace = '_connector-deliveries'",
        );
        return rows[0].n === 0 && received.length >= ids.length;
      }, "every delivery job to be done");
    } finally {
      await client.end();
    }
    const delivered = received
      .filter((body) => body.event === "approval.requested")
      .map((body) => body.request_id);
    assert.deepEqual([...delivered].sort(), [...ids].sort(), "each request once");
  });
});
