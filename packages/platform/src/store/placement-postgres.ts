/**
 * @module store/placement-postgres
 * The placement tables (`placement.ts`) on PostgreSQL. Every time is the database's clock
 * (`NOW_MS`); each statement is atomic on its own, so concurrent claimers never both win. Writes
 * notify `runagents_store` with `placement` (postgres-migrations.ts, version 4), which is how every
 * replica hears of a change at once rather than at its next heartbeat.
 */
import {
  type PlacementListeners,
  type PlacementRow,
  type PlacementStore,
  type ReplicaRow,
  toPlacement,
  toReplica,
} from "./placement.js";

/** The database's clock in epoch milliseconds. */
const NOW_MS = "(extract(epoch FROM clock_timestamp()) * 1000)::bigint";
const COLUMNS = `workspace, agent, version, replica, lease_until, running_version, ${NOW_MS} AS now_ms`;

type Query = <R extends object>(sql: string, params?: unknown[]) => Promise<R[]>;

/** `listeners.changed()` is to be called for every `placement` notification (any process's). */
export function postgresPlacement(query: Query, listeners: PlacementListeners): PlacementStore {
  const one = async (sql: string, params: unknown[]) => {
    const [row] = await query<PlacementRow>(sql, params);
    return row ? toPlacement(row) : undefined;
  };
  return {
    async heartbeatReplica(beat, leaseMs) {
      await query(
        `WITH beat AS (
           INSERT INTO replicas (id, url, heartbeat_at, load, draining) VALUES ($1, $2, ${NOW_MS}, $3, $4)
           ON CONFLICT (id) DO UPDATE SET url = excluded.url, heartbeat_at = excluded.heartbeat_at,
             load = excluded.load, draining = excluded.draining
           RETURNING heartbeat_at)
         UPDATE agent_placements SET lease_until = (SELECT heartbeat_at FROM beat) + $5
         WHERE replica = $1 AND lease_until > ${NOW_MS}`,
        [beat.id, beat.url, beat.load, beat.draining, leaseMs],
      );
    },
    async listReplicas() {
      return (await query<ReplicaRow>(`SELECT *, ${NOW_MS} AS now_ms FROM replicas ORDER BY id`)).map(
        toReplica,
      );
    },
    async removeReplica(id) {
      await query("DELETE FROM replicas WHERE id = $1", [id]);
    },
    async listPlacements(replica) {
      const rows =
        replica === undefined
          ? await query<PlacementRow>(`SELECT ${COLUMNS} FROM agent_placements ORDER BY workspace, agent`)
          : await query<PlacementRow>(
              `SELECT ${COLUMNS} FROM agent_placements WHERE replica = $1 ORDER BY workspace, agent`,
              [replica],
            );
      return rows.map(toPlacement);
    },
    getPlacement(ws, agent) {
      return one(`SELECT ${COLUMNS} FROM agent_placements WHERE workspace = $1 AND agent = $2`, [ws, agent]);
    },
    async placeAgent(ws, agent, version, replica, leaseMs) {
      const placed = await one(
        `INSERT INTO agent_placements AS p (workspace, agent, version, replica, lease_until, running_version, updated_at)
         VALUES ($1, $2, $3, $4, ${NOW_MS} + $5, 0, ${NOW_MS})
         ON CONFLICT (workspace, agent) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at,
           replica = CASE WHEN p.lease_until > ${NOW_MS} THEN p.replica ELSE excluded.replica END,
           running_version = 0,
           lease_until = CASE WHEN p.lease_until > ${NOW_MS} THEN p.lease_until ELSE excluded.lease_until END
         RETURNING ${COLUMNS}`,
        [ws, agent, version, replica, leaseMs],
      );
      return placed as NonNullable<typeof placed>;
    },
    claimAgent(ws, agent, replica, leaseMs) {
      return one(
        `UPDATE agent_placements SET replica = $3, lease_until = ${NOW_MS} + $4,
           running_version = CASE WHEN replica = $3 THEN running_version ELSE 0 END, updated_at = ${NOW_MS}
         WHERE workspace = $1 AND agent = $2 AND (lease_until <= ${NOW_MS} OR replica = $3)
         RETURNING ${COLUMNS}`,
        [ws, agent, replica, leaseMs],
      );
    },
    async reportAgent(ws, agent, replica, runningVersion) {
      await query(
        `UPDATE agent_placements SET running_version = $4, updated_at = ${NOW_MS}
         WHERE workspace = $1 AND agent = $2 AND replica = $3 AND running_version <> $4`,
        [ws, agent, replica, runningVersion],
      );
    },
    async releaseAgent(ws, agent, replica, to, leaseMs = 0) {
      const rows = await query(
        `UPDATE agent_placements SET replica = COALESCE($4, replica),
           lease_until = CASE WHEN $4::text IS NULL THEN 0 ELSE ${NOW_MS} + $5 END,
           running_version = 0, updated_at = ${NOW_MS}
         WHERE workspace = $1 AND agent = $2 AND replica = $3 RETURNING agent`,
        [ws, agent, replica, to ?? null, leaseMs],
      );
      return rows.length > 0;
    },
    async removePlacement(ws, agent) {
      await query("DELETE FROM agent_placements WHERE workspace = $1 AND agent = $2", [ws, agent]);
    },
    onPlacementChanged(listener) {
      return listeners.add(listener);
    },
  };
}
