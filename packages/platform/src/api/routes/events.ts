/**
 * @module api/routes/events
 * The live feed: `GET /events/stream` sends the workspace's run events as Server-Sent Events as
 * they are committed (no polling: the store wakes open streams), filtered by `run`, `agent` and
 * `kind` (event types, comma-separated). Each event's SSE `id` is its durable feed position, so
 * a client that reconnects with `Last-Event-ID` (or `?last_event_id=`) gets what it missed, even
 * across a platform restart. Without one the stream starts at the present.
 *
 * `POST /events/stream-ticket` returns a one-use ticket for browsers' EventSource, which cannot
 * send the API-key header (see `api/event-streams`).
 */
import type { ServerResponse } from "node:http";
import { HttpError } from "../../errors.js";
import { eventView } from "../../governance/runs.js";
import type { FeedEventRecord, FeedFilter } from "../../store/store.js";
import type { RequestContext, RouteDef } from "../context.js";
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
    schema: EVENT_ROUTES.stream,
  });
  api.add("POST", "/events/stream-ticket", {
    permission: "read",
    handler: ticket,
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
  const filter = feedFilter(ctx.query);
  const resumeFrom = lastEventId(ctx);
  const start = resumeFrom ?? (await ctx.store.lastFeedPosition());
  return {
    status: 200,
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-store",
      "X-Accel-Buffering": "no",
    },
    stream: (res: ServerResponse) => follow(ctx, res, filter, start),
  };
}

function feedFilter(query: URLSearchParams): Omit<FeedFilter, "after" | "limit"> {
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
  filter: Omit<FeedFilter, "after" | "limit">,
  start: number,
): Promise<void> {
  const { store, workspace } = ctx;
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
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const remove = ctx.services.eventStreams.add({ workspace, res, wake: () => void pump() });
    res.once("close", () => {
      closed = true;
      clearInterval(heartbeat);
      remove();
      resolve();
    });
    void pump();
  });
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
