/**
 * @module egress/forward
 * The wire half of the egress: send one request to the tool and stream its answer back to the
 * agent. Request bodies are either already buffered or piped through as they arrive (hashed on
 * the way); responses are always piped. Hop-by-hop headers are dropped in both directions. No
 * answer within the tool's timeout gives `504 {"code": "UPSTREAM_TIMEOUT"}`; a connection
 * failure gives `502 {"code": "UPSTREAM_UNAVAILABLE"}`. The agent hanging up aborts the upstream
 * call.
 */
import { createHash } from "node:crypto";
import http, {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import https from "node:https";

/** Never forwarded in either direction (RFC 9110 §7.6.1), plus framing Node redoes itself. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
]);

export const EMPTY_SHA256 = `sha256:${createHash("sha256").digest("hex")}`;

export const sha256 = (body: Buffer): string =>
  body.length === 0 ? EMPTY_SHA256 : `sha256:${createHash("sha256").update(body).digest("hex")}`;

/** Names listed in the `Connection` header are hop-by-hop too. */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  const text = Array.isArray(value) ? value.join(",") : (value ?? "");
  return new Set(
    text
      .split(",")
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}

/**
 * The agent's headers minus hop-by-hop ones and everything in `drop` (lower-case names): the
 * egress sets identity and credentials itself.
 */
export function forwardableHeaders(
  headers: IncomingHttpHeaders,
  drop: ReadonlySet<string>,
): OutgoingHttpHeaders {
  const listed = connectionTokens(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || drop.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  return forwardableHeaders(headers, new Set());
}

export interface Pools {
  http: http.Agent;
  https: https.Agent;
}

export function createPools(): Pools {
  const options = { keepAlive: true, maxSockets: 512, maxFreeSockets: 128, scheduling: "lifo" as const };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}

export interface ForwardRequest {
  tool: string;
  method: string;
  url: URL;
  headers: OutgoingHttpHeaders;
  /** A buffered body, or the agent's request to pipe through. */
  body: Buffer | IncomingMessage;
  timeoutMs: number;
}

export interface ForwardOutcome {
  /** The status the agent got (the tool's, or 502 / 504 from the egress). */
  status: number;
  /** Set when the egress answered instead of the tool, or the exchange broke off. */
  error?: string;
  durationMs: number;
  responseBytes: number;
  /** `sha256:` of the response body the agent received (when it was received whole). */
  responseHash: string;
  /** `sha256:` of the request body as it went out. */
  requestHash: string;
}

/** Forwards and streams the answer into `res`; resolves when the exchange is over. */
export function forward(pools: Pools, input: ForwardRequest, res: ServerResponse): Promise<ForwardOutcome> {
  const started = performance.now();
  const secure = input.url.protocol === "https:";
  const requestHasher = input.body instanceof Buffer ? undefined : createHash("sha256");
  const responseHasher = createHash("sha256");
  let responseBytes = 0;
  return new Promise((resolve) => {
    let settled = false;
    let answered = false;
    const finish = (status: number, error?: string) => {
      if (settled) return;
      settled = true;
      resolve({
        status,
        ...(error ? { error } : {}),
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        responseBytes,
        responseHash: `sha256:${responseHasher.digest("hex")}`,
        requestHash:
          input.body instanceof Buffer
            ? sha256(input.body)
            : `sha256:${(requestHasher as ReturnType<typeof createHash>).digest("hex")}`,
      });
    };
    const fail = (status: number, code: string, error: string) => {
      if (!res.headersSent) {
        const text = JSON.stringify({ error, code, tool: input.tool });
        res.writeHead(status, {
          "Content-Type": "application/json; charset=utf-8",
          "Content-Length": Buffer.byteLength(text),
        });
        res.end(text);
      } else {
        res.destroy();
      }
      finish(status, error);
    };
    const upstream = (secure ? https : http).request(
      {
        protocol: input.url.protocol,
        hostname: input.url.hostname.replace(/^\[|\]$/g, ""),
        port: input.url.port || (secure ? 443 : 80),
        path: `${input.url.pathname}${input.url.search}`,
        method: input.method,
        headers: input.headers,
        agent: secure ? pools.https : pools.http,
      },
      (answer) => {
        answered = true;
        const status = answer.statusCode ?? 502;
        res.writeHead(status, answer.statusMessage ?? "", responseHeaders(answer.headers));
        answer.on("data", (chunk: Buffer) => {
          responseBytes += chunk.length;
          responseHasher.update(chunk);
        });
        answer.on("end", () => finish(status));
        answer.on("error", (err) =>
          fail(502, "UPSTREAM_UNAVAILABLE", `tool ${input.tool} broke off: ${err.message}`),
        );
        answer.pipe(res);
      },
    );
    // Idle timeout: before the answer's headers it is a 504; mid-answer the agent's stream breaks.
    upstream.setTimeout(input.timeoutMs, () => {
      const seconds = input.timeoutMs / 1000;
      if (answered) fail(502, "UPSTREAM_TIMEOUT", `tool ${input.tool} stalled for ${seconds}s mid-answer`);
      else fail(504, "UPSTREAM_TIMEOUT", `tool ${input.tool} did not answer within ${seconds}s`);
      upstream.destroy();
    });
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      if (settled) return;
      fail(502, "UPSTREAM_UNAVAILABLE", `tool ${input.tool} is unreachable: ${err.code ?? err.message}`);
    });
    res.on("close", () => {
      if (!res.writableFinished && !settled) {
        upstream.destroy();
        finish(499, "the agent closed the connection");
      }
    });
    const body = input.body;
    if (body instanceof Buffer) {
      upstream.end(body);
    } else {
      const hasher = requestHasher as ReturnType<typeof createHash>;
      const stream = body as IncomingMessage;
      stream.on("data", (chunk: Buffer) => hasher.update(chunk));
      stream.on("error", () => upstream.destroy());
      stream.pipe(upstream);
    }
  });
}
