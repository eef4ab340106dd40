/**
 * @module api/server
 * The HTTP front door: request ids, body limits, JSON parsing, workspace prefixes, API-key
 * auth, routing, and one error handler that turns every failure into `{"error": "..."}`.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "../errors.js";
import { redactAgentTokens } from "../governance/agent-identity.js";
import { parseJsonBody } from "../json.js";
import { traceRequest, tracingOn } from "../observability/tracing.js";
import { checkAgentChannel } from "./agent-channel.js";
import { authenticateCaller } from "./caller.js";
import type { Principal, Reply, RequestContext, RouteDef, Services } from "./context.js";
import { redeemStreamTicket } from "./event-streams.js";
import { authorize } from "./roles.js";
import type { Router } from "./router.js";
import { checkRequest } from "./schema.js";

export const API_PREFIX = "/api/v1";
const WORKSPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const REQUEST_ID = /^[\w.:-]{1,128}$/;

export interface Routers {
  /** Routes relative to /api/v1 and /api/v1/workspaces/{ws}. */
  api: Router<RouteDef>;
  /** Routes at the platform root: health, gateway aliases, the runtime's internal calls, egress. */
  root: Router<RouteDef>;
}

export function createRequestListener(services: Services, routers: Routers) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const incomingId = req.headers["x-request-id"];
    const requestId =
      typeof incomingId === "string" && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
    res.setHeader("X-Request-Id", requestId);
    let workspace = "";
    let route = "unmatched";
    const serve = async (): Promise<void> => {
      try {
        await handle(services, routers, req, res, requestId, (ws, pattern) => {
          workspace = ws;
          route = pattern;
        });
      } catch (err) {
        sendError(services, res, err, requestId);
      } finally {
        const seconds = (performance.now() - started) / 1000;
        services.metrics.observeRequest(route, req.method ?? "GET", res.statusCode, seconds);
        services.log.info("request", {
          request_id: requestId,
          method: req.method,
          // Agent capability URLs carry a secret token: never log it.
          path: redactAgentTokens((req.url ?? "").split("?")[0] ?? ""),
          workspace: workspace || undefined,
          status: res.statusCode,
          duration_ms: Math.round(seconds * 100_000) / 100,
        });
      }
    };
    if (tracingOn()) void traceRequest(req, () => ({ route, status: res.statusCode }), serve);
    else void serve();
  };
}

async function handle(
  services: Services,
  routers: Routers,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  noteRoute: (workspace: string, pattern: string) => void,
): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://platform.local");
  } catch {
    throw new HttpError(400, "malformed request URL");
  }
  checkAgentChannel(req.socket, url.pathname);
  const target = resolveTarget(url.pathname, routers);
  const found = target.router.match(method, target.path);
  noteRoute(
    target.workspace,
    found.kind === "found" ? `${target.isApi ? API_PREFIX : ""}${found.match.pattern}` : "unmatched",
  );
  if (found.kind === "not_found") throw new HttpError(404, `no route for ${method} ${url.pathname}`);
  if (found.kind === "method_not_allowed") {
    throw new HttpError(405, `method ${method} not allowed on ${url.pathname}`, {
      headers: { Allow: found.allow.join(", ") },
    });
  }
  const route = found.match.handler;
  let principal: Principal = { kind: "local" };
  if (target.isApi && !route.public) {
    const ticket = route.streamTicket ? url.searchParams.get("ticket") : null;
    principal =
      ticket === null
        ? await authenticateCaller(services, req, target.workspace, route)
        : await redeemStreamTicket(services, ticket, target.workspace);
    // A ticket carries its principal: one issued to a signed-in person opens end-user routes only.
    if (principal.kind === "user" && !route.endUsers) {
      throw new HttpError(
        401,
        "this route needs a workspace API key: a signed-in user's ticket opens only their own stream",
      );
    }
    // An end user is admitted only on routes made for end users (`authenticateCaller`).
    if (principal.kind !== "user") authorize(principal, route.permission ?? "admin");
  }

  let body: Record<string, unknown> = {};
  let hasBody = false;
  if (!route.raw) {
    const raw = await readBody(req, services.config.maxBodyBytes);
    if (raw.length > 0 && raw.toString("utf8").trim().length > 0) {
      body = parseJsonObject(raw);
      hasBody = true;
    }
  }
  checkRequest(route.schema, body, url.searchParams);
  const ctx: RequestContext = {
    services,
    store: services.store,
    workspace: target.workspace,
    method,
    path: target.path,
    params: found.match.params,
    query: url.searchParams,
    body,
    hasBody,
    headers: req.headers,
    requestId,
    principal,
    req,
    res,
  };
  const reply = await route.handler(ctx);
  await send(res, reply, method === "HEAD");
}

function resolveTarget(pathname: string, routers: Routers) {
  if (pathname === API_PREFIX || pathname.startsWith(`${API_PREFIX}/`)) {
    const rest = pathname.slice(API_PREFIX.length);
    const ws = /^\/workspaces\/([^/]+)(\/.*)?$/.exec(rest);
    if (ws) {
      const name = safeDecode(ws[1] as string);
      if (!WORKSPACE_NAME.test(name)) {
        throw new HttpError(400, `invalid workspace name "${name}": use lowercase letters, digits and '-'`);
      }
      return { router: routers.api, path: ws[2] ?? "/", workspace: name, isApi: true };
    }
    return { router: routers.api, path: rest || "/", workspace: "default", isApi: true };
  }
  return { router: routers.root, path: pathname, workspace: "default", isApi: false };
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new HttpError(400, "malformed percent-encoding in the request path");
  }
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > limit) {
      req.resume();
      reject(tooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (err) => {
      if (!failed) reject(new HttpError(400, `could not read the request body: ${err.message}`));
    });
  });
}

const tooLarge = (limit: number): HttpError =>
  new HttpError(413, `request body too large: the limit is ${limit} bytes`, {
    headers: { Connection: "close" },
  });

export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  const value = parseJsonBody(raw.toString("utf8"));
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "request body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

async function send(res: ServerResponse, reply: Reply, headOnly: boolean): Promise<void> {
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.stream) {
    res.statusCode = reply.status;
    await reply.stream(res);
    return;
  }
  const text = reply.body === undefined ? "" : JSON.stringify(reply.body);
  res.statusCode = reply.status;
  if (!res.hasHeader("Content-Type")) res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(headOnly ? undefined : text);
}

function sendError(services: Services, res: ServerResponse, err: unknown, requestId: string): void {
  let status = 500;
  let body: Record<string, unknown> = { error: "internal server error", request_id: requestId };
  let headers: Record<string, string> = {};
  if (err instanceof HttpError) {
    status = err.status;
    body = err.toJSON();
    headers = err.headers ?? {};
  } else {
    services.log.error("unhandled error", {
      request_id: requestId,
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}
