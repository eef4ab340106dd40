/**
 * Test helper: a small local HTTP server standing in for a model provider (OpenAI, Anthropic or
 * Ollama wire format, as each test's handler writes it), recording every request it received;
 * plus the setup most gateway tests share.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { providerProbeSettled } from "../../src/gateway/health.js";
import { agentGatewayUrl, issueAgentToken } from "../../src/governance/agent-identity.js";
import type { TestPlatform } from "../helpers/platform.js";

export interface Received {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingHttpHeaders;
  body: any;
}

export type FakeHandler = (req: Received, res: ServerResponse) => void | Promise<void>;

export interface FakeProvider {
  url: string;
  received: Received[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Replaces the handler for the next requests. */
  handle(handler: FakeHandler): void;
  close(): Promise<void>;
}

export async function startFakeProvider(handler: FakeHandler): Promise<FakeProvider> {
  const received: Received[] = [];
  let current = handler;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // keep the text
      }
      const entry = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      received.push(entry);
      Promise.resolve(current(entry, res)).catch((err: Error) => {
        res.statusCode = 500;
        res.end(err.message);
      });
    });
  });
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    connections: () => connections,
    handle(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/** Starts an SSE answer; `event` writes one `data:` line (with an optional `event:` line). */
export function startSse(res: ServerResponse) {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  res.flushHeaders();
  return {
    event(data: unknown, name?: string) {
      res.write(
        `${name ? `event: ${name}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`,
      );
    },
    end() {
      res.end();
    },
  };
}

/** Registers a provider through the API and returns its stored view. */
export async function addProvider(
  platform: TestPlatform,
  body: Record<string, unknown>,
  ws = "default",
): Promise<Record<string, any>> {
  const prefix = ws === "default" ? "" : `/workspaces/${ws}`;
  const res = await platform.call("POST", `${prefix}/model-providers`, body);
  if (res.status !== 201 && res.status !== 200) throw new Error(`provider upsert: ${res.status} ${res.text}`);
  await providerProbeSettled(platform.store, ws, body.name as string);
  return res.json as Record<string, any>;
}

/** Stores an agent with model mappings and mints its gateway token. */
export async function addAgent(
  platform: TestPlatform,
  name: string,
  llmConfigs: Record<string, unknown>[],
  ws = "default",
): Promise<{ token: string; gateway: string }> {
  await platform.store.putResource(ws, "agent", name, {
    name,
    spec: { llmConfigs },
    status: { phase: "Running" },
  });
  const token = await issueAgentToken(platform.store, ws, name);
  return { token, gateway: agentGatewayUrl(platform.url, token) };
}

const openGatewayAuth = new Map<string, Record<string, string>>();

/**
 * The open gateway (`/v1`, `/api/v1/v1`) needs an API key like the rest of the API: `chat()` and
 * `chatStream()` send `headers` to URLs under `platform`'s open gateway (not to agent routes).
 */
export function authenticateOpenGateway(platform: {
  url: string;
  authHeaders: Record<string, string>;
}): void {
  openGatewayAuth.set(`${platform.url}/v1`, platform.authHeaders);
  openGatewayAuth.set(`${platform.url}/api/v1`, platform.authHeaders);
}

function authFor(url: string): Record<string, string> {
  for (const [base, headers] of openGatewayAuth) if (url.startsWith(base)) return headers;
  return {};
}

/** POSTs a chat completion and parses the JSON answer. */
export async function chat(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...authFor(url), ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** The `data:` payloads of an SSE response as they arrive (`[DONE]` as a string). */
export async function* sseData(res: Response): AsyncGenerator<any> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of block.split("\n")) {
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        yield data === "[DONE]" ? data : JSON.parse(data);
      }
    }
  }
}

/** POSTs a streamed chat completion; the raw Response, for reading incrementally. */
export function chatStream(url: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(`${url}/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...authFor(url), ...headers },
    body: JSON.stringify({ ...body, stream: true }),
  });
}

/** Reads an SSE response to the end: the parsed `data:` payloads (`[DONE]` kept as a string). */
export async function readSse(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split("\n")
    .filter((l) => l.startsWith("data: "))
    .map((l) => l.slice(6))
    .map((d) => (d === "[DONE]" ? d : JSON.parse(d)));
}

/** A deferred promise, for handshakes between a fake upstream and the test's reader. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
