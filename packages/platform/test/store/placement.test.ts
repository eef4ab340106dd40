/**
 * The placement part of the Store contract (store/placement.ts), on SQLite and PostgreSQL:
 * replica heartbeats, placing, claiming and handing over agents, and change notifications.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Store } from "../../src/store/store.js";
import { type StoreFixture, storeBackends } from "../helpers/stores.js";

const LEASE = 60_000;

for (const backend of await storeBackends()) {
  describe(`the placement contract on ${backend.name}`, { skip: backend.skip }, () => {
    let fixture: StoreFixture;
    let store: Store;
    let other: Store;
    before(async () => {
      fixture = await backend.fixture();
      store = fixture.open();
      other = fixture.open();
    });
    after(() => fixture?.dispose());

    it("keeps one row per replica, with its url, load, draining flag and the age of its heartbeat", async () => {
      await store.heartbeatReplica({ id: "r-b", url: "http://127.0.0.1:2", load: 3, draining: false }, LEASE);
      await store.heartbeatReplica({ id: "r-a", url: "http://127.0.0.1:1", load: 0, draining: false }, LEASE);
      await store.heartbeatReplica({ id: "r-b", url: "http://127.0.0.1:2", load: 4, draining: true }, LEASE);
      const replicas = await other.listReplicas();
      assert.deepEqual(
        replicas.map((r) => [r.id, r.url, r.load, r.draining]),
        [
          ["r-a", "http://127.0.0.1:1", 0, false],
          ["r-b", "http://127.0.0.1:2", 4, true],
        ],
      );
      for (const replica of replicas)
        assert.ok(replica.ageMs >= 0 && replica.ageMs < 5000, String(replica.ageMs));
      await store.removeReplica("r-b");
      assert.deepEqual(
        (await store.listReplicas()).map((r) => r.id),
        ["r-a"],
      );
    });

    it("places a new agent, keeps its replica on a redeploy while the lease holds, and lets one claimer win once it ran out", async () => {
      const placed = await store.placeAgent("ws", "bot", 1, "r-a", LEASE);
      assert.deepEqual(
        [placed.replica, placed.version, placed.expired, placed.runningVersion],
        ["r-a", 1, false, 0],
      );
      const redeployed = await other.placeAgent("ws", "bot", 2, "r-b", LEASE);
      assert.deepEqual(
        [redeployed.replica, redeployed.version],
        ["r-a", 2],
        "a live lease keeps the replica",
      );
      assert.equal(await other.claimAgent("ws", "bot", "r-b", LEASE), undefined, "no claim on a live lease");

      await store.reportAgent("ws", "bot", "r-a", 2);
      await store.reportAgent("ws", "bot", "r-b", 9);
      assert.equal((await other.getPlacement("ws", "bot"))?.runningVersion, 2, "only the owner reports");

      assert.equal(await store.releaseAgent("ws", "bot", "r-b"), false, "only the owner releases");
      assert.equal(await store.releaseAgent("ws", "bot", "r-a"), true);
      const released = await other.getPlacement("ws", "bot");
      assert.deepEqual([released?.replica, released?.expired, released?.runningVersion], ["r-a", true, 0]);

      const claims = await Promise.all(
        ["r-b", "r-c", "r-d"].map((id, i) => (i % 2 ? store : other).claimAgent("ws", "bot", id, LEASE)),
      );
      const won = claims.filter((c) => c !== undefined);
      assert.equal(won.length, 1, JSON.stringify(claims));
      const winner = won[0]?.replica as string;
      assert.equal((await store.getPlacement("ws", "bot"))?.replica, winner);
      assert.equal((await store.getPlacement("ws", "bot"))?.version, 2);
      assert.ok(await store.claimAgent("ws", "bot", winner, LEASE), "the owner may renew its own claim");
    });

    it("hands an agent over to a named replica, renews leases on heartbeat, lists by replica and forgets removed agents", async () => {
      await store.placeAgent("ws", "h1", 1, "r-x", LEASE);
      await store.placeAgent("ws", "h2", 1, "r-x", LEASE);
      assert.equal(await store.releaseAgent("ws", "h1", "r-x", "r-y", LEASE), true);
      const moved = await other.getPlacement("ws", "h1");
      assert.deepEqual([moved?.replica, moved?.expired], ["r-y", false]);
      assert.deepEqual(
        (await other.listPlacements("r-x")).map((p) => p.agent),
        ["h2"],
      );
      // A short lease runs out; the owner's heartbeat renews the ones still live.
      await store.placeAgent("ws", "short", 1, "r-z", 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await store.heartbeatReplica({ id: "r-z", url: "http://127.0.0.1:3", load: 1, draining: false }, LEASE);
      assert.equal(
        (await store.getPlacement("ws", "short"))?.expired,
        true,
        "an expired lease is not renewed",
      );
      await store.placeAgent("ws", "long", 1, "r-z", 2000);
      await store.heartbeatReplica({ id: "r-z", url: "http://127.0.0.1:3", load: 1, draining: false }, LEASE);
      const renewed = await store.getPlacement("ws", "long");
      assert.ok(renewed && renewed.leaseUntil - Date.now() > 30_000, JSON.stringify(renewed));
      await store.removePlacement("ws", "h2");
      assert.equal(await other.getPlacement("ws", "h2"), undefined);
    });

    it("notifies placement changes (another process's too, where the database can)", async () => {
      const heard = (s: Store) =>
        new Promise<void>((resolve) => {
          const stop = s.onPlacementChanged(() => {
            stop();
            resolve();
          });
        });
      const own = heard(store);
      const remote = backend.name === "postgres" ? heard(other) : Promise.resolve();
      await store.placeAgent("ws", "noisy", 1, "r-a", LEASE);
      await Promise.all([own, remote]);
    });
  });
}
