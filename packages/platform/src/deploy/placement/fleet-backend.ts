/**
 * @module deploy/placement/fleet-backend
 * Agents on a fleet of platform replicas sharing one PostgreSQL database: each agent is
 * supervised by exactly one replica (its placement, a lease in `agent_placements`), which runs it
 * with the local backend it wraps. The rest of the platform talks to this backend as to any
 * other (`deploy/supervisor/types.ts`); {@link FleetBackend.locate} tells the API where to
 * forward an agent's requests.
 *
 * - Heartbeat: every `heartbeatMs` (2 s) a replica writes its row (url, load, draining) and renews
 *   the leases of its agents by `deadAfterMs` (6 s). A replica not heard of for `deadAfterMs` is
 *   dead; its agents' leases have run out by then.
 * - Placement: a new agent goes to the least-loaded live replica that is not draining (fewest
 *   agents, then smallest id). A redeploy keeps the agent where it is and bumps its version; the
 *   owner hears of it (a notification, else its next heartbeat) and starts the new version.
 * - Takeover: every replica assigns the agents whose lease ran out to the least-loaded live
 *   replicas by the same rule and claims its share; the claim is atomic, so one replica wins
 *   each. With 2 s heartbeats and 6 s leases an agent runs again within about 10 s of its
 *   replica's last heartbeat (less the time it takes to start).
 * - Runs: the live replica with the smallest id reconciles the runs a dead replica was driving
 *   (`governance/reconcile`, as at start-up: failed, or left paused) on every heartbeat.
 * - Shutdown (SIGTERM): {@link FleetBackend.handOver} marks the replica draining, hands each agent
 *   to a live replica and waits until that one serves it (meanwhile requests for it answer 503
 *   with `Retry-After: 1`, or are served here while the local process still runs); then
 *   {@link FleetBackend.stopAll} releases whatever is left and removes the replica's row.
 *
 * With one replica everything is placed on it and requests are never forwarded.
 */
import { HttpError } from "../../errors.js";
import type { AgentPostAnswer, AgentPostRequest } from "../../governance/resume-worker.js";
import type { Logger } from "../../log.js";
import type { PlacementRecord, ReplicaRecord } from "../../store/placement.js";
import type { Store } from "../../store/store.js";
import type { AgentEndpoint } from "../agent-http.js";
import { readText } from "../agent-http.js";
import { getDeployment, listDeployments } from "../supervisor/deployments.js";
import type { LocalProcessBackend } from "../supervisor/local-process.js";
import type {
  AgentBackend,
  AgentLease,
  AgentLocation,
  AgentRef,
  AgentStatus,
  LogFollower,
} from "../supervisor/types.js";
import { fleetPath, sendToReplica } from "./forward.js";
import type { ReplicaAuth } from "./replica-auth.js";

export interface FleetOptions {
  store: Store;
  log: Logger;
  local: LocalProcessBackend;
  /** This replica: its id (the platform's boot id, which owns the runs it drives) and URL. */
  replicaId: string;
  advertiseUrl: () => string;
  auth: ReplicaAuth;
  /** Reconciles the runs driven by replicas that are gone (`governance/reconcile`). */
  reconcileGone: (owners: ReadonlySet<string>) => Promise<void>;
  heartbeatMs?: number;
  deadAfterMs?: number;
  handOverTimeoutMs?: number;
}

interface Started {
  version: number;
  /** The owner reported it running (`reportAgent`). */
  reported: boolean;
}

const key = (ws: string, agent: string): string => `${ws}/${agent}`;
const refOf = (p: { workspace: string; agent: string }): AgentRef => ({
  workspace: p.workspace,
  name: p.agent,
});

export class FleetBackend implements AgentBackend {
  readonly #o: FleetOptions;
  readonly #local: LocalProcessBackend;
  readonly #heartbeatMs: number;
  readonly #deadAfterMs: number;
  /** What this replica runs, by agent key: the version it started. */
  readonly #started = new Map<string, Started>();
  readonly #handingOver = new Set<string>();
  #placements = new Map<string, PlacementRecord>();
  #replicas: ReplicaRecord[] = [];
  #fetchedAt = 0;
  #draining = false;
  #closed = false;
  #timer: NodeJS.Timeout | undefined;
  #quick: NodeJS.Timeout | undefined;
  #expiry: NodeJS.Timeout | undefined;
  /** One sync at a time; a kick during one runs another after it. */
  #syncing: Promise<void> | undefined;
  #again = false;
  #unsubscribe: (() => void) | undefined;

  constructor(options: FleetOptions) {
    this.#o = options;
    this.#local = options.local;
    this.#heartbeatMs = options.heartbeatMs ?? 2000;
    this.#deadAfterMs = options.deadAfterMs ?? 6000;
  }

  get replicaId(): string {
    return this.#o.replicaId;
  }

  async start(ref: AgentRef): Promise<AgentStatus> {
    const deployment = await getDeployment(this.#o.store, ref);
    const version = deployment?.version ?? 0;
    await this.#refresh();
    const placed = await this.#o.store.placeAgent(
      ref.workspace,
      ref.name,
      version,
      this.#choose(),
      this.#deadAfterMs,
    );
    this.#placements.set(key(ref.workspace, ref.name), placed);
    if (placed.replica === this.#o.replicaId) return this.#startHere(ref, version);
    return {
      phase: "Pending",
      message: `deploying version ${version} on replica ${placed.replica}`,
      version: 0,
      restarts: 0,
      replica: placed.replica,
    };
  }

  async stop(ref: AgentRef, options: { remove?: boolean } = {}): Promise<void> {
    const k = key(ref.workspace, ref.name);
    if (options.remove) {
      await this.#o.store.removePlacement(ref.workspace, ref.name);
      this.#placements.delete(k);
    }
    this.#started.delete(k);
    await this.#local.stop(ref, options);
  }

  status(ref: AgentRef): AgentStatus | undefined {
    return this.#local.status(ref);
  }

  logs(ref: AgentRef, tail: number): string[] {
    return this.#local.logs(ref, tail);
  }

  followLogs(ref: AgentRef, follower: LogFollower): () => void {
    return this.#local.followLogs(ref, follower);
  }

  endpointFor(workspace: string, name: string): AgentEndpoint | undefined {
    return this.#local.endpointFor(workspace, name);
  }

  attachExternal(ref: AgentRef, url: string): void {
    this.#local.attachExternal(ref, url);
  }

  detachExternal(ref: AgentRef): void {
    this.#local.detachExternal(ref);
  }

  acquire(ref: AgentRef): AgentLease {
    return this.#local.acquire(ref);
  }

  async locate(ref: AgentRef): Promise<AgentLocation> {
    if (this.#local.endpointFor(ref.workspace, ref.name)) return { local: true };
    const k = key(ref.workspace, ref.name);
    let placement = this.#placements.get(k);
    if (!placement) {
      placement = await this.#o.store.getPlacement(ref.workspace, ref.name);
      if (placement) this.#placements.set(k, placement);
    }
    if (!placement || placement.replica === this.#o.replicaId) return { local: true };
    const owner = this.#replicas.find((r) => r.id === placement.replica);
    if (!owner || !this.#alive(owner)) {
      throw new HttpError(503, `agent ${ref.name} is moving to another replica; try again`, {
        headers: { "Retry-After": "1" },
      });
    }
    return { local: false, replica: owner.id, url: owner.url };
  }

  isServing(ws: string, agent: string): boolean {
    if (this.#local.isServing(ws, agent)) return true;
    const placement = this.#placements.get(key(ws, agent));
    const owner = placement && this.#replicas.find((r) => r.id === placement.replica);
    return owner !== undefined && owner.id !== this.#o.replicaId && this.#alive(owner);
  }

  async post(ws: string, agent: string, request: AgentPostRequest): Promise<AgentPostAnswer> {
    const where = await this.locate({ workspace: ws, name: agent });
    if (where.local) return this.#local.post(ws, agent, request);
    const action = /^\/resume\/([^/?#]+)$/.exec(request.path)?.[1];
    if (!action) throw new Error(`only resumes are forwarded to another replica, not ${request.path}`);
    const res = await sendToReplica(this.#o.auth, {
      url: where.url,
      method: "POST",
      path: fleetPath(ws, agent, `resume/${action}`),
      body: JSON.stringify({ headers: request.headers, body: request.body, timeout_ms: request.timeoutMs }),
      timeoutMs: request.timeoutMs,
      signal: request.signal,
    });
    const text = await readText(res, request.timeoutMs);
    if (res.statusCode !== 200)
      throw new Error(`replica ${where.replica} answered ${res.statusCode}: ${text}`);
    const answer = JSON.parse(text) as { status: number; text: string };
    return { status: answer.status, text: answer.text };
  }

  async restoreAll(): Promise<void> {
    this.#unsubscribe = this.#o.store.onPlacementChanged(() => this.#kick());
    await this.#heartbeat();
    await this.#sync();
    for (const deployment of await listDeployments(this.#o.store)) {
      const ref = { workspace: deployment.workspace, name: deployment.agent };
      if (this.#placements.has(key(ref.workspace, ref.name))) continue;
      if (!(await this.#o.store.getResource(ref.workspace, "agent", ref.name))) continue;
      this.#local.clearLeftovers(ref);
      await this.start(ref);
    }
    this.#timer = setInterval(() => void this.#tick(), this.#heartbeatMs);
    this.#timer.unref();
  }

  async handOver(deadline?: number): Promise<void> {
    if (this.#closed || this.#draining) return;
    this.#draining = true;
    await this.#heartbeat();
    await this.#refresh();
    const mine = [...this.#placements.values()].filter((p) => p.replica === this.#o.replicaId);
    const targets = this.#replicas.filter((r) => r.id !== this.#o.replicaId && this.#alive(r) && !r.draining);
    if (mine.length === 0 || targets.length === 0) return;
    const loads = this.#loads();
    const handed: PlacementRecord[] = [];
    for (const placement of mine) {
      const target = leastLoaded(targets, loads);
      loads.set(target.id, (loads.get(target.id) ?? 0) + 1);
      const k = key(placement.workspace, placement.agent);
      this.#handingOver.add(k);
      const moved = await this.#o.store.releaseAgent(
        placement.workspace,
        placement.agent,
        this.#o.replicaId,
        target.id,
        this.#deadAfterMs,
      );
      if (moved) handed.push({ ...placement, replica: target.id, runningVersion: 0 });
      this.#o.log.info("handing an agent over", { agent: placement.agent, to: target.id });
    }
    const until = Math.min(
      deadline ?? Number.POSITIVE_INFINITY,
      Date.now() + (this.#o.handOverTimeoutMs ?? 30_000),
    );
    const waiting = new Set(handed.map((p) => key(p.workspace, p.agent)));
    while (waiting.size > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const placement of handed) {
        const k = key(placement.workspace, placement.agent);
        if (!waiting.has(k)) continue;
        const now = await this.#o.store.getPlacement(placement.workspace, placement.agent);
        if (!now || now.replica !== placement.replica || now.runningVersion === now.version)
          waiting.delete(k);
      }
    }
    await Promise.all(
      handed.map(async (placement) => {
        const k = key(placement.workspace, placement.agent);
        this.#started.delete(k);
        await this.#local.stop(refOf(placement));
        this.#handingOver.delete(k);
      }),
    );
  }

  async stopAll(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    clearTimeout(this.#quick);
    clearTimeout(this.#expiry);
    this.#unsubscribe?.();
    await this.#syncing?.catch(() => undefined);
    try {
      // Whatever was not handed over is free for the others to claim at once.
      for (const placement of await this.#o.store.listPlacements(this.#o.replicaId)) {
        await this.#o.store.releaseAgent(placement.workspace, placement.agent, this.#o.replicaId);
      }
      await this.#o.store.removeReplica(this.#o.replicaId);
    } catch (error) {
      this.#o.log.warn("could not release this replica's agents", { error: String(error) });
    }
    this.#started.clear();
    await this.#local.stopAll();
  }

  /** Kicks a sync (a placement changed somewhere). */
  #kick(): void {
    if (this.#closed) return;
    void this.#sync().catch((error: unknown) =>
      this.#o.log.warn("placement sync failed", { error: String(error) }),
    );
  }

  async #tick(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#heartbeat();
      await this.#sync();
    } catch (error) {
      this.#o.log.warn("replica heartbeat failed", { error: String(error) });
    }
  }

  #heartbeat(): Promise<void> {
    return this.#o.store.heartbeatReplica(
      {
        id: this.#o.replicaId,
        url: this.#o.advertiseUrl(),
        load: this.#started.size,
        draining: this.#draining,
      },
      this.#deadAfterMs,
    );
  }

  async #refresh(): Promise<void> {
    const [placements, replicas] = await Promise.all([
      this.#o.store.listPlacements(),
      this.#o.store.listReplicas(),
    ]);
    this.#placements = new Map(placements.map((p) => [key(p.workspace, p.agent), p]));
    this.#replicas = replicas;
    this.#fetchedAt = Date.now();
  }

  #sync(): Promise<void> {
    if (this.#syncing) {
      this.#again = true;
      return this.#syncing;
    }
    const run = (async () => {
      do {
        this.#again = false;
        await this.#syncOnce();
      } while (this.#again && !this.#closed);
    })().finally(() => {
      this.#syncing = undefined;
    });
    this.#syncing = run;
    return run;
  }

  async #syncOnce(): Promise<void> {
    if (this.#closed) return;
    await this.#refresh();
    const self = this.#o.replicaId;
    let unreported = false;
    // 1. What is placed here runs here, at the placed version.
    for (const placement of this.#placements.values()) {
      if (placement.replica !== self || placement.expired) continue;
      const k = key(placement.workspace, placement.agent);
      const started = this.#started.get(k);
      const restart = started?.reported === true && placement.runningVersion === 0;
      if (!started || started.version !== placement.version || restart) {
        await this.#startHere(refOf(placement), placement.version);
        unreported = true;
        continue;
      }
      if (started.reported) continue;
      const status = this.#local.status(refOf(placement));
      if (status?.phase === "Running" && status.version === placement.version) {
        await this.#o.store.reportAgent(placement.workspace, placement.agent, self, placement.version);
        started.reported = true;
      } else if (status?.phase !== "Failed") {
        unreported = true;
      }
    }
    // 2. What is no longer placed here stops (unless it is being handed over: handOver stops it).
    for (const k of [...this.#started.keys()]) {
      const placement = this.#placements.get(k);
      if ((placement && placement.replica === self) || this.#handingOver.has(k)) continue;
      const [workspace = "", ...rest] = k.split("/");
      const ref = { workspace, name: rest.join("/") };
      this.#started.delete(k);
      // A placement is deleted only with its agent (`stop` with `remove`): then the files and the
      // log followers here go too. One that moved to another replica only stops here.
      await this.#local.stop(ref, { remove: !placement });
    }
    // 3. Agents whose lease ran out: this replica claims its share.
    if (!this.#draining) await this.#takeOver();
    // 4. The runs of dead replicas: reconciled by the live replica with the smallest id.
    const live = this.#replicas.filter((r) => this.#alive(r));
    if (!this.#draining && live[0]?.id === self) {
      const dead = this.#replicas.filter((r) => !this.#alive(r));
      if (dead.length > 0) {
        await this.#o.reconcileGone(new Set(dead.map((r) => r.id)));
        for (const replica of dead) {
          const holds = [...this.#placements.values()].some((p) => p.replica === replica.id && !p.expired);
          if (!holds) await this.#o.store.removeReplica(replica.id);
        }
      }
    }
    if (unreported) this.#kickSoon();
    this.#watchLeases();
  }

  /**
   * Wakes up when the first other replica's leases would run out if it stopped heartbeating now:
   * a replica that died is noticed then, not at the next heartbeat. Every sync sets it again.
   */
  #watchLeases(): void {
    clearTimeout(this.#expiry);
    if (this.#closed || this.#draining) return;
    const others = this.#replicas.filter((r) => r.id !== this.#o.replicaId && this.#alive(r));
    if (others.length === 0) return;
    const left = Math.min(...others.map((r) => this.#deadAfterMs - r.ageMs - (Date.now() - this.#fetchedAt)));
    this.#expiry = setTimeout(() => this.#kick(), Math.max(0, left) + 50);
    this.#expiry.unref();
  }

  async #takeOver(): Promise<void> {
    const orphans = [...this.#placements.values()].filter((p) => p.expired);
    if (orphans.length === 0) return;
    const targets = this.#replicas.filter((r) => this.#alive(r) && !r.draining);
    if (!targets.some((r) => r.id === this.#o.replicaId)) return;
    const loads = this.#loads();
    for (const orphan of orphans) {
      const target = leastLoaded(targets, loads);
      loads.set(target.id, (loads.get(target.id) ?? 0) + 1);
      if (target.id !== this.#o.replicaId) continue;
      const claimed = await this.#o.store.claimAgent(
        orphan.workspace,
        orphan.agent,
        this.#o.replicaId,
        this.#deadAfterMs,
      );
      if (!claimed) continue;
      this.#placements.set(key(orphan.workspace, orphan.agent), claimed);
      this.#o.log.info("took an agent over", { agent: orphan.agent, from: orphan.replica });
      await this.#startHere(refOf(claimed), claimed.version);
    }
  }

  async #startHere(ref: AgentRef, version: number): Promise<AgentStatus> {
    this.#started.set(key(ref.workspace, ref.name), { version, reported: false });
    const status = await this.#local.start(ref);
    this.#kickSoon();
    return status;
  }

  #kickSoon(): void {
    if (this.#closed) return;
    clearTimeout(this.#quick);
    this.#quick = setTimeout(() => this.#kick(), 250);
    this.#quick.unref();
  }

  /** Agents per replica, as placed now (expired leases excluded). */
  #loads(): Map<string, number> {
    const loads = new Map<string, number>();
    for (const placement of this.#placements.values()) {
      if (!placement.expired) loads.set(placement.replica, (loads.get(placement.replica) ?? 0) + 1);
    }
    return loads;
  }

  /** Where a new agent goes: the least-loaded live replica that is not draining (else here). */
  #choose(): string {
    const targets = this.#replicas.filter((r) => this.#alive(r) && !r.draining);
    if (targets.length === 0) return this.#o.replicaId;
    return leastLoaded(targets, this.#loads()).id;
  }

  #alive(replica: ReplicaRecord): boolean {
    if (replica.id === this.#o.replicaId) return !this.#closed;
    return replica.ageMs + (Date.now() - this.#fetchedAt) < this.#deadAfterMs;
  }
}

function leastLoaded(replicas: readonly ReplicaRecord[], loads: ReadonlyMap<string, number>): ReplicaRecord {
  let best = replicas[0] as ReplicaRecord;
  for (const replica of replicas) {
    const load = loads.get(replica.id) ?? 0;
    const bestLoad = loads.get(best.id) ?? 0;
    if (load < bestLoad || (load === bestLoad && replica.id < best.id)) best = replica;
  }
  return best;
}
