/**
 * @module api/event-streams
 * What the live feed (`GET /events/stream`) needs beyond one request: one-use stream tickets and
 * the set of open streams, woken when the store commits events and ended when the platform stops
 * (an open SSE response would otherwise hold `server.close()` forever).
 *
 * Tickets exist because a browser's `EventSource` cannot send the `X-RunAgents-API-Key` header:
 * an authenticated `POST /events/stream-ticket` returns a random ticket valid for one connection
 * within `TICKET_TTL_MS`, bound to the caller and the workspace. Unlike an API key in the query
 * string, a ticket that lands in a proxy log or the browser history is worthless a moment later.
 * Tickets live in the store (hashed), so one issued by one platform replica is redeemed on any
 * other; open streams are woken by the store, which on PostgreSQL includes other replicas' commits.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { HttpError } from "../errors.js";
import type { Doc, ResourceChange, Store } from "../store/store.js";
import type { Principal, Services } from "./context.js";

export const TICKET_TTL_MS = 30_000;

/** Where tickets are kept: `setting` resources named by the ticket's SHA-256. */
export const TICKETS = "_stream-tickets";

interface StoredTicket extends Doc {
  workspace: string;
  principal: Principal;
  /** Epoch ms. */
  expires_at: number;
}

const ticketKey = (ticket: string): string => createHash("sha256").update(ticket).digest("hex");

/** An open stream: `wake` asks it to read the feed again. */
export interface OpenStream {
  workspace: string;
  wake(): void;
  /** A resource of the stream's workspace was written or deleted (approvals, agents). */
  changed?(change: ResourceChange): void;
  res: ServerResponse;
}

export class EventStreams {
  readonly #open = new Set<OpenStream>();
  readonly #unsubscribe: () => void;
  readonly #unsubscribeChanges: () => void;

  constructor(private readonly store: Store) {
    this.#unsubscribe = store.onEventsAppended((workspaces) => {
      for (const stream of this.#open) if (workspaces.has(stream.workspace)) stream.wake();
    });
    this.#unsubscribeChanges = store.onResourceChanged((change) => {
      for (const stream of this.#open) if (stream.workspace === change.workspace) stream.changed?.(change);
    });
  }

  /**
   * A new ticket, stored hashed (SHA-256) in the store, so any platform process on the same
   * database redeems it, and the stored form is worthless to a reader of the database.
   */
  async issueTicket(
    workspace: string,
    principal: Principal,
    now = Date.now(),
  ): Promise<{ ticket: string; expiresAt: Date }> {
    for (const old of await this.store.listResources<StoredTicket>(TICKETS, "setting")) {
      if (old.doc.expires_at <= now) await this.store.deleteResource(TICKETS, "setting", old.name);
    }
    const ticket = `ra_st_${randomBytes(24).toString("base64url")}`;
    const expiresAt = now + TICKET_TTL_MS;
    const stored: StoredTicket = { workspace, principal, expires_at: expiresAt };
    await this.store.putResource(TICKETS, "setting", ticketKey(ticket), stored, { expectedVersion: 0 });
    return { ticket, expiresAt: new Date(expiresAt) };
  }

  /** The ticket's principal, once: a second use, another workspace or a late use get undefined. */
  async redeemTicket(ticket: string, workspace: string, now = Date.now()): Promise<Principal | undefined> {
    if (!/^ra_st_[A-Za-z0-9_-]{32}$/.test(ticket)) return undefined;
    const key = ticketKey(ticket);
    const found = await this.store.getResource<StoredTicket>(TICKETS, "setting", key);
    // Whoever deletes it redeems it: among processes redeeming at once, exactly one.
    if (!found || !(await this.store.deleteResource(TICKETS, "setting", key))) return undefined;
    if (found.doc.expires_at <= now || found.doc.workspace !== workspace) return undefined;
    return found.doc.principal;
  }

  add(stream: OpenStream): () => void {
    this.#open.add(stream);
    return () => this.#open.delete(stream);
  }

  get openCount(): number {
    return this.#open.size;
  }

  /** Ends every open stream (platform shutdown): clients reconnect with Last-Event-ID. */
  close(): void {
    this.#unsubscribe();
    this.#unsubscribeChanges();
    for (const stream of this.#open) stream.res.end();
    this.#open.clear();
  }
}

export async function redeemStreamTicket(
  services: Services,
  ticket: string,
  workspace: string,
): Promise<Principal> {
  const principal = await services.eventStreams.redeemTicket(ticket, workspace);
  if (!principal) {
    throw new HttpError(
      401,
      "invalid, used or expired stream ticket: get a new one with POST /api/v1/events/stream-ticket",
    );
  }
  return principal;
}
