/**
 * @module
 * The two local servers of `runagents dev`: the mock tool server (an echo for every tool) and the
 * model proxy that adds the credentials the agent must not hold (an OpenAI key, a workspace key)
 * on the way to the real gateway.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { CliError } from "./args.js";

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Listen on 127.0.0.1:`port`; a taken port is a one-line error naming `flagName`. */
export function listen(server: Server, port: number, what: string, flagName: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE")
        reject(new CliError(`${what}: port ${port} is already in use (use ${flagName})`));
      else reject(error);
    });
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * The mock tool server: always 200 JSON. GET → `{method, path, mock}`; POST/PUT/PATCH →
 * `{method, path, received, mock, result}` (`received` is the JSON body, `{raw}` for other text,
 * `{}` when empty); DELETE → `{method, path, mock, deleted}`.
 */
export function createMockToolServer(log: (line: string) => void): Server {
  return createServer((req, res) => {
    const method = (req.method ?? "GET").toUpperCase();
    const path = req.url ?? "/";
    readBody(req).then(
      (buffer) => {
        log(`  [mock] ${method} ${path}`);
        if (method === "DELETE") return sendJson(res, 200, { method, path, mock: true, deleted: true });
        if (method === "GET" || method === "HEAD") return sendJson(res, 200, { method, path, mock: true });
        const text = buffer.toString("utf8");
        let received: unknown = {};
        if (text.trim() !== "") {
          try {
            received = JSON.parse(text);
          } catch {
            received = { raw: text };
          }
        }
        sendJson(res, 200, { method, path, received, mock: true, result: `Mock response for ${path}` });
      },
      () => sendJson(res, 400, { error: "could not read the request body" }),
    );
  });
}

const HOP_HEADERS = new Set([
  "host",
  "connection",
  "content-length",
  "authorization",
  "x-runagents-api-key",
  "keep-alive",
]);

/**
 * Forwards `/v1/...` to `upstreamBase` + the rest of the path (e.g. `/v1/chat/completions` →
 * `<upstreamBase>/chat/completions`), adding `headers`; streams the answer back. `GET /healthz` is
 * answered locally (the runtime's readiness probe).
 */
export function createModelProxy(
  upstreamBase: string,
  headers: Record<string, string>,
  what = "model upstream",
): Server {
  const base = upstreamBase.replace(/\/+$/, "");
  return createServer((req, res) => {
    const path = req.url ?? "/";
    if (req.method === "GET" && (path === "/healthz" || path === "/")) {
      sendJson(res, 200, { status: "ok" });
      return;
    }
    const rest = path.startsWith("/v1/") ? path.slice(3) : path;
    readBody(req)
      .then(async (body) => {
        const forward: Record<string, string> = {};
        for (const [key, value] of Object.entries(req.headers)) {
          if (!HOP_HEADERS.has(key) && typeof value === "string") forward[key] = value;
        }
        const upstream = await fetch(base + rest, {
          method: req.method ?? "POST",
          headers: { ...forward, ...headers },
          body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
        });
        const out: Record<string, string> = {};
        upstream.headers.forEach((value, key) => {
          if (key !== "content-encoding" && key !== "content-length" && key !== "transfer-encoding")
            out[key] = value;
        });
        res.writeHead(upstream.status, out);
        if (!upstream.body) {
          res.end();
          return;
        }
        Readable.fromWeb(upstream.body as import("node:stream/web").ReadableStream).pipe(res);
      })
      .catch((error: unknown) => {
        const reason =
          error instanceof Error
            ? ((error.cause as Error | undefined)?.message ?? error.message)
            : String(error);
        if (!res.headersSent) sendJson(res, 502, { error: `${what} ${base} unreachable: ${reason}` });
        else res.destroy();
      });
  });
}
