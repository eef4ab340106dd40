/**
 * @module governance/expiry-sweeper
 * Moves time-window approvals (`agent_user_ttl`) from APPROVED to EXPIRED when their window ends,
 * and an approved action that was never executed with them to EXPIRED. The egress already treats
 * an ended window as expired at the moment of the call; the sweeper makes the stored status say
 * so, for lists, dashboards and connectors.
 *
 * Each window is indexed when it is approved (a `setting` named `<ws>/<request id>` in the
 * reserved workspace `_approval-windows`, holding `{workspace, request_id, expires_at}`), so one
 * sweep reads only open windows, across workspaces, and the index survives restarts. An entry is
 * due at its window's end and claimed before it is swept, so with several platforms on one
 * database each window is swept by exactly one. The clock is injectable for tests.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../log.js";
import type { Doc, Store } from "../store/store.js";
import { expireIfDue } from "./access-requests.js";
import type { AccessRequest, ApprovalDecision, ApprovalEvents } from "./approvals.js";
import { setActionStatus } from "./blocked-actions.js";

export const WINDOW_INDEX = "_approval-windows";

interface WindowEntry extends Doc {
  workspace: string;
  request_id: string;
  expires_at: string;
}

export interface SweeperDeps {
  store: Store;
  log: Logger;
  approvals: ApprovalEvents;
  /** Holds the sweeper's claims (the platform's boot id). */
  bootId?: string;
}

/** Windows claimed per store call, and how long a claim holds. */
const CLAIM_BATCH = 50;
const CLAIM_LEASE_MS = 60_000;

export interface SweeperOptions {
  /** @default 15000 */
  intervalMs?: number;
  now?: () => Date;
}

export class ExpirySweeper {
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #running: Promise<number> | undefined;
  readonly #intervalMs: number;
  readonly #now: () => Date;
  readonly #owner: string;

  constructor(
    private readonly deps: SweeperDeps,
    options: SweeperOptions = {},
  ) {
    this.#intervalMs = options.intervalMs ?? 15_000;
    this.#now = options.now ?? (() => new Date());
    this.#owner = deps.bootId || `sweeper-${randomUUID()}`;
  }

  start(): void {
    this.#unsubscribe = this.deps.approvals.onDecision((event) => this.#index(event));
    this.#timer = setInterval(() => this.#tick(), this.#intervalMs);
    this.#timer.unref();
    this.#tick();
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    if (this.#timer) clearInterval(this.#timer);
    await this.#running?.catch(() => undefined);
  }

  /**
   * Expires every window that has ended at `now`; returns how many requests it expired. Each
   * ended window is claimed first (`Store.claimResources`, due at its end), so among several
   * platforms on one database exactly one sweeps it.
   */
  async sweep(now: Date = this.#now()): Promise<number> {
    const { store } = this.deps;
    const at = now.toISOString();
    let expired = 0;
    for (;;) {
      const entries = await store.claimResources<WindowEntry>(WINDOW_INDEX, "setting", this.#owner, {
        limit: CLAIM_BATCH,
        leaseMs: CLAIM_LEASE_MS,
        now: now.getTime(),
      });
      for (const entry of entries) {
        try {
          if (await this.#sweepOne(entry.name, entry.doc, at)) expired++;
        } finally {
          await store.releaseClaim(WINDOW_INDEX, "setting", entry.name, this.#owner);
        }
      }
      if (entries.length < CLAIM_BATCH) return expired;
    }
  }

  /** One claimed window: expired (true), indexed again at its real end, or dropped. */
  async #sweepOne(name: string, entry: WindowEntry, at: string): Promise<boolean> {
    const { store } = this.deps;
    const { workspace, request_id: id } = entry;
    if (entry.expires_at > at) {
      // indexed before windows had due times: due at its end
      await store.putResource(WINDOW_INDEX, "setting", name, entry, { dueAt: Date.parse(entry.expires_at) });
      return false;
    }
    let expired = false;
    const record = await store.getResource<AccessRequest>(workspace, "access_request", id);
    if (record) {
      const after = await expireIfDue(store, workspace, record, at);
      if (after.doc.status === "EXPIRED" && record.doc.status === "APPROVED") {
        expired = true;
        if (after.doc.action_id) {
          await setActionStatus(store, workspace, after.doc.action_id, ["APPROVED"], "EXPIRED");
        }
        this.deps.log.info("approval window expired", { workspace, request_id: id });
      }
      // still APPROVED: the window was changed meanwhile; index it again with its real end
      if (after.doc.status === "APPROVED" && after.doc.expires_at > at) {
        await store.putResource(
          WINDOW_INDEX,
          "setting",
          name,
          { ...entry, expires_at: after.doc.expires_at },
          { dueAt: Date.parse(after.doc.expires_at) },
        );
        return false;
      }
    }
    await store.deleteResource(WINDOW_INDEX, "setting", name);
    return expired;
  }

  #tick(): void {
    if (this.#running) return;
    this.#running = this.sweep()
      .catch((error: unknown) => {
        this.deps.log.error("approval expiry sweep failed", { error: String(error) });
        return 0;
      })
      .finally(() => {
        this.#running = undefined;
      });
  }

  async #index(event: ApprovalDecision): Promise<void> {
    const request = event.request;
    if (event.decision !== "approved" || request?.scope !== "agent_user_ttl" || !request.expires_at) return;
    const entry: WindowEntry = {
      workspace: event.workspace,
      request_id: request.id,
      expires_at: request.expires_at,
    };
    await event.store.putResource(WINDOW_INDEX, "setting", `${event.workspace}/${request.id}`, entry, {
      dueAt: Date.parse(request.expires_at),
    });
  }
}
