/**
 * @module deploy/placement/forward
 * Sends a request to another replica's `/_fleet/v1/...` routes, signed (`replica-auth.ts`), and
 * turns its answer into this replica's reply: status, the headers a caller needs, and the body
 * streamed through as it arrives (an invoke's SSE, a followed log). A replica that cannot be
 * reached answers 503 with `Retry-After: 1`: its agents are about to move to a live replica.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Reply } from "../../api/context.js";
import { HttpError } from "../../errors.js";
import { AgentHttpError, dispatchToAgent, readText } from "../agent-http.js";
import type { ReplicaAuth } from "./replica-auth.js";

/** The path prefix of the routes replicas call on each other (`api/routes/fleet.ts`). */
export const FLEET_PREFIX = "/_fleet/v1";

/** Answer headers passed back to the caller. */
const PASSED = [
  "content-type",
  "cache-control",
  "x-accel-buffering",
  "x-run-id",
  "x-conversation-id",
  "retry-after",
];

export interface ForwardRequest {
  /** The other replica's advertised URL. */
  url: string;
  method: "GET" | "POST";
  /** From `/_fleet/v1`, with its query. */
  path: string;
  body?: string;
  requestId?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export function fleetPath(ws: string, agent: string, rest: string): string {
  return `${FLEET_PREFIX}/agents/${encodeURIComponent(ws)}/${encodeURIComponent(agent)}/${rest}`;
}

/** Sends `request` signed; resolves with the other replica's response once its headers arrived. */
export async function sendToReplica(auth: ReplicaAuth, request: ForwardRequest): Promise<IncomingMessage> {
  const body = request.body ?? "";
  const headers: Record<string, string> = {
    ...auth.sign({ method: request.method, path: request.path, body }),
    ...(request.body !== undefined ? { "Content-Type": "application/json" } : {}),
    ...(request.requestId ? { "X-Request-Id": request.requestId } : {}),
  };
  try {
    return await dispatchToAgent({
      method: request.method,
      target: { url: request.url },
      path: request.path,
      headers,
      ...(request.method === "POST" ? { body } : {}),
      timeoutMs: request.timeoutMs,
      ...(request.signal ? { signal: request.signal } : {}),
    }).response;
  } catch (error) {
    if (error instanceof AgentHttpError && error.kind === "unreachable") {
      throw new HttpError(
        503,
        `the replica serving this agent is unreachable (${error.message}); try again`,
        {
          headers: { "Retry-After": "1" },
        },
      );
    }
    throw error;
  }
}

/** Forwards and relays the answer as this replica's reply. */
export async function forwardReply(
  auth: ReplicaAuth,
  request: ForwardRequest,
  caller: ServerResponse,
): Promise<Reply> {
  const abort = new AbortController();
  const onClose = () => {
    if (!caller.writableFinished) abort.abort();
  };
  caller.once("close", onClose);
  let upstream: IncomingMessage;
  try {
    upstream = await sendToReplica(auth, { ...request, signal: abort.signal });
  } catch (error) {
    caller.off("close", onClose);
    throw error;
  }
  const headers: Record<string, string> = {};
  for (const name of PASSED) {
    const value = upstream.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  const status = upstream.statusCode ?? 502;
  if (!(headers["content-type"] ?? "").startsWith("text/event-stream")) {
    try {
      const text = await readText(upstream, request.timeoutMs);
      return { status, headers, stream: async (res) => void res.end(text) };
    } finally {
      caller.off("close", onClose);
    }
  }
  return {
    status,
    headers,
    stream: (res) =>
      new Promise<void>((resolve) => {
        res.flushHeaders();
        const done = () => {
          caller.off("close", onClose);
          if (!res.writableEnded) res.end();
          resolve();
        };
        upstream.on("data", (chunk: Buffer) => {
          if (!res.write(chunk)) {
            upstream.pause();
            res.once("drain", () => upstream.resume());
          }
        });
        upstream.once("end", done);
        upstream.once("error", done);
        upstream.once("close", done);
        res.once("close", () => {
          upstream.destroy();
          done();
        });
      }),
  };
}
