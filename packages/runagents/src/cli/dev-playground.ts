/**
 * @module
 * The offline playground model served in-process for `runagents dev` when no platform answers
 * and no provider key is set: `POST /v1/chat/completions` in the OpenAI format, whole or
 * streamed (`"stream": true`, SSE ending in `data: [DONE]`), with the same deterministic answers
 * as the platform's `playground` provider (`runagents/playground`).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type PlaygroundRequest, playgroundChunks, playgroundCompletion } from "../playground/index.js";

const MAX_BODY_BYTES = 4 * 1024 * 1024;

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error("request body too large"));
      else chunks.push(chunk);
    });
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new Error("request body must be JSON"));
      }
    });
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** The request's shape checked just enough for the model: `messages` is a list of objects. */
function asRequest(body: unknown): (PlaygroundRequest & { stream?: unknown }) | string {
  if (body === null || typeof body !== "object" || Array.isArray(body))
    return "request body must be a JSON object";
  const b = body as Record<string, unknown>;
  if (!Array.isArray(b.messages) || !b.messages.every((m) => m !== null && typeof m === "object"))
    return "messages must be a list of message objects";
  if (b.tools !== undefined && !Array.isArray(b.tools)) return "tools must be a list";
  return {
    ...(b as unknown as PlaygroundRequest),
    model: typeof b.model === "string" ? b.model : "playground",
  };
}

export function createPlaygroundServer(): Server {
  return createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method === "GET" && (path === "/healthz" || path === "/")) {
      sendJson(res, 200, { status: "ok", model: "offline playground" });
      return;
    }
    if (req.method !== "POST" || !path.endsWith("/chat/completions")) {
      sendJson(res, 404, { error: `the offline playground model answers POST /v1/chat/completions only` });
      return;
    }
    readJson(req).then(
      (body) => {
        const request = asRequest(body);
        if (typeof request === "string") return sendJson(res, 400, { error: request });
        if (request.stream !== true) return sendJson(res, 200, playgroundCompletion(request));
        res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
        for (const chunk of playgroundChunks(request)) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        res.end("data: [DONE]\n\n");
      },
      (error: Error) => sendJson(res, 400, { error: error.message }),
    );
  });
}
