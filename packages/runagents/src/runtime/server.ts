/**
 * @module
 * `serve()`: build the runtime (config, outbound instrumentation, governance client, user handler)
 * and answer HTTP/1.1 with keep-alive on `node:http`.
 */

import { timingSafeEqual } from "node:crypto";
import { rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Env, loadRuntimeConfig, type RuntimeConfig } from "./env.js";
import { createGovernance } from "./governance.js";
import { describeHandler, type LoadedHandler, loadUserHandler } from "./handler-loader.js";
import type { Callable } from "./handler-params.js";
import { sendJson } from "./http-io.js";
import { createLogger, type Logger } from "./log.js";
import { createOutboundPolicy } from "./outbound.js";
import { installOutbound } from "./outbound-fetch.js";
import { health, type InvokeEnd, type InvokeFlavour, invoke, invokeNow, ready, resume } from "./routes.js";
import { loadOtel, servedUntraced, withIncomingTrace } from "./trace-context.js";
import type { Runtime } from "./types.js";

export interface ServeOptions {
  /** Where to read the environment contract. Default: `process.env`. */
  env?: Env;
  /** Overrides `PORT` (0 picks a free port). */
  port?: number;
  /** Overrides `HOST`. */
  host?: string;
  /** A handler function; when set, `USER_ENTRY_POINT` is not loaded. */
  handler?: Callable;
  /** Default: JSON lines on stderr. */
  logger?: Logger;
  /**
   * Patch global `fetch` and `node:http(s)` so user code's calls get rewrites, strict mode, identity
   * headers and tracing. Default `true`. `Agent` and the runtime's own calls are covered either way.
   */
  instrumentOutbound?: boolean;
}

export interface RuntimeServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** Whether user code is in use, and why it failed to load. */
  readonly userCode: { loaded: boolean; error: string | undefined };
  /** Stops accepting connections; in-flight requests get `graceMs` (default 10 s) to finish. */
  close(options?: { graceMs?: number }): Promise<void>;
}

export async function serve(options: ServeOptions = {}): Promise<RuntimeServer> {
  const config = loadRuntimeConfig(options.env ?? process.env);
  if (options.port !== undefined) config.port = options.port;
  if (options.host !== undefined) config.host = options.host;
  const logger = options.logger ?? createLogger(config.agentName);
  for (const warning of config.warnings) logger.warn(warning);
  const policy = createOutboundPolicy(config);
  const outbound = installOutbound(policy, { patchGlobals: options.instrumentOutbound !== false });
  logger.info("http_tool_trace_installed", { target: "fetch,http,https", rewrites: policy.rewrites.length });
  const { handler, handlerError } = await resolveHandler(config, options.handler, logger);
  const rt: Runtime = {
    config,
    logger,
    governance: createGovernance(config.governanceUrl, logger),
    policy,
    handler,
    handlerError,
  };
  const busy = { inflight: 0, status: "Healthy", changedAt: Math.floor(Date.now() / 1000) };
  const idle = (): void => {
    if (--busy.inflight === 0) setBusy(busy, "Healthy");
  };
  const unexpected = (res: ServerResponse, error: unknown): void => {
    logger.error("unexpected_error", { error: (error as Error).message });
    if (!res.headersSent) sendJson(res, 500, { error: (error as Error).message });
    else res.destroy();
  };
  // An invoke's bookkeeping: busy while in flight, a last-resort error answer when it failed.
  const end: Tracked = {
    begin: () => {
      if (++busy.inflight === 1) setBusy(busy, "HealthyBusy");
    },
    answered: idle,
    failed: (res, error) => {
      idle();
      unexpected(res, error);
    },
  };
  // The same around a promise: one per request.
  const track: Track = (res, work) => {
    end.begin();
    work.then(idle, (error: unknown) => end.failed(res, error));
  };
  const secret = config.secret === undefined ? undefined : Buffer.from(config.secret);
  const spans = { invoke: `invoke_agent ${config.agentName}`, resume: `resume_agent ${config.agentName}` };
  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => {
    try {
      route(rt, req, res, outbound.fetch, track, end, busy, secret, spans)?.catch((error: unknown) =>
        unexpected(res, error),
      );
    } catch (error) {
      unexpected(res, error);
    }
  });
  await loadOtel();
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const socketPath = config.socketPath;
  if (socketPath) rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const listening = () => {
      server.off("error", reject);
      resolve();
    };
    if (socketPath) server.listen(socketPath, listening);
    else server.listen(config.port, config.host, listening);
  });
  const port = socketPath ? 0 : (server.address() as AddressInfo).port;
  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  logger.info("runtime_starting", {
    port,
    socket: socketPath,
    authenticated: secret !== undefined,
    model: config.model,
    llm_gateway: config.llmGatewayUrl,
    tools: config.toolDefinitions.length,
    user_handler: handler !== undefined,
  });
  return {
    url: socketPath
      ? `unix:${socketPath}`
      : `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    server,
    userCode: { loaded: handler !== undefined, error: handlerError },
    close: (closeOptions = {}) => closeServer(server, closeOptions.graceMs ?? 10_000, outbound.release),
  };
}

async function resolveHandler(
  config: RuntimeConfig,
  given: Callable | undefined,
  logger: Logger,
): Promise<{ handler: LoadedHandler | undefined; handlerError: string | undefined }> {
  if (given) return { handler: describeHandler(given), handlerError: undefined };
  if (!config.entryPoint) return { handler: undefined, handlerError: undefined };
  try {
    const handler = await loadUserHandler(config.entryPoint, { userCodeDir: config.userCodeDir });
    logger.info("user_handler_discovered", {
      module: config.entryPoint,
      type: handler.source,
      arity: handler.shape.arity,
    });
    return { handler, handlerError: undefined };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.error("failed to import user module", { module: config.entryPoint, error: message });
    return { handler: undefined, handlerError: message };
  }
}

type Busy = { inflight: number; status: string; changedAt: number };

function setBusy(busy: Busy, status: string): void {
  busy.status = status;
  busy.changedAt = Math.floor(Date.now() / 1000);
}

const GET_ROUTES = new Set(["/", "/healthz", "/readyz", "/ping"]);

/** Starts a request's asynchronous answer, counted as in flight until it settles; answers its failure. */
type Track = (res: ServerResponse, work: Promise<void>) => void;

/** The same for an invoke answered without a promise: `begin`, then how it ended. */
interface Tracked extends InvokeEnd {
  begin(): void;
}

/**
 * Answers one request; a promise only when an untracked answer is asynchronous (invoke and resume
 * are tracked: they count as busy until they end).
 */
function route(
  rt: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  fetchFn: typeof fetch,
  track: Track,
  end: Tracked,
  busy: Busy,
  secret: Buffer | undefined,
  spans: { invoke: string; resume: string },
): Promise<void> | undefined {
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const method = req.method ?? "GET";
  if (method === "POST") {
    if (secret && !presentsSecret(req, secret)) {
      req.resume();
      sendJson(res, 401, { error: "missing or wrong X-RunAgents-Runtime-Secret" });
      return;
    }
    const flavour = INVOKE_ROUTES.get(path);
    if (flavour !== undefined) {
      if (servedUntraced(req)) {
        end.begin();
        try {
          invokeNow(rt, req, res, flavour, end);
        } catch (error) {
          end.failed(res, error);
        }
        return;
      }
      const attributes = () => spanAttributes(rt, req);
      track(
        res,
        withIncomingTrace(req, res, spans.invoke, attributes, () => invoke(rt, req, res, flavour)),
      );
      return;
    }
    if (path.startsWith("/resume/")) {
      const rest = path.slice("/resume/".length);
      const attributes = () => spanAttributes(rt, req);
      track(
        res,
        withIncomingTrace(req, res, spans.resume, attributes, () => resume(rt, req, res, rest)),
      );
      return;
    }
  } else if (method === "GET" || method === "HEAD") {
    if (path === "/" || path === "/healthz") {
      health(rt, res);
      return;
    }
    if (path === "/readyz") return ready(rt, res, fetchFn);
    if (path === "/ping") {
      sendJson(res, 200, { status: busy.status, time_of_last_update: busy.changedAt });
      return;
    }
  }
  req.resume();
  if (INVOKE_ROUTES.has(path) || path.startsWith("/resume/")) {
    sendJson(res, 405, { error: "method not allowed" }, { Allow: "POST" });
  } else if (GET_ROUTES.has(path)) {
    sendJson(res, 405, { error: "method not allowed" }, { Allow: "GET, HEAD" });
  } else sendJson(res, 404, { error: "not found" });
  return undefined;
}

const INVOKE_ROUTES = new Map<string, InvokeFlavour>([
  ["/invoke", "invoke"],
  ["/invoke/stream", "stream"],
  ["/invocations", "agentcore"],
]);

/** The server span's attributes (only built when a span is recorded). */
function spanAttributes(rt: Runtime, req: IncomingMessage): Record<string, string> {
  const attributes: Record<string, string> = {
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.agent.name": rt.config.agentName,
  };
  const runId = req.headers["x-run-id"];
  if (typeof runId === "string" && runId) attributes["runagents.run.id"] = runId;
  return attributes;
}

export const RUNTIME_SECRET_HEADER = "x-runagents-runtime-secret";

function presentsSecret(req: IncomingMessage, secret: Buffer): boolean {
  const given = req.headers[RUNTIME_SECRET_HEADER];
  if (typeof given !== "string") return false;
  const bytes = Buffer.from(given);
  return bytes.length === secret.length && timingSafeEqual(bytes, secret);
}

async function closeServer(server: Server, graceMs: number, release: () => void): Promise<void> {
  release();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, graceMs);
    timer.unref();
  });
  await Promise.race([closed, grace]);
  clearTimeout(timer);
  server.closeAllConnections();
  await closed;
}
