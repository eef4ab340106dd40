/**
 * @module deploy/agent-http
 * HTTP to agent processes: one keep-alive connection pool, a deadline on every request (connect,
 * headers and, for `readJson`, the body), and errors named for the caller. A deployed agent's
 * runtime listens on a Unix socket only the platform can reach and wants its per-process secret
 * on every request; a `runagents dev --governed` runtime is a loopback URL without one.
 * `node:http` rather than `fetch`: it is the shortest path on the invoke hot path and streams a
 * response through untouched.
 */
import { Agent, type IncomingMessage, request } from "node:http";

const pool = new Agent({ keepAlive: true, keepAliveMsecs: 1000, maxSockets: 256, maxFreeSockets: 64 });

export class AgentHttpError extends Error {
  override name = "AgentHttpError";
  constructor(
    message: string,
    readonly kind: "unreachable" | "timeout" | "aborted",
  ) {
    super(message);
  }
}

/** Where an agent runtime listens, and how to prove to it that the platform is calling. */
export interface AgentEndpoint {
  /** Base URL, e.g. http://127.0.0.1:40123; with `socketPath`, only for messages. */
  url: string;
  /** The runtime's Unix socket. */
  socketPath?: string;
  /** Sent as `X-RunAgents-Runtime-Secret`. */
  secret?: string;
}

export const RUNTIME_SECRET_HEADER = "X-RunAgents-Runtime-Secret";

export interface AgentRequest {
  method: string;
  target: AgentEndpoint;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Until the response headers arrive. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Sends the request; resolves with the response once its headers arrived. */
export function sendToAgent(req: AgentRequest): Promise<IncomingMessage> {
  return dispatchToAgent(req).response;
}

/**
 * Sends the request: `sent` settles once it has been handed to the socket (so the caller can do
 * other work while the agent runs), `response` once the response headers arrived.
 */
export function dispatchToAgent(req: AgentRequest): {
  sent: Promise<void>;
  response: Promise<IncomingMessage>;
} {
  let markSent: () => void = () => {};
  const sent = new Promise<void>((resolve) => {
    markSent = resolve;
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    const { target } = req;
    const headers: Record<string, string> = { ...req.headers };
    if (req.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(req.body));
    if (target.secret) headers[RUNTIME_SECRET_HEADER] = target.secret;
    let outgoing: ReturnType<typeof request>;
    try {
      outgoing = target.socketPath
        ? request({ socketPath: target.socketPath, path: req.path, method: req.method, headers, agent: pool })
        : request(new URL(req.path, target.url), { method: req.method, headers, agent: pool });
    } catch (err) {
      markSent();
      reject(new AgentHttpError((err as Error).message, "unreachable"));
      return;
    }
    let settled = false;
    const fail = (error: AgentHttpError) => {
      markSent();
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      outgoing.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new AgentHttpError(`no answer within ${Math.round(req.timeoutMs / 1000)} s`, "timeout")),
      req.timeoutMs,
    );
    const onAbort = () => fail(new AgentHttpError("the caller went away", "aborted"));
    if (req.signal?.aborted) return onAbort();
    req.signal?.addEventListener("abort", onAbort, { once: true });
    outgoing.on("error", (err: NodeJS.ErrnoException) =>
      fail(new AgentHttpError(err.code ? `${err.code}: ${err.message}` : err.message, "unreachable")),
    );
    outgoing.on("response", (res) => {
      if (settled) {
        res.destroy();
        return;
      }
      settled = true;
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onAbort);
      resolve(res);
    });
    outgoing.once("finish", markSent);
    outgoing.end(req.body);
  });
  return { sent, response };
}

/** Reads a whole response body (at most `limit` bytes) as text, within `timeoutMs`. */
export function readText(res: IncomingMessage, timeoutMs: number, limit = 64 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      res.destroy();
      reject(
        new AgentHttpError(`the answer did not finish within ${Math.round(timeoutMs / 1000)} s`, "timeout"),
      );
    }, timeoutMs);
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        clearTimeout(timer);
        res.destroy();
        reject(new AgentHttpError(`the answer is larger than ${limit} bytes`, "unreachable"));
        return;
      }
      chunks.push(chunk);
    });
    res.on("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    res.on("error", (err) => {
      clearTimeout(timer);
      reject(new AgentHttpError(err.message, "unreachable"));
    });
  });
}

/** GET `path` and parse JSON; undefined on any failure (used by health probes). */
export async function probeJson(target: AgentEndpoint, path: string, timeoutMs: number): Promise<unknown> {
  try {
    const res = await sendToAgent({ method: "GET", target, path, timeoutMs });
    const text = await readText(res, timeoutMs, 1024 * 1024);
    if (res.statusCode !== 200) return undefined;
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
