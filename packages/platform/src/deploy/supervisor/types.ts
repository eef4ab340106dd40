/**
 * @module deploy/supervisor/types
 * What runs agents, as the rest of the platform sees it. The local backend
 * (`local-process.ts`) runs each agent as a child process; the fleet backend
 * (`deploy/placement/fleet-backend.ts`) wraps it when several replicas share a PostgreSQL
 * database, placing each agent on one replica; a Kubernetes backend would implement the same
 * interface with Deployments (docs/scaling.md).
 *
 * Requests for an agent go where {@link AgentBackend.locate} says: here (then {@link
 * AgentBackend.acquire} gives the process), or another replica, to which the API forwards them
 * (`/_fleet/v1`). A backend whose agents every replica can reach (Kubernetes Services) always
 * answers "here" and returns the workload's address from `acquire`.
 */
import type { AgentLocator } from "../../governance/resume-worker.js";
import type { AgentEndpoint } from "../agent-http.js";
import type { IsolationMode } from "../isolation/mode.js";

export interface AgentRef {
  workspace: string;
  name: string;
}

/** `Pending` (building or starting), `Running`, `Restarting` (after a crash), `Failed`. */
export type AgentPhase = "Pending" | "Running" | "Restarting" | "Failed";

/** The agent document's `status` (api-contract §3.1) plus what the supervisor knows. */
export interface AgentStatus {
  [key: string]: unknown;
  phase: AgentPhase;
  message: string;
  /** The deployment version serving requests (0: none yet). */
  version: number;
  /** The serving process, while there is one. */
  pid?: number;
  /** How the serving process is isolated (see `deploy/isolation`). */
  isolation?: IsolationMode;
  /** Crash restarts since the version started. */
  restarts: number;
  /** The replica that supervises the agent (its id), on a platform of several replicas. */
  replica?: string;
}

/** Where an agent's requests are served: by this replica, or by another one at `url`. */
export type AgentLocation = { local: true } | { local: false; replica: string; url: string };

export interface LogFollower {
  line(text: string): void;
  end(reason: string): void;
}

/** A claim on the process that serves an agent now; release it when the request is over. */
export interface AgentLease {
  endpoint: AgentEndpoint;
  version: number;
  release(): void;
}

export interface AgentBackend extends AgentLocator {
  /**
   * Runs the agent's current deployment (building it when needed). A serving agent keeps
   * serving until the new process is ready, then drains. Answers at once with the status the
   * agent now has (usually `Pending`); progress is written to the agent's `status`.
   */
  start(ref: AgentRef): Promise<AgentStatus>;
  /** Stops the agent's processes; `remove` also revokes its identity and deletes its files. */
  stop(ref: AgentRef, options?: { remove?: boolean }): Promise<void>;
  status(ref: AgentRef): AgentStatus | undefined;
  /** The agent's last `tail` log lines, oldest first. */
  logs(ref: AgentRef, tail: number): string[];
  /**
   * Tells `follower` every line the agent's log gets from now on (across restarts and
   * redeploys), and `end` when the agent is deleted. Returns the function that stops it.
   */
  followLogs(ref: AgentRef, follower: LogFollower): () => void;
  /**
   * Where the serving process listens, or undefined while none serves (the resume worker's
   * `AgentLocator`). Prefer {@link acquire}, which also keeps the process from being retired
   * while the request runs.
   */
  endpointFor(workspace: string, name: string): AgentEndpoint | undefined;
  /**
   * Serves `ref` from a process the platform did not start (a `runagents dev --governed` runtime
   * at `url`): invokes and resumes go there until {@link detachExternal}, `stop` or `start`.
   */
  attachExternal(ref: AgentRef, url: string): void;
  detachExternal(ref: AgentRef): void;
  /** The process to send a request to, or an HttpError 503 naming why there is none. */
  acquire(ref: AgentRef): AgentLease;
  /** Starts every stored agent that has sources (platform start). */
  restoreAll(): Promise<void>;
  /** Stops every process (platform shutdown); identities and files stay. */
  stopAll(): Promise<void>;
  /**
   * Where the agent's requests are served. Optional: a backend without it serves every agent
   * here. Throws an HttpError 503 with `Retry-After` while the agent moves between replicas.
   */
  locate?(ref: AgentRef): Promise<AgentLocation>;
  /**
   * Graceful shutdown, before {@link stopAll}: hands this replica's agents to other replicas and
   * resolves once they serve them, there is no replica to take them, or `deadline` (epoch ms)
   * has passed. Optional: the drain's `hand-over` step (`drain.ts`).
   */
  handOver?(deadline?: number): Promise<void>;
}
