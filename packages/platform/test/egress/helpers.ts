/**
 * Test helpers for the egress: a local tool server that records what it receives, a governed
 * agent (agent document bound to policies + a token minted with `issueAgentToken`), calls through
 * the egress, and small waits on platform state.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { issueAgentToken } from "../../src/governance/agent-identity.js";
import type { TestPlatform } from "../helpers/platform.js";

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ToolServer {
  url: string;
  received: Received[];
  /** Handlers by path (without query); the default answers `{ok: true, path}` as JSON. */
  routes: Map<string, (req: IncomingMessage, res: ServerResponse, body: Buffer) => void>;
  /** Resolves with the next request the server receives. */
  next(): Promise<Received>;
  close(): Promise<void>;
}

export async function startToolServer(): Promise<ToolServer> {
  const received: Received[] = [];
  const routes: ToolServer["routes"] = new Map();
  let waiters: ((r: Received) => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const entry = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: body.toString("utf8"),
      };
      received.push(entry);
      for (const w of waiters) w(entry);
      waiters = [];
      const path = (req.url ?? "/").split("?")[0] as string;
      const route = routes.get(path);
      if (route) return route(req, res, body);
      const text = JSON.stringify({ ok: true, path });
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
      res.end(text);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    routes,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export const sha256 = (text: string | Buffer): string =>
  `sha256:${createHash("sha256").update(text).digest("hex")}`;

export interface Rule {
  permission: "allow" | "deny" | "approval_required";
  resource?: string;
  operations?: string[];
  tags?: string[];
}

/** A tool (POST /tools), a policy with `rules`, an agent bound to it, and a token for the agent. */
export async function governedAgent(
  platform: TestPlatform,
  options: {
    agent: string;
    tool: { name: string; spec: Record<string, unknown>; credentials?: Record<string, string> };
    rules?: Rule[];
    approvals?: Record<string, unknown>[];
    policies?: string[];
  },
): Promise<{ token: string; egress: string }> {
  const tool = await platform.call("POST", "/tools", options.tool);
  if (tool.status !== 201 && tool.status !== 200) throw new Error(`tool: ${tool.status} ${tool.text}`);
  const policies = options.policies ?? [];
  if (options.rules) {
    const name = `${options.agent}-policy`;
    const res = await platform.call("POST", "/policies", {
      name,
      spec: { policies: options.rules, approvals: options.approvals ?? [] },
    });
    if (res.status !== 201 && res.status !== 200) throw new Error(`policy: ${res.status} ${res.text}`);
    policies.push(name);
  }
  await platform.store.putResource("default", "agent", options.agent, {
    name: options.agent,
    spec: { policies, requiredTools: [{ name: options.tool.name }] },
    status: { phase: "Running", message: "" },
  });
  const token = await issueAgentToken(platform.store, "default", options.agent);
  return { token, egress: `${platform.url}/egress/${token}/${options.tool.name}` };
}

export async function newRun(
  platform: TestPlatform,
  agent: string,
  user = "alice@example.com",
): Promise<string> {
  const res = await platform.call("POST", "/runs", { agent_id: agent, user_id: user });
  if (res.status !== 201) throw new Error(`run: ${res.status} ${res.text}`);
  return (res.json as { id: string }).id;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export async function call(url: string, init: RequestInit = {}): Promise<CallResult> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function events(platform: TestPlatform, runId: string): Promise<any[]> {
  return (await platform.call("GET", `/runs/${runId}/events`)).json as any[];
}

export async function runOf(platform: TestPlatform, runId: string): Promise<any> {
  return (await platform.call("GET", `/runs/${runId}`)).json;
}

/** Polls `check` (every 10 ms, up to `ms`) until it returns a value other than undefined/false. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface ResumeCall {
  actionId: string;
  headers: IncomingHttpHeaders;
  body: any;
  /** What the agent answered. */
  answer: any;
}

/**
 * A stand-in agent runtime for `POST /resume/{action_id}`: runs `script` (which replays calls
 * through the egress as the real runtime would) and answers what it returns. The platform's
 * agent locator is pointed at it for `agent`.
 */
export async function startFakeAgent(
  platform: TestPlatform,
  agent: string,
  script: (resume: { actionId: string; runId: string }) => Promise<Record<string, unknown>>,
): Promise<{ resumes: ResumeCall[]; close(): Promise<void> }> {
  const resumes: ResumeCall[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const actionId = decodeURIComponent((req.url ?? "").replace(/^\/resume\//, ""));
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      const answer = await script({ actionId, runId: String(req.headers["x-run-id"] ?? "") });
      resumes.push({ actionId, headers: req.headers, body, answer });
      const text = JSON.stringify(answer);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(text);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  platform.services.agents?.attachExternal({ workspace: "default", name: agent }, url);
  return {
    resumes,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
