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
 */
import { randomBytes } from "node:crypto";
import type { ServerResponse } from "node:http";
import { HttpError } from "../errors.js";
import type { ResourceChange, Store } from "../store/store.js";
import type { Principal, Services } from "./context.js";

export const TICKET_TTL_MS = 30_000;

interface Ticket {
  workspace: string;
  principal: Principal;
  expiresAt: number;
}

/** An open stream: `wake` asks it to read the feed again. */
export interface OpenStream {
  workspace: string;
  wake(): void;
  /** A resource of the stream's workspace was written or deleted (approvals, agents). */
  changed?(change: ResourceChange): void;
  res: ServerResponse;
}

export class EventStreams {
  readonly #tickets = new Map<string, Ticket>();
  readonly #open = new Set<OpenStream>();
  readonly #unsubscribe: () => void;
  readonly #unsubscribeChanges: () => void;

  constructor(store: Store) {
    this.#unsubscribe = store.onEventsAppended((workspaces) => {
      for (const stream of this.#open) if (workspaces.has(stream.workspace)) stream.wake();
    });
    this.#unsubscribeChanges = store.onResourceChanged((change) => {
      for (const stream of this.#open) if (stream.workspace === change.workspace) stream.changed?.(change);
    });
  }

  issueTicket(
    workspace: string,
    principal: Principal,
    now = Date.now(),
  ): { ticket: string; expiresAt: Date } {
    for (const [id, t] of this.#tickets) if (t.expiresAt <= now) this.#tickets.delete(id);
    const ticket = `ra_st_${randomBytes(24).toString("base64url")}`;
    const expiresAt = now + TICKET_TTL_MS;
    this.#tickets.set(ticket, { workspace, principal, expiresAt });
    return { ticket, expiresAt: new Date(expiresAt) };
  }

  /** The ticket's principal, once: a second use, another workspace or a late use get undefined. */
  redeemTicket(ticket: string, workspace: string, now = Date.now()): Principal | undefined {
    const found = this.#tickets.get(ticket);
    if (!found) return undefined;
    this.#tickets.delete(ticket);
    if (found.expiresAt <= now || found.workspace !== workspace) return undefined;
    return found.principal;
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
    this.#tickets.clear();
  }
}

export function redeemStreamTicket(services: Services, ticket: string, workspace: string): Principal {
  const principal = services.eventStreams.redeemTicket(ticket, workspace);
  if (!principal) {
    throw new HttpError(
      401,
      "invalid, used or expired stream ticket: get a new one with POST /api/v1/events/stream-ticket",
    );
  }
  return principal;
}
