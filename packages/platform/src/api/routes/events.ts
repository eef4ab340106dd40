/**
 * @module api/routes/events
 * The live feed: `GET /events/stream` sends the workspace's run events as Server-Sent Events as
 * they are committed (no polling: the store wakes open streams), filtered by `run`, `agent` and
 * `kind` (event types, comma-separated). Each event's SSE `id` is its durable feed position, so
 * a client that reconnects with `Last-Event-ID` (or `?last_event_id=`) gets what it missed, even
 * across a platform restart. Without one the stream starts at the present.
 *
 * Two opt-in channels ride on the same stream as named events (no `id`: they are the present
 * state, sent again on every connection, not history):
 * - `approvals=true`: `event: approval` with `{"pending": N}` (the workspace's pending approval
 *   requests, with or without a run) when the stream opens and whenever the count changes.
 * - `agents=true`: `event: agent` with `{"name", "phase", "message", "version"}` whenever an
 *   agent's phase or status message changes (`phase: "Deleted"` when it is removed).
 *
 * `POST /events/stream-ticket` returns a one-use ticket for browsers' EventSource, which cannot
 * send the API-key header (see `api/event-streams`).
 *
 * A person signed in through an identity provider (a verified end-user JWT, or a ticket issued to
 * one) gets a narrower stream: run events only of the runs they started themselves (the run's
 * user is their verified subject, through the same provider), the `approvals` channel counting
 * only the pending requests an approval rule lets them decide (as their approvals list does), and
 * never the `agents` channel (403), nor a `run` that is not theirs (403). Their stream ends when
 * their token expires.
 */
import type { ServerResponse } from "node:http";
import { HttpError } from "../../errors.js";
import { listRequests } from "../../governance/access-requests.js";
import { mayDecide } from "../../governance/approvers.js";
import { eventView } from "../../governance/runs.js";
import { CLOCK_SKEW_SECONDS } from "../../ingress/verify.js";
import type { FeedEventRecord, FeedFilter, ResourceChange } from "../../store/store.js";
import { isObject } from "../../validate.js";
import type { Principal, RequestContext, RouteDef } from "../context.js";
import { approverOf } from "../roles.js";
import type { Router } from "../router.js";
import { EVENT_ROUTES } from "../schemas/platform.js";

const PAGE = 200;
const HEARTBEAT_MS = 15_000;
const KIND = /^[A-Z][A-Z0-9_]{0,63}$/;

export function registerEventRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/events/stream", {
    permission: "read",
    handler: stream,
    streamTicket: true,
    // A signed-in person: their own runs and the approvals they may decide (`stream` narrows it).
    endUsers: true,
    schema: EVENT_ROUTES.stream,
  });
  api.add("POST", "/events/stream-ticket", {
    permission: "read",
    handler: ticket,
    endUsers: true,
    schema: EVENT_ROUTES.ticket,
  });
}

async function ticket(ctx: RequestContext) {
  const issued = await ctx.services.eventStreams.issueTicket(ctx.workspace, ctx.principal);
  return {
    status: 201,
    body: { ticket: issued.ticket, expires_at: issued.expiresAt.toISOString() },
    headers: { "Cache-Control": "no-store" },
  };
}

async function stream(ctx: RequestContext) {
  if (!/\btext\/event-stream\b/.test(ctx.headers.accept ?? "")) {
    throw new HttpError(406, "this route streams Server-Sent Events: send Accept: text/event-stream");
  }
  const channels = { approvals: flag(ctx.query, "approvals"), agents: flag(ctx.query, "agents") };
  const filter = await narrowForUser(ctx, feedFilter(ctx.query), channels);
  const resumeFrom = lastEventId(ctx);
  const start = resumeFrom ?? (await ctx.store.lastFeedPosition());
  return {
    status: 200,
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-store",
      "X-Accel-Buffering": "no",
    },
    stream: (res: ServerResponse) => follow(ctx, res, filter, start, channels),
  };
}

function flag(query: URLSearchParams, name: string): boolean {
  const raw = (query.get(name) ?? "").trim().toLowerCase();
  if (raw === "" || raw === "false" || raw === "0") return false;
  if (raw === "true" || raw === "1") return true;
  throw new HttpError(400, `query parameter ${name} must be true or false`);
}

interface Channels {
  approvals: boolean;
  agents: boolean;
}

type StreamFilter = Omit<FeedFilter, "after" | "limit">;

/**
 * A signed-in person's stream: only their own runs (the run's user is their verified subject, set
 * by their provider's token), no agents channel, and no run of anyone else. Refusals are 403.
 */
async function narrowForUser(ctx: RequestContext, filter: StreamFilter, channels: Channels) {
  const caller = ctx.principal;
  if (caller.kind !== "user") return filter;
  if (channels.agents) {
    throw new HttpError(
      403,
      "agents=true needs a workspace API key: a signed-in user's stream carries only the approvals channel and the events of runs they started",
    );
  }
  const runUser = ownRuns(caller);
  if (filter.runId) {
    const run = await ctx.store.getRun(ctx.workspace, filter.runId);
    // Someone else's run and no run at all answer alike: a user learns nothing of others' runs.
    if (!run || run.userId !== runUser.id || run.userAuth !== runUser.auth) {
      throw new HttpError(
        403,
        `run ${filter.runId} is not one you started: a signed-in user follows only their own runs`,
      );
    }
  }
  return { ...filter, runUser };
}

const ownRuns = (user: Extract<Principal, { kind: "user" }>) => ({
  id: user.subject,
  auth: `jwt:${user.provider}`,
});

/** The named events of the opt-in channels: the pending-approvals count and agents' phases. */
function stateChannels(ctx: RequestContext, res: ServerResponse, channels: Channels) {
  const { store, workspace } = ctx;
  // A signed-in person counts only the requests they may decide (their approvals list's rule).
  const approver = ctx.principal.kind === "user" ? approverOf(ctx.principal) : undefined;
  const pendingCount = async (): Promise<number> => {
    const records = await listRequests(store, workspace, { status: "PENDING" });
    if (!approver) return records.length;
    let theirs = 0;
    for (const record of records) if (await mayDecide(store, workspace, record.doc, approver)) theirs++;
    return theirs;
  };
  let pending: number | undefined;
  let counting: Promise<void> | undefined;
  let recount = false;
  const agents = new Map<string, string>();
  const send = (event: string, data: unknown) => {
    if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const count = async (): Promise<void> => {
    if (counting) {
      recount = true;
      return counting;
    }
    counting = (async () => {
      try {
        do {
          recount = false;
          const now = await pendingCount();
          if (now !== pending) {
            pending = now;
            send("approval", { pending: now });
          }
        } while (recount);
      } catch (err) {
        ctx.services.log.error("approvals count failed", { error: (err as Error).message });
      } finally {
        counting = undefined;
      }
    })();
    return counting;
  };
  const agent = async (name: string): Promise<void> => {
    const record = await store.getResource(workspace, "agent", name);
    const status = record && isObject(record.doc.status) ? record.doc.status : {};
    const view = record
      ? {
          name,
          phase: typeof status.phase === "string" ? status.phase : "Pending",
          message: typeof status.message === "string" ? status.message : "",
          version: typeof status.version === "number" ? status.version : 0,
        }
      : { name, phase: "Deleted", message: "", version: 0 };
    const key = `${view.phase}|${view.message}|${view.version}`;
    if (agents.get(name) === key) return;
    agents.set(name, key);
    send("agent", view);
  };
  return {
    start: () => (channels.approvals ? count() : undefined),
    /** Run events and keep-alives may come with approvals decided elsewhere: count again. */
    refresh: () => (channels.approvals ? count() : undefined),
    changed: (change: ResourceChange) => {
      // Who may decide what follows the approval rules: a policy change can move a user's count.
      const counted = change.kind === "access_request" || (approver && change.kind === "policy");
      if (channels.approvals && counted) void count();
      if (channels.agents && change.kind === "agent") void agent(change.name).catch(() => undefined);
    },
  };
}

function feedFilter(query: URLSearchParams): StreamFilter {
  const kinds = (query.get("kind") ?? "")
    .split(",")
    .map((k) => k.trim().toUpperCase())
    .filter(Boolean);
  for (const kind of kinds) {
    if (!KIND.test(kind)) throw new HttpError(400, `kind "${kind}" is not an event type (e.g. COMPLETED)`);
  }
  const run = (query.get("run") ?? "").trim();
  const agent = (query.get("agent") ?? "").trim();
  return { ...(run ? { runId: run } : {}), ...(agent ? { agentId: agent } : {}), types: kinds };
}

function lastEventId(ctx: RequestContext): number | undefined {
  const header = ctx.headers["last-event-id"];
  const raw = (Array.isArray(header) ? header[0] : header) ?? ctx.query.get("last_event_id") ?? undefined;
  if (raw === undefined || raw.trim() === "") return undefined;
  const value = Number(raw.trim());
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new HttpError(400, "Last-Event-ID must be the id of an event this stream sent (a whole number)");
  }
  return value;
}

function follow(
  ctx: RequestContext,
  res: ServerResponse,
  filter: StreamFilter,
  start: number,
  channels: Channels,
): Promise<void> {
  const { store, workspace } = ctx;
  const state = stateChannels(ctx, res, channels);
  let position = start;
  let reading = false;
  let again = false;
  let closed = false;
  // Ended by the platform's shutdown (synchronously) or by the client (on "close").
  const gone = () => closed || res.writableEnded;
  const pump = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        if (gone()) return;
        let page: FeedEventRecord[];
        do {
          // Everything up to `head` is committed: a filtered stream need not scan it again.
          const head = await store.lastFeedPosition();
          page = await store.listFeed(workspace, { ...filter, after: position, limit: PAGE });
          for (const event of page) {
            if (gone()) return;
            // A slow reader (a long replay) holds the loop instead of growing the buffer.
            if (!res.write(`id: ${event.position}\ndata: ${JSON.stringify(feedView(event))}\n\n`)) {
              await drained(res);
            }
          }
          const last = page.at(-1)?.position ?? position;
          position = page.length < PAGE ? Math.max(head, last) : last;
        } while (page.length === PAGE && !gone());
      } while (again && !gone());
    } catch (err) {
      ctx.services.log.error("event stream read failed", { error: (err as Error).message });
      res.end();
    } finally {
      reading = false;
    }
  };
  return new Promise<void>((resolve) => {
    res.flushHeaders();
    // The client waits 2 s before it reconnects after the platform went away.
    res.write("retry: 2000\n\n");
    // Each beat also reads: events another platform process appended (one database) arrive then.
    const heartbeat = setInterval(() => {
      res.write(": keep-alive\n\n");
      void pump();
      void state.refresh();
    }, HEARTBEAT_MS);
    heartbeat.unref();
    // A signed-in person's stream lasts no longer than their token: to go on, the console takes a
    // new ticket, which needs a valid token (the groups and the subject are checked again).
    const lasts = userStreamLasts(ctx.principal);
    const expiry = lasts === undefined ? undefined : setTimeout(() => res.end(), lasts);
    expiry?.unref();
    const remove = ctx.services.eventStreams.add({
      workspace,
      res,
      wake: () => void pump(),
      changed: state.changed,
    });
    res.once("close", () => {
      closed = true;
      clearInterval(heartbeat);
      clearTimeout(expiry);
      remove();
      resolve();
    });
    void state.start();
    void pump();
  });
}

/** Longest a timer waits (Node fires a longer one at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * How long a signed-in person's stream may stay open: until their token expires, with the clock
 * skew its verification allows (else the console would reconnect in a loop with a token that is
 * still accepted). Undefined for API keys.
 */
function userStreamLasts(principal: Principal, now = Date.now()): number | undefined {
  if (principal.kind !== "user" || principal.expiresAt === undefined) return undefined;
  // A second more: verification counts whole seconds, so the token is refused by then.
  const ends = principal.expiresAt + (CLOCK_SKEW_SECONDS + 1) * 1000;
  return Math.min(MAX_TIMER_MS, Math.max(0, ends - now));
}

/** Resolves when the response can take more, or is gone. */
const drained = (res: ServerResponse): Promise<void> =>
  new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });

const feedView = (event: FeedEventRecord) => ({
  ...eventView(event),
  position: event.position,
  agent_id: event.agentId,
});
