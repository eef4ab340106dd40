/**
 * @module store/placement-sqlite
 * The placement tables (`placement.ts`) on SQLite: one process, its own clock.
 */
import type Database from "better-sqlite3";
import {
  PlacementListeners,
  type PlacementRow,
  type PlacementStore,
  type ReplicaRow,
  toPlacement,
  toReplica,
} from "./placement.js";

const PLACEMENT = "SELECT *, ? AS now_ms FROM agent_placements";

export function sqlitePlacement(
  db: Database.Database,
  stmt: (sql: string) => Database.Statement,
): PlacementStore {
  const listeners = new PlacementListeners();
  const get = (ws: string, agent: string) => {
    const row = stmt(`${PLACEMENT} WHERE workspace = ? AND agent = ?`).get(Date.now(), ws, agent) as
      | PlacementRow
      | undefined;
    return row ? toPlacement(row) : undefined;
  };
  const place = db.transaction(
    (ws: string, agent: string, version: number, replica: string, leaseMs: number) => {
      const now = Date.now();
      const current = get(ws, agent);
      if (current && !current.expired) {
        stmt(
          "UPDATE agent_placements SET version = ?, running_version = 0, updated_at = ? WHERE workspace = ? AND agent = ?",
        ).run(version, now, ws, agent);
      } else {
        stmt(
          `INSERT INTO agent_placements (workspace, agent, version, replica, lease_until, running_version, updated_at)
         VALUES (?, ?, ?, ?, ?, 0, ?)
         ON CONFLICT (workspace, agent) DO UPDATE SET version = excluded.version, replica = excluded.replica,
           lease_until = excluded.lease_until, running_version = 0, updated_at = excluded.updated_at`,
        ).run(ws, agent, version, replica, now + leaseMs, now);
      }
    },
  );
  const changed = <T>(result: T): T => {
    listeners.changed();
    return result;
  };
  return {
    async heartbeatReplica(beat, leaseMs) {
      const now = Date.now();
      db.transaction(() => {
        stmt(
          `INSERT INTO replicas (id, url, heartbeat_at, load, draining) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET url = excluded.url, heartbeat_at = excluded.heartbeat_at,
             load = excluded.load, draining = excluded.draining`,
        ).run(beat.id, beat.url, now, beat.load, beat.draining ? 1 : 0);
        stmt("UPDATE agent_placements SET lease_until = ? WHERE replica = ? AND lease_until > ?").run(
          now + leaseMs,
          beat.id,
          now,
        );
      }).immediate();
    },
    async listReplicas() {
      return (stmt("SELECT *, ? AS now_ms FROM replicas ORDER BY id").all(Date.now()) as ReplicaRow[]).map(
        toReplica,
      );
    },
    async removeReplica(id) {
      changed(stmt("DELETE FROM replicas WHERE id = ?").run(id));
    },
    async listPlacements(replica) {
      const rows = (
        replica === undefined
          ? stmt(`${PLACEMENT} ORDER BY workspace, agent`).all(Date.now())
          : stmt(`${PLACEMENT} WHERE replica = ? ORDER BY workspace, agent`).all(Date.now(), replica)
      ) as PlacementRow[];
      return rows.map(toPlacement);
    },
    async getPlacement(ws, agent) {
      return get(ws, agent);
    },
    async placeAgent(ws, agent, version, replica, leaseMs) {
      place.immediate(ws, agent, version, replica, leaseMs);
      listeners.changed();
      return get(ws, agent) as NonNullable<ReturnType<typeof get>>;
    },
    async claimAgent(ws, agent, replica, leaseMs) {
      const now = Date.now();
      const { changes } = stmt(
        `UPDATE agent_placements SET replica = ?, lease_until = ?, running_version = CASE WHEN replica = ?
           THEN running_version ELSE 0 END, updated_at = ?
         WHERE workspace = ? AND agent = ? AND (lease_until <= ? OR replica = ?)`,
      ).run(replica, now + leaseMs, replica, now, ws, agent, now, replica);
      if (changes === 0) return undefined;
      listeners.changed();
      return get(ws, agent);
    },
    async reportAgent(ws, agent, replica, runningVersion) {
      const { changes } = stmt(
        `UPDATE agent_placements SET running_version = ?, updated_at = ?
         WHERE workspace = ? AND agent = ? AND replica = ? AND running_version <> ?`,
      ).run(runningVersion, Date.now(), ws, agent, replica, runningVersion);
      if (changes > 0) listeners.changed();
    },
    async releaseAgent(ws, agent, replica, to, leaseMs = 0) {
      const now = Date.now();
      const { changes } = stmt(
        `UPDATE agent_placements SET replica = ?, lease_until = ?, running_version = 0, updated_at = ?
         WHERE workspace = ? AND agent = ? AND replica = ?`,
      ).run(to ?? replica, to ? now + leaseMs : 0, now, ws, agent, replica);
      if (changes > 0) listeners.changed();
      return changes > 0;
    },
    async removePlacement(ws, agent) {
      changed(stmt("DELETE FROM agent_placements WHERE workspace = ? AND agent = ?").run(ws, agent));
    },
    onPlacementChanged(listener) {
      return listeners.add(listener);
    },
  };
}
