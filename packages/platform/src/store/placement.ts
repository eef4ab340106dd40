/**
 * @module store/placement
 * Where agents run when several platform replicas share one database (`deploy/placement`): the
 * replicas that are up (each heartbeats its row) and, per agent, the replica that supervises it
 * under a lease the owner renews with every heartbeat.
 *
 * Times are epoch milliseconds on the database's clock (PostgreSQL's `clock_timestamp()`; SQLite,
 * one process, uses the process clock), so replicas on hosts with skewed clocks agree on what is
 * stale. SQLite keeps the same tables and methods: one replica, everything placed on it.
 */

export interface ReplicaRecord {
  id: string;
  /** Where the other replicas reach this one (`--advertise-url`). */
  url: string;
  heartbeatAt: number;
  /** How long ago the last heartbeat was, on the database's clock. */
  ageMs: number;
  /** Agents this replica supervises, as it last reported. */
  load: number;
  /** Shutting down: it takes no new agents and hands its own over. */
  draining: boolean;
}

export interface PlacementRecord {
  workspace: string;
  agent: string;
  /** The deployment version the owner is to run. */
  version: number;
  /** The replica that supervises the agent. */
  replica: string;
  leaseUntil: number;
  /** The lease has run out (on the database's clock): any live replica may claim the agent. */
  expired: boolean;
  /** The version the owner reported running (0: none yet, e.g. while it starts). */
  runningVersion: number;
}

export interface ReplicaHeartbeat {
  id: string;
  url: string;
  load: number;
  draining: boolean;
}

export interface PlacementStore {
  /** Upserts the replica's row and renews the leases of the agents it owns by `leaseMs`. */
  heartbeatReplica(beat: ReplicaHeartbeat, leaseMs: number): Promise<void>;
  /** Every replica row, by id. */
  listReplicas(): Promise<ReplicaRecord[]>;
  removeReplica(id: string): Promise<void>;
  /** Every placement (of one replica, when given), by workspace and agent. */
  listPlacements(replica?: string): Promise<PlacementRecord[]>;
  getPlacement(ws: string, agent: string): Promise<PlacementRecord | undefined>;
  /**
   * A (re)deploy of `version`: an agent without a placement, or whose lease ran out, goes to
   * `replica`; one placed on a live lease keeps its replica and gets the new version. Either way
   * its running version goes back to 0: the owner starts it (again). Returns the placement as it
   * now is.
   */
  placeAgent(
    ws: string,
    agent: string,
    version: number,
    replica: string,
    leaseMs: number,
  ): Promise<PlacementRecord>;
  /**
   * Takes the agent over for `replica` only while its lease has run out (or it is already
   * `replica`'s): exactly one of several claimers wins. Returns the placement when won.
   */
  claimAgent(
    ws: string,
    agent: string,
    replica: string,
    leaseMs: number,
  ): Promise<PlacementRecord | undefined>;
  /** The owner reports the version it now serves (0: none); ignored unless `replica` owns it. */
  reportAgent(ws: string, agent: string, replica: string, runningVersion: number): Promise<void>;
  /**
   * The owner gives the agent up: to `to` (a handover: its lease starts now), or to whoever
   * claims it first (the lease ends now). Ignored unless `replica` owns it. Returns whether it did.
   */
  releaseAgent(ws: string, agent: string, replica: string, to?: string, leaseMs?: number): Promise<boolean>;
  /** Forgets the agent's placement (the agent was deleted). */
  removePlacement(ws: string, agent: string): Promise<void>;
  /**
   * Called after any placement or replica change committed by any process on the database (this
   * one's included; on SQLite only this one's); returns the unsubscribe.
   */
  onPlacementChanged(listener: () => void): () => void;
}

export interface PlacementRow {
  workspace: string;
  agent: string;
  version: number | string;
  replica: string;
  lease_until: number | string;
  running_version: number | string;
  now_ms: number | string;
}

export interface ReplicaRow {
  id: string;
  url: string;
  heartbeat_at: number | string;
  load: number | string;
  draining: number | boolean;
  now_ms: number | string;
}

export function toPlacement(row: PlacementRow): PlacementRecord {
  const leaseUntil = Number(row.lease_until);
  return {
    workspace: row.workspace,
    agent: row.agent,
    version: Number(row.version),
    replica: row.replica,
    leaseUntil,
    expired: leaseUntil <= Number(row.now_ms),
    runningVersion: Number(row.running_version),
  };
}

export function toReplica(row: ReplicaRow): ReplicaRecord {
  const heartbeatAt = Number(row.heartbeat_at);
  return {
    id: row.id,
    url: row.url,
    heartbeatAt,
    ageMs: Math.max(0, Number(row.now_ms) - heartbeatAt),
    load: Number(row.load),
    draining: row.draining === true || Number(row.draining) === 1,
  };
}

/** Listeners of `onPlacementChanged`, called on a later turn (never inside a store call). */
export class PlacementListeners {
  readonly #listeners = new Set<() => void>();
  #queued = false;

  add(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  changed(): void {
    if (this.#queued || this.#listeners.size === 0) return;
    this.#queued = true;
    setImmediate(() => {
      this.#queued = false;
      for (const listener of [...this.#listeners]) {
        try {
          listener();
        } catch {
          // A listener's failure is its own.
        }
      }
    });
  }
}
