/**
 * Replicas on one database reconcile the runs of a replica that died (`replica-liveness.ts`):
 * its liveness lease lapses, another replica takes it, and that replica fails the dead one's
 * in-flight runs (RUN_INTERRUPTED) — while the runs of live replicas are left alone.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ReplicaLiveness } from "../../src/governance/replica-liveness.js";
import { silentLogger } from "../../src/log.js";
import { LEASES } from "../../src/store/lease.js";
import type { Store } from "../../src/store/store.js";
import { type StoreFixture, storeBackends } from "../helpers/stores.js";

for (const backend of await storeBackends()) {
  describe(`replica liveness on ${backend.name}`, { skip: backend.skip }, () => {
    let fixture: StoreFixture;
    before(async () => {
      fixture = await backend.fixture();
    });
    after(() => fixture?.dispose());

    it("fails the in-flight runs of a replica whose lease lapsed, and only those, once", async () => {
      const [a, b, c] = [fixture.open(), fixture.open(), fixture.open()] as [Store, Store, Store];
      const live = new ReplicaLiveness({ store: b, log: silentLogger, bootId: "boot-live" });
      const reaper = new ReplicaLiveness({ store: c, log: silentLogger, bootId: "boot-reaper" });
      await live.start();
      await reaper.start();
      // The dead replica's lease: taken, then not renewed (its claim ran out a minute ago).
      await a.putResource(LEASES, "setting", "replica/boot-dead", {});
      await a.claimResources(LEASES, "setting", "boot-dead", {
        name: "replica/boot-dead",
        limit: 1,
        leaseMs: 1000,
        now: Date.now() - 60_000,
      });
      const dead = await a.createRun({
        workspace: "ws",
        agentId: "x",
        userId: "u",
        status: "RUNNING",
        owner: "boot-dead",
      });
      const paused = await a.createRun({
        workspace: "ws",
        agentId: "x",
        userId: "u",
        status: "PAUSED_APPROVAL",
        owner: "boot-dead",
      });
      const alive = await a.createRun({
        workspace: "ws",
        agentId: "x",
        userId: "u",
        status: "RUNNING",
        owner: "boot-live",
      });
      try {
        assert.equal(await live.gone("boot-reaper"), false, "a live replica is not gone");
        await reaper.reap();
        await fixture.settle(a);
        assert.equal((await a.getRun("ws", dead.id))?.status, "FAILED");
        const events = await a.listEvents("ws", dead.id);
        assert.deepEqual(
          events.map((e) => e.type),
          ["FAILED"],
        );
        assert.match(JSON.stringify(events[0]?.data), /RUN_INTERRUPTED/);
        assert.equal((await a.getRun("ws", alive.id))?.status, "RUNNING", "the live replica's run goes on");
        const waiting = await a.getRun("ws", paused.id);
        assert.deepEqual(
          [waiting?.status, waiting?.owner],
          ["PAUSED_APPROVAL", ""],
          "a paused run waits for its approval, driven by nobody until resumed",
        );
        // Another replica looking now finds the dead boot taken care of: nothing happens twice.
        assert.equal(await live.gone("boot-dead"), false);
      } finally {
        await live.stop();
        await reaper.stop();
      }
    });
  });
}
