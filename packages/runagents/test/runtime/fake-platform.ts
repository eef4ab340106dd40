/**
 * A small local server that plays the platform around an agent runtime: the LLM gateway
 * (OpenAI chat completions, JSON or SSE, with tool calls), tools under `/tools/...`, and governance
 * (checkpoint store and tool-result sink under `/gov/runs/...`). Every request is recorded.
 */

import { EventEmitter } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface LlmReply {
  content?: string | null;
  tool_calls?: Array<{ id: string; name: string; arguments: string }>;
  model?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  /** Answer with this HTTP status and body instead. */
  status?: number;
  errorBody?: string;
  /** Streamed replies: content split into these chunks (default: by word). */
  chunks?: string[];
  /** Streamed replies: awaited after the first chunk, before the rest. */
  gate?: Promise<void>;
}

export interface ToolReply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type ToolResponder = (req: Recorded) => ToolReply | Promise<ToolReply>;

export class FakePlatform {
  readonly requests: Recorded[] = [];
  readonly llmReplies: LlmReply[] = [];
  readonly checkpoints = new Map<string, Record<string, unknown>>();
  /** Tool-result reports are answered this much later (to show who waits for them). */
  toolResultLatencyMs = 0;
  /** Appended to when a tool-result report is answered; tests append their own marks. */
  readonly timeline: string[] = [];
  #tools = new Map<string, ToolResponder>();
  #events = new EventEmitter();
  #server: Server;
  url = "";

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const rec: Recorded = {
          method: req.method ?? "GET",
          path: req.url ?? "/",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        this.requests.push(rec);
        this.#answer(rec, res).then(
          () => this.#events.emit("request", rec),
          (error: unknown) => {
            res.writeHead(500).end(String(error));
            this.#events.emit("request", rec);
          },
        );
      });
    });
  }

  static async start(): Promise<FakePlatform> {
    const fake = new FakePlatform();
    await new Promise<void>((resolve) => fake.#server.listen(0, "127.0.0.1", resolve));
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`;
    return fake;
  }

  get gatewayUrl(): string {
    return `${this.url}/v1/chat/completions`;
  }

  get governanceUrl(): string {
    return `${this.url}/gov`;
  }

  toolUrl(name: string): string {
    return `${this.url}/tools/${name}`;
  }

  /** Answers requests under `/tools/<name>` with `responder` (default: echo method, path, body). */
  tool(name: string, responder: ToolResponder): void {
    this.#tools.set(name, responder);
  }

  /** Requests whose path starts with `prefix`. */
  to(prefix: string): Recorded[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  /** Resolves once `count` requests under `prefix` have been answered. */
  async waitFor(prefix: string, count = 1): Promise<Recorded[]> {
    while (this.to(prefix).length < count)
      await new Promise((resolve) => this.#events.once("request", resolve));
    return this.to(prefix);
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #answer(rec: Recorded, res: import("node:http").ServerResponse): Promise<void> {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      res.writeHead(status, { "Content-Type": "application/json", ...headers }).end(text);
    };
    if (rec.path === "/healthz") return send(200, { status: "ok" });
    if (rec.path.startsWith("/v1/chat/completions")) return this.#llm(rec, res, send);
    const gov = /^\/gov\/runs\/([^/]+)\/(checkpoint|tool-result)(?:\/([^/?]+))?/.exec(rec.path);
    if (gov) {
      const [, run, kind, action] = gov;
      if (kind === "tool-result") {
        if (this.toolResultLatencyMs > 0)
          await new Promise((resolve) => setTimeout(resolve, this.toolResultLatencyMs));
        this.timeline.push(`tool-result ${(JSON.parse(rec.body) as { tool_id?: string }).tool_id}`);
        return send(200, { ok: true });
      }
      if (rec.method === "POST") {
        const checkpoint = JSON.parse(rec.body) as Record<string, unknown>;
        this.checkpoints.set(`${run}/${String(checkpoint.action_id)}`, checkpoint);
        return send(201, { id: `cp-${this.checkpoints.size}` });
      }
      const stored = this.checkpoints.get(`${run}/${decodeURIComponent(action ?? "")}`);
      return stored ? send(200, stored) : send(404, { error: "not found" });
    }
    const tool = /^\/tools\/([^/?]+)/.exec(rec.path);
    if (tool) {
      const responder = this.#tools.get(tool[1] ?? "");
      const reply = responder
        ? await responder(rec)
        : { body: { method: rec.method, path: rec.path, body: rec.body } };
      return send(reply.status ?? 200, reply.body ?? "", reply.headers);
    }
    send(404, { error: "not found" });
  }

  async #llm(
    rec: Recorded,
    res: import("node:http").ServerResponse,
    send: (status: number, body: unknown) => void,
  ): Promise<void> {
    const request = JSON.parse(rec.body) as { stream?: boolean; model?: string };
    const reply = this.llmReplies.shift() ?? { content: "ok" };
    if (reply.status) return send(reply.status, reply.errorBody ?? { error: "upstream failed" });
    const model = reply.model ?? "test-model";
    const toolCalls = reply.tool_calls?.map((c) => ({
      id: c.id,
      type: "function",
      function: { name: c.name, arguments: c.arguments },
    }));
    if (!request.stream) {
      return send(200, {
        id: "chatcmpl-1",
        model,
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: reply.content ?? null,
              ...(toolCalls ? { tool_calls: toolCalls } : {}),
            },
            finish_reason: toolCalls ? "tool_calls" : "stop",
          },
        ],
        usage: reply.usage ?? { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      });
    }
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    const chunk = (delta: Record<string, unknown>): void => {
      res.write(`data: ${JSON.stringify({ id: "chatcmpl-1", model, choices: [{ index: 0, delta }] })}\n\n`);
    };
    const pieces = reply.chunks ?? (reply.content ? (reply.content.match(/\S+\s*/g) ?? []) : []);
    for (const [i, piece] of pieces.entries()) {
      chunk(i === 0 ? { role: "assistant", content: piece } : { content: piece });
      if (i === 0 && reply.gate) await reply.gate;
    }
    for (const [index, call] of (toolCalls ?? []).entries()) {
      const half = Math.floor(call.function.arguments.length / 2);
      chunk({
        tool_calls: [
          {
            index,
            id: call.id,
            type: "function",
            function: { name: call.function.name, arguments: call.function.arguments.slice(0, half) },
          },
        ],
      });
      chunk({ tool_calls: [{ index, function: { arguments: call.function.arguments.slice(half) } }] });
    }
    res.end("data: [DONE]\n\n");
  }
}

/** Reads a whole runtime SSE response into its events (`"[DONE]"` for the sentinel). */
export async function readEvents(response: Response): Promise<Array<Record<string, unknown> | "[DONE]">> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => {
      const data = block.slice("data: ".length);
      return data === "[DONE]" ? "[DONE]" : (JSON.parse(data) as Record<string, unknown>);
    });
}

/** The `type` of each event, `[DONE]` for the sentinel. */
export function eventTypes(events: ReadonlyArray<Record<string, unknown> | "[DONE]">): string[] {
  return events.map((e) => (e === "[DONE]" ? "[DONE]" : String(e.type)));
}

/** POSTs JSON to the runtime. */
export function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A loopback port nothing listens on. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
