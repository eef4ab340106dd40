/**
 * @module api/routes/gateway
 * The OpenAI-compatible LLM gateway over HTTP.
 *
 * Root (no /api/v1 auth in front, so checked here):
 * - `POST /v1/chat/completions`, `GET /v1/models`: the same rule as /api/v1 (`authenticate`):
 *   a loopback caller while no workspace API key exists, else a valid key; default workspace.
 * - `POST /gateway/<agent-token>/v1/chat/completions` (also without `/v1`),
 *   `GET /gateway/<agent-token>/v1/models`, `GET /gateway/<agent-token>/healthz`: the agent's
 *   own capability URL; the token names the workspace and the agent the spend is charged to.
 * /api/v1 (and /api/v1/workspaces/{ws}): `POST /chat/completions`, `POST /v1/chat/completions`,
 * `GET /models`, `GET /v1/models`.
 *
 * `X-Run-ID` (an existing run; for an agent caller, its own) gets an `LLM_CALL` event. Streams
 * are SSE: `data: <chunk>` lines, a final chunk with `usage`, then `data: [DONE]`; a failure
 * after the stream started is sent as `data: {"error": {...}}` and ends the stream.
 */
import type { ServerResponse } from "node:http";
import { HttpError } from "../../errors.js";
import { completeCall, completionJson, type GatewayDeps, openStream } from "../../gateway/gateway.js";
import { scrub, secretValues } from "../../gateway/provider-keys.js";
import { type Caller, parseChatRequest, prepareCall } from "../../gateway/routing.js";
import { StreamScrubber } from "../../gateway/stream-scrub.js";
import { CallCancellation, type ChatChunk } from "../../gateway/types.js";
import { resolveAgentToken } from "../../governance/agent-identity.js";
import type { Store } from "../../store/store.js";
import { isObject } from "../../validate.js";
import { authenticate } from "../auth.js";
import { ok, type Reply, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { GATEWAY_ROUTES } from "../schemas/platform.js";

export function registerGatewayRoutes(root: Router<RouteDef>): void {
  root.add("POST", "/v1/chat/completions", { handler: openChat, public: true });
  root.add("GET", "/v1/models", { handler: openModels, public: true });
  root.add("POST", "/gateway/:token/v1/chat/completions", { handler: agentChat, public: true });
  root.add("POST", "/gateway/:token/chat/completions", { handler: agentChat, public: true });
  root.add("GET", "/gateway/:token/v1/models", { handler: agentModels, public: true });
  root.add("GET", "/gateway/:token/healthz", { handler: agentHealth, public: true });
}

export function registerGatewayApiRoutes(api: Router<RouteDef>): void {
  api.add("POST", "/chat/completions", {
    schema: GATEWAY_ROUTES.chat,
    permission: "develop",
    handler: apiChat,
  });
  api.add("POST", "/v1/chat/completions", {
    schema: GATEWAY_ROUTES.chat,
    permission: "develop",
    handler: apiChat,
  });
  api.add("GET", "/models", { schema: GATEWAY_ROUTES.models, permission: "read", handler: apiModels });
  api.add("GET", "/v1/models", { schema: GATEWAY_ROUTES.models, permission: "read", handler: apiModels });
}

const runIdOf = (ctx: RequestContext): string | undefined => {
  const value = ctx.headers["x-run-id"];
  const id = (Array.isArray(value) ? value[0] : value)?.trim();
  return id || undefined;
};

async function agentOf(ctx: RequestContext) {
  const identity = await resolveAgentToken(ctx.store, ctx.params.token as string);
  if (!identity) throw new HttpError(401, "invalid or revoked agent token");
  return identity;
}

async function openChat(ctx: RequestContext) {
  await authenticate(ctx.store, ctx.req, "default");
  return chat(ctx, { workspace: "default", runId: runIdOf(ctx) });
}

async function agentChat(ctx: RequestContext) {
  const { workspace, agent } = await agentOf(ctx);
  return chat(ctx, { workspace, agent, runId: runIdOf(ctx) });
}

const apiChat = (ctx: RequestContext) => chat(ctx, { workspace: ctx.workspace, runId: runIdOf(ctx) });

async function openModels(ctx: RequestContext) {
  await authenticate(ctx.store, ctx.req, "default");
  return ok(await listModels(ctx.store, "default"));
}

async function agentModels(ctx: RequestContext) {
  return ok(await listModels(ctx.store, (await agentOf(ctx)).workspace));
}

const apiModels = async (ctx: RequestContext) => ok(await listModels(ctx.store, ctx.workspace));

async function agentHealth(ctx: RequestContext) {
  await agentOf(ctx);
  return ok({ status: "ok", service: "runagents-llm-gateway" });
}

async function chat(ctx: RequestContext, caller: Caller): Promise<Reply> {
  const request = parseChatRequest(ctx.body);
  const call = await prepareCall(ctx.store, caller, request);
  const deps: GatewayDeps = { store: ctx.store, log: ctx.services.log };
  // The caller going away cancels the upstream call.
  const cancel = new CallCancellation();
  const answer = ctx.res;
  answer.on("close", () => {
    if (!answer.writableFinished) cancel.abort();
  });
  const secrets = secretValues(call.target);
  if (!request.stream) {
    const text = completionJson(await completeCall(deps, call, cancel), secrets);
    return {
      status: 200,
      stream: async (res) => {
        res.setHeader("Content-Type", "application/json; charset=utf-8");
        res.setHeader("Content-Length", Buffer.byteLength(text));
        res.end(text);
      },
    };
  }
  const chunks = await openStream(deps, call, cancel);
  return {
    status: 200,
    headers: {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
      "X-Accel-Buffering": "no",
    },
    stream: (res) => writeSse(ctx, res, chunks, secrets),
  };
}

async function writeSse(
  ctx: RequestContext,
  res: ServerResponse,
  chunks: AsyncGenerator<ChatChunk>,
  secrets: readonly string[],
): Promise<void> {
  res.flushHeaders();
  // A secret split across two deltas is caught by the scrubber; one inside a delta by `scrub`.
  const scrubber = new StreamScrubber(secrets);
  try {
    for await (const chunk of chunks) {
      if (res.destroyed) break;
      const text = scrub(JSON.stringify(scrubber.chunk(chunk)), secrets);
      if (!res.write(`data: ${text}\n\n`)) await drained(res);
    }
    const rest = scrubber.flush();
    if (rest && !res.destroyed) res.write(`data: ${scrub(JSON.stringify(rest), secrets)}\n\n`);
    if (!res.destroyed) res.end("data: [DONE]\n\n");
  } catch (err) {
    if (!(err instanceof HttpError)) {
      ctx.services.log.error("gateway stream failed", {
        request_id: ctx.requestId,
        error: err instanceof Error ? err.message : String(err),
      });
    }
    const message = err instanceof HttpError ? err.message : "internal server error";
    const status = err instanceof HttpError ? err.status : 500;
    if (!res.destroyed)
      res.end(`data: ${JSON.stringify({ error: { message, type: "gateway_error", code: status } })}\n\n`);
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** OpenAI `GET /models`: every model of the workspace's providers, first provider wins. */
async function listModels(store: Store, ws: string) {
  const seen = new Set<string>();
  const data: { id: string; object: "model"; created: number; owned_by: string }[] = [];
  for (const record of await store.listResources(ws, "model_provider")) {
    const spec = isObject(record.doc.spec) ? record.doc.spec : {};
    const models = Array.isArray(spec.models) ? spec.models : [];
    for (const id of models) {
      if (typeof id !== "string" || seen.has(id)) continue;
      seen.add(id);
      data.push({
        id,
        object: "model",
        created: Math.floor(Date.parse(record.createdAt) / 1000),
        owned_by: record.name,
      });
    }
  }
  return { object: "list", data };
}
