/**
 * @module store
 * The one persistence interface. Everything above it speaks in records; nothing above it knows
 * SQL. Named resources (agents, tools, policies, ...) are JSON documents keyed by
 * (workspace, kind, name); runs and their events have tables of their own because they are
 * filtered, ordered and appended to concurrently.
 */
import type { PlacementStore } from "./placement.js";

import type { ResourceChange } from "./resource-changes.js";

export type { ResourceChange } from "./resource-changes.js";

export type ResourceKind =
  | "agent"
  | "tool"
  | "model_provider"
  | "policy"
  | "identity_provider"
  | "approval_connector"
  | "approval_connector_activity"
  | "deploy_draft"
  | "analysis"
  | "access_request"
  | "blocked_action"
  | "checkpoint"
  | "idempotency"
  | "setting"
  | "model_usage"
  | "agent_source"
  | "resume_job"
  | "oauth_consent";

export type Doc = Record<string, unknown>;

export interface ResourceRecord<T extends Doc = Doc> {
  workspace: string;
  kind: ResourceKind;
  name: string;
  doc: T;
  /** Starts at 1 and grows by one on every write: optimistic concurrency for drafts. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface RunRecord {
  id: string;
  workspace: string;
  agentId: string;
  userId: string;
  conversationId: string;
  status: string;
  blockedActionId: string;
  initialMessage: string;
  invokeUrl: string;
  /**
   * The boot id of the platform process driving the run (an invoke or a resume in flight), ""
   * when the run is driven from outside; start-up reconciles runs of boots that are gone.
   */
  owner: string;
  /**
   * How `userId` was established: `jwt:<identity provider>` (a verified end-user token),
   * `service:<api key id>` (a key allowed to act for users), or "" (unverified).
   */
  userAuth: string;
  createdAt: string;
  updatedAt: string;
}

export type NewRun = Pick<RunRecord, "workspace" | "agentId" | "userId"> &
  Partial<
    Pick<
      RunRecord,
      "id" | "conversationId" | "initialMessage" | "invokeUrl" | "status" | "owner" | "userAuth"
    >
  >;

export interface RunEventRecord {
  id: string;
  runId: string;
  seq: number;
  type: string;
  actor: string;
  payloadHash: string;
  data: Doc;
  timestamp: string;
}

/** An event with what the audit chain needs (docs/audit.md): its data as stored, and its links. */
export interface ChainedEventRecord extends RunEventRecord {
  /** The data's JSON text exactly as stored (its SHA-256 is hashed into the chain). */
  dataText: string;
  /** The previous event's hash ("" for the first chained event and for unchained ones). */
  prevHash: string;
  /** "" for events stored before the chain existed. */
  hash: string;
}

/** A run event as the workspace feed serves it: its durable feed position and its run's agent. */
export interface FeedEventRecord extends RunEventRecord {
  /** Grows with every appended event of any workspace; never reused. */
  position: number;
  agentId: string;
}

export interface FeedFilter {
  after: number;
  limit: number;
  runId?: string;
  agentId?: string;
  /** Event types; empty or absent = all. */
  types?: string[];
  /**
   * Only runs of this user, started the way `auth` says (`RunRecord.userId` and `userAuth`, e.g.
   * `jwt:<provider>`): a signed-in person's own runs.
   */
  runUser?: { id: string; auth: string };
}

/** A time window [from, to) over ISO timestamps; either end may be open. */
export interface TimeWindow {
  from?: string;
  to?: string;
}

export type NewRunEvent = Pick<RunEventRecord, "type"> &
  Partial<Pick<RunEventRecord, "actor" | "payloadHash" | "data">> & {
    /**
     * Append only while the run has not ended (COMPLETED / FAILED), judged when the event is
     * sealed, atomically with the run's status: else the append fails with {@link RunEndedError},
     * so nothing lands after a run's outcome.
     */
    whileActive?: boolean;
  };

export interface ApiKeyRecord {
  id: string;
  workspace: string;
  name: string;
  prefix: string;
  last4: string;
  hash: string;
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  /** May name the end user (`user_id`) on invoke where identity providers verify users. */
  actForUsers?: boolean;
  /** `admin` | `operator` | `developer` | `viewer` (see `api/roles`); anything else grants nothing. */
  role: string;
  /** Approver groups, matched against policies' `approvers.groups`. */
  groups: string[];
}

/** An append `whileActive` to a run that has ended. */
export class RunEndedError extends Error {
  override name = "RunEndedError";
  constructor(
    readonly runId: string,
    readonly status: string,
  ) {
    super(`run ${runId} is ${status}: no events after its outcome`);
  }
}

export class VersionConflictError extends Error {
  override name = "VersionConflictError";
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`version conflict: expected ${expected}, current is ${actual}`);
  }
}

/** How {@link Store.claimResources} picks and holds items. */
export interface ClaimOptions {
  /** At most this many items per call. */
  limit: number;
  /** The claim holds until now + leaseMs unless renewed ({@link Store.renewClaim}) or released. */
  leaseMs: number;
  /** Epoch ms taken as "now" (tests move the clock). @default Date.now() */
  now?: number;
  /** Only this resource (a lease on one thing, e.g. one token's refresh). */
  name?: string;
}

export interface RunFilter {
  agentId?: string;
  status?: string[];
  userId?: string;
  conversationId?: string;
  limit?: number;
}

/** Placement (`placement.ts`): which replica supervises which agent. */
export interface Store extends PlacementStore {
  getResource<T extends Doc = Doc>(
    ws: string,
    kind: ResourceKind,
    name: string,
  ): Promise<ResourceRecord<T> | undefined>;
  /**
   * `getResource` for hot paths: a deeply frozen record, the same object for as long as the row
   * is unchanged, so callers may cache what they derive from it in a `WeakMap` keyed by it.
   */
  readResource<T extends Doc = Doc>(
    ws: string,
    kind: ResourceKind,
    name: string,
  ): Promise<Readonly<ResourceRecord<T>> | undefined>;
  listResources<T extends Doc = Doc>(ws: string, kind: ResourceKind): Promise<ResourceRecord<T>[]>;
  /** Insert or replace. With `expectedVersion`, throws VersionConflictError unless it matches. */
  putResource<T extends Doc>(
    ws: string,
    kind: ResourceKind,
    name: string,
    doc: T,
    options?: {
      expectedVersion?: number;
      /**
       * Epoch ms before which {@link claimResources} does not hand the resource out (a job's
       * backoff, a window's end). Unset: a new resource is due at once, a replaced one keeps its time.
       */
      dueAt?: number;
    },
  ): Promise<{ record: ResourceRecord<T>; created: boolean }>;
  /**
   * Adds `add`'s numbers to the stored document's fields of the same names (a missing field
   * counts as 0) and sets `doc`'s fields, in one atomic write: concurrent increments from any
   * number of processes all count. Creates the resource (from `doc` and `add`) when missing.
   */
  incrementResource<T extends Doc>(
    ws: string,
    kind: ResourceKind,
    name: string,
    doc: Partial<T>,
    add: Record<string, number>,
  ): Promise<ResourceRecord<T>>;
  /**
   * Claims up to `limit` resources of `kind` in `ws` that are due and not claimed (or whose
   * claim lapsed), for `owner`, in due order. Among processes claiming at once, each resource
   * goes to exactly one. A claim is not a write: it changes neither the document nor the version.
   */
  claimResources<T extends Doc = Doc>(
    ws: string,
    kind: ResourceKind,
    owner: string,
    options: ClaimOptions,
  ): Promise<ResourceRecord<T>[]>;
  /** Extends `owner`'s claim; false when it holds none on the resource any more. */
  renewClaim(ws: string, kind: ResourceKind, name: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Ends `owner`'s claim; `dueAt` sets when the resource is due again (default: unchanged). */
  releaseClaim(
    ws: string,
    kind: ResourceKind,
    name: string,
    owner: string,
    options?: { dueAt?: number },
  ): Promise<void>;
  /**
   * Ends every claim `owner` holds (a draining process), or with `null` every claim of anyone (a
   * process that knows it is the only one: SQLite at start-up). Returns how many.
   */
  releaseClaims(owner: string | null): Promise<number>;
  deleteResource(ws: string, kind: ResourceKind, name: string): Promise<boolean>;

  createRun(run: NewRun): Promise<RunRecord>;
  /**
   * `createRun` and `appendEvent` for the run's first events (in this order, the same way
   * `appendEvent` does), settled once both are stored. SQLite writes them in one transaction, the
   * group commit of the appends made in the same turn (no commit of the run's own); PostgreSQL
   * inserts the run, then appends. The run's timestamps may be those of the commit.
   */
  createRunWithEvents(
    run: NewRun,
    events: NewRunEvent[],
  ): Promise<{ run: RunRecord; events: RunEventRecord[] }>;
  getRun(ws: string, id: string): Promise<RunRecord | undefined>;
  /** Newest first (by `updated_at`); at most `limit` when given. */
  listRuns(ws: string, filter?: RunFilter): Promise<RunRecord[]>;
  /** Runs in any workspace whose status is one of `status` (start-up reconciliation). */
  listRunsWithStatus(status: string[]): Promise<RunRecord[]>;
  /**
   * Apply `patch` only while the run's status is one of `ifStatus` (when given). Returns the
   * updated run, or undefined when the run does not exist or its status did not match.
   */
  updateRun(
    ws: string,
    id: string,
    patch: Partial<Pick<RunRecord, "status" | "blockedActionId" | "initialMessage" | "invokeUrl" | "owner">>,
    ifStatus?: string[],
  ): Promise<RunRecord | undefined>;
  /**
   * `updateRun` and `appendEvent` as one atomic step: while the run's status is one of
   * `ifStatus`, applies `patch` and appends `events` (in this order, the same way `appendEvent`
   * does) in one transaction, so no reader sees the new status without the events. Returns the
   * updated run and the events, or undefined (nothing written) when the run does not exist or its
   * status did not match. Ending a run (COMPLETED / FAILED) goes through here.
   */
  updateRunWithEvents(
    ws: string,
    id: string,
    patch: Partial<Pick<RunRecord, "status" | "blockedActionId" | "initialMessage" | "invokeUrl" | "owner">>,
    ifStatus: string[],
    events: NewRunEvent[],
  ): Promise<{ run: RunRecord; events: RunEventRecord[] } | undefined>;
  /**
   * Appends with the next `seq` for the run, assigned in the same transaction as the insert, and
   * seals it into the run's audit chain (`prev_hash`, `hash`: see store/event-chain.ts).
   */
  appendEvent(ws: string, runId: string, event: NewRunEvent): Promise<RunEventRecord>;
  /**
   * Ascending by seq, only events of `type` when given. `tail` keeps the last N; `limit` the first
   * N after `afterSeq`.
   */
  listEvents(
    ws: string,
    runId: string,
    options?: { afterSeq?: number; limit?: number; tail?: number; type?: string },
  ): Promise<RunEventRecord[]>;

  /**
   * Audit reads: a run's events with their chain fields, ascending by seq, the first `limit`
   * after `afterSeq` whose timestamp is in the window.
   */
  listChainedEvents(
    ws: string,
    runId: string,
    options: TimeWindow & { afterSeq: number; limit: number },
  ): Promise<ChainedEventRecord[]>;
  /**
   * Runs that may have events in the window (created before `to`, last written at or after
   * `from`), in creation order: the first `limit` after the run `after`.
   */
  listRunsInWindow(
    ws: string,
    options: TimeWindow & { after?: { createdAt: string; id: string }; limit: number },
  ): Promise<RunRecord[]>;

  /** The workspace feed after position `after`, ascending (GET /events/stream). */
  listFeed(ws: string, filter: FeedFilter): Promise<FeedEventRecord[]>;
  /** The last feed position of any workspace (0 when empty): where a new subscriber starts. */
  lastFeedPosition(): Promise<number>;
  /**
   * Called after each commit of appended events (this store's own appends), with the
   * workspaces that got some; returns the unsubscribe.
   */
  onEventsAppended(listener: (workspaces: ReadonlySet<string>) => void): () => void;
  /**
   * Called after each resource this store writes or deletes (this process's writes only; other
   * processes' are not seen); returns the unsubscribe.
   */
  onResourceChanged(listener: (change: ResourceChange) => void): () => void;

  /** Secrets are encrypted at rest; only the egress and gateway read them back. */
  putSecret(ws: string, name: string, values: Record<string, string>): Promise<void>;
  getSecret(ws: string, name: string): Promise<Record<string, string> | undefined>;
  deleteSecret(ws: string, name: string): Promise<void>;
  /** Deletes every secret whose name starts with `prefix`; returns how many there were. */
  deleteSecretsWithPrefix(ws: string, prefix: string): Promise<number>;

  createApiKey(key: ApiKeyRecord): Promise<void>;
  listApiKeys(ws?: string): Promise<ApiKeyRecord[]>;
  countApiKeys(): Promise<number>;
  /**
   * Every workspace something is stored in (resources, runs, API keys), sorted; with `kind`, only
   * the workspaces holding a resource of that kind (cheap: runs are not read).
   */
  listWorkspaces(kind?: ResourceKind): Promise<string[]>;
  findApiKeyByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  updateApiKey(
    id: string,
    patch: Partial<Pick<ApiKeyRecord, "hash" | "last4" | "lastUsedAt" | "expiresAt">>,
  ): Promise<void>;
  deleteApiKey(ws: string, id: string): Promise<boolean>;

  close(): Promise<void>;
}
