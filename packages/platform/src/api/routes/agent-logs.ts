/**
 * @module api/routes/agent-logs
 * `GET /agents/{name}/logs?tail=N` (default 100, at most 2000; 0 for none) → `{agent, namespace, lines}`:
 * the agent's last log lines (its processes' output and the supervisor's `[runagents]` notes).
 *
 * With `follow=true` the answer is a server-sent event stream that stays open:
 * `data: {"type": "line", "line": "..."}` for each of the last `tail` lines, then for every new
 * line as it is written — across crash restarts and redeploys, whose supervisor notes are lines
 * too — and a comment (`: keep-alive`) every 15 s. It ends with
 * `data: {"type": "end", "reason": "..."}` when the agent is deleted, when the platform shuts
 * down, or when the reader falls more than 4 MiB behind.
 *
 * On a fleet of replicas the log lives with the replica that supervises the agent: another
 * replica forwards the request there (`api/routes/fleet.ts`) and relays the answer, a followed
 * log too.
 */
import type { ServerResponse } from "node:http";
import { fleetPath, forwardReply } from "../../deploy/placement/forward.js";
import { HttpError, notFound } from "../../errors.js";
import { queryInt } from "../../validate.js";
import { ok, type Reply, type RequestContext } from "../context.js";

const KEEP_ALIVE_MS = 15_000;
const MAX_BEHIND_BYTES = 4 * 1024 * 1024;

/** `here`: answer from this replica's supervisor, wherever the agent is placed (a forwarded call). */
export async function agentLogs(ctx: RequestContext, here = false): Promise<Reply> {
  const name = ctx.params.name as string;
  if (!(await ctx.store.getResource(ctx.workspace, "agent", name))) throw notFound(`agent ${name} not found`);
  const tail = Math.min(queryInt(ctx.query, "tail", 100, 0) ?? 100, 2000);
  const follow = ["true", "1"].includes(ctx.query.get("follow") ?? "");
  const ref = { workspace: ctx.workspace, name };
  const backend = ctx.services.agents;
  const where = here ? undefined : await backend?.locate?.(ref);
  if (where && !where.local) {
    const auth = ctx.services.replicaAuth;
    if (!auth) throw new HttpError(503, "this replica cannot forward requests (no replica key)");
    const query = new URLSearchParams({ tail: String(tail), ...(follow ? { follow: "true" } : {}) });
    return forwardReply(
      auth,
      {
        url: where.url,
        method: "GET",
        path: `${fleetPath(ctx.workspace, name, "logs")}?${query}`,
        requestId: ctx.requestId,
        timeoutMs: 30_000,
      },
      ctx.res,
    );
  }
  if (!follow) return ok({ agent: name, namespace: ctx.workspace, lines: backend?.logs(ref, tail) ?? [] });
  if (!backend) throw new HttpError(503, "no agent backend is running on this platform");
  return {
    status: 200,
    headers: { "Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no" },
    stream: (res) =>
      new Promise<void>((resolve) => {
        res.flushHeaders();
        const send = (event: Record<string, unknown>): void => {
          if (!res.writableEnded) res.write(`data: ${JSON.stringify(event)}\n\n`);
        };
        let done = false;
        const finish = (reason?: string): void => {
          if (done) return;
          done = true;
          stop();
          clearInterval(keepAlive);
          ctx.services.closing?.removeEventListener("abort", onClosing);
          if (reason !== undefined) send({ type: "end", reason });
          if (!res.writableEnded) res.end();
          resolve();
        };
        const onClosing = (): void => finish("the platform is shutting down");
        // The tail and the subscription happen in one tick, so no line falls between them.
        for (const line of backend.logs(ref, tail)) send({ type: "line", line });
        const stop = backend.followLogs(ref, {
          line: (line) => {
            if (behind(res)) finish("the reader fell too far behind; follow again to continue");
            else send({ type: "line", line });
          },
          end: (reason) => finish(reason),
        });
        const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), KEEP_ALIVE_MS);
        res.on("close", () => finish());
        if (ctx.services.closing?.aborted) onClosing();
        else ctx.services.closing?.addEventListener("abort", onClosing);
      }),
  };
}

const behind = (res: ServerResponse): boolean => res.writableLength > MAX_BEHIND_BYTES;
