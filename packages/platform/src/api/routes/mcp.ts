/**
 * @module api/routes/mcp
 * The RunAgents MCP server over Streamable HTTP at `/api/v1/mcp` (and
 * `/api/v1/workspaces/{ws}/mcp`), so a remote assistant can use every `runagents-mcp` tool without
 * installing anything. The front door has already checked the API key (or, where identity
 * providers exist, an end user's bearer JWT: the tools then act as that end user). Each POST gets a fresh
 * stateless server and transport (no sessions, JSON responses); its tools call this platform over
 * loopback with the caller's workspace and the caller's API key, so what an assistant may do is
 * exactly what the same key may do on the REST API.
 *
 * HTTP-level failures (body too large, wrong Content-Type or Accept, a body that is not a JSON-RPC
 * message, an unsupported protocol version) are `{"error": "..."}` like every other route; JSON-RPC
 * and tool errors travel inside a 200. Stateless means no server-to-client stream and no session to
 * end: GET and DELETE answer 405 (Allow: POST), as the MCP transport specification provides.
 */
import type { ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { JSONRPCMessageSchema, SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import { Client } from "runagents";
import { createMcpServer } from "runagents/mcp";
import { HttpError } from "../../errors.js";
import { parseJsonBody } from "../../json.js";
import { presentedToken } from "../auth.js";
import { bearerJwt } from "../caller.js";
import type { Reply, RequestContext, RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { MCP_ROUTES } from "../schemas/platform.js";
import { readBody } from "../server.js";

export function registerMcpRoutes(api: Router<RouteDef>): void {
  api.add("POST", "/mcp", {
    schema: MCP_ROUTES.post,
    permission: "read",
    handler: handlePost,
    raw: true,
    endUsers: true,
  });
  api.add("GET", "/mcp", { schema: MCP_ROUTES.notOffered, permission: "read", handler: noStream });
  api.add("DELETE", "/mcp", { schema: MCP_ROUTES.notOffered, permission: "read", handler: noStream });
}

function noStream(ctx: RequestContext): Reply {
  throw new HttpError(
    405,
    `method ${ctx.method} not allowed on the MCP endpoint: it is stateless (no server stream, no sessions); send JSON-RPC messages with POST`,
    { headers: { Allow: "POST" } },
  );
}

async function handlePost(ctx: RequestContext): Promise<Reply> {
  const raw = await readBody(ctx.req, ctx.services.config.maxBodyBytes);
  const contentType = (ctx.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/json") throw new HttpError(415, "Content-Type must be application/json");
  const messages = parseMessages(raw);
  const accept = ctx.headers.accept ?? "";
  if (!accept.includes("application/json") || !accept.includes("text/event-stream")) {
    throw new HttpError(406, "the Accept header must list both application/json and text/event-stream");
  }
  const version = ctx.headers["mcp-protocol-version"];
  if (typeof version === "string" && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    throw new HttpError(
      400,
      `unsupported MCP protocol version "${version}"; supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")}`,
    );
  }
  return { status: 200, stream: (res) => serve(ctx, messages, res) };
}

/** The body as one JSON-RPC message or a non-empty batch of them. */
function parseMessages(raw: Buffer): unknown {
  const body = parseJsonBody(raw.toString("utf8"));
  const messages = Array.isArray(body) ? body : [body];
  if (messages.length === 0 || !messages.every((m) => JSONRPCMessageSchema.safeParse(m).success)) {
    throw new HttpError(
      400,
      "the body must be a JSON-RPC 2.0 message (or a non-empty array of them): a request, notification or response",
    );
  }
  return body;
}

async function serve(ctx: RequestContext, messages: unknown, res: ServerResponse): Promise<void> {
  const { services, requestId } = ctx;
  const client = new Client({
    endpoint: services.baseUrl(),
    namespace: ctx.workspace,
    // An end user's tools carry the end user's token: they reach what end users may (invoke).
    apiKey: ctx.principal.kind === "user" ? bearerJwt(ctx.req) : presentedToken(ctx.req),
    // The tools' own API calls carry this request's id, so the log ties them to it.
    fetch: (url, init) => {
      const headers = new Headers(init.headers);
      headers.set("X-Request-Id", requestId);
      return fetch(url, { ...init, headers });
    },
  });
  const server = await createMcpServer(client, {
    onToolError: (tool, error) =>
      services.log.info("mcp tool failed", {
        request_id: requestId,
        tool,
        error: error instanceof Error ? error.message : String(error),
      }),
  });
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  res.on("close", () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(ctx.req, res, messages);
}
