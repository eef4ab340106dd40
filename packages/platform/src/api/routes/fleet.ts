/**
 * @module api/routes/fleet
 * What replicas of one fleet call on each other (docs/scaling.md), at `/_fleet/v1`, for an agent
 * this replica supervises:
 *
 * - `POST /_fleet/v1/agents/{ws}/{name}/invoke` and `.../invoke/stream`: an invoke another replica
 *   admitted (`AdmittedInvoke`: the caller, the message, the conversation) runs here as if it had
 *   arrived here: same run, events, approvals, stream.
 * - `POST /_fleet/v1/agents/{ws}/{name}/resume/{action}` `{headers, body, timeout_ms}`: the resume
 *   worker of another replica continues a run; answers `{status, text}` of the agent's answer.
 * - `GET /_fleet/v1/agents/{ws}/{name}/logs?tail=N[&follow=true]`: this replica's log of the agent.
 *
 * Every request must be signed by a replica (`deploy/placement/replica-auth`): 401 without a
 * signature, with a wrong one, a stale timestamp or a replayed nonce. An agent's sandbox channel
 * never gets here (403, `api/agent-channel`). A replica that does not serve the agent (any more)
 * answers 503 with `Retry-After: 1`.
 */
import { HttpError } from "../../errors.js";
import { isObject } from "../../validate.js";
import type { Reply, RequestContext, RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { readBody } from "../server.js";
import { agentLogs } from "./agent-logs.js";
import { type AdmittedInvoke, runInvoke } from "./invoke.js";

const WORKSPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function registerFleetRoutes(root: Router<RouteDef>): void {
  const route = (handler: (ctx: RequestContext, body: string) => Promise<Reply>): RouteDef => ({
    public: true,
    raw: true,
    handler: async (ctx) => handler(...(await verified(ctx))),
  });
  root.add(
    "POST",
    "/_fleet/v1/agents/:ws/:name/invoke",
    route((ctx, body) => runInvoke(ctx, admitted(body), false)),
  );
  root.add(
    "POST",
    "/_fleet/v1/agents/:ws/:name/invoke/stream",
    route((ctx, body) => runInvoke(ctx, admitted(body), true)),
  );
  root.add("POST", "/_fleet/v1/agents/:ws/:name/resume/:action", route(resume));
  root.add(
    "GET",
    "/_fleet/v1/agents/:ws/:name/logs",
    route((ctx) => agentLogs(ctx, true)),
  );
}

/** Checks the signature; returns the context in the agent's workspace and the body's text. */
async function verified(ctx: RequestContext): Promise<[RequestContext, string]> {
  const auth = ctx.services.replicaAuth;
  if (!auth) throw new HttpError(404, `no route for ${ctx.method} ${ctx.path}`);
  const raw =
    ctx.method === "GET" ? Buffer.alloc(0) : await readBody(ctx.req, ctx.services.config.maxBodyBytes);
  auth.verify({ method: ctx.method, path: ctx.req.url ?? "", body: raw }, ctx.headers);
  const ws = ctx.params.ws as string;
  if (!WORKSPACE_NAME.test(ws)) throw new HttpError(400, `invalid workspace name "${ws}"`);
  const body = raw.toString("utf8");
  let parsed: Record<string, unknown> = {};
  if (body.trim() !== "") {
    const value = parseJson(body);
    if (!isObject(value)) throw new HttpError(400, "the body must be a JSON object");
    parsed = value;
  }
  return [{ ...ctx, workspace: ws, body: parsed, hasBody: body.trim() !== "" }, body];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, "the body is not JSON");
  }
}

function admitted(text: string): AdmittedInvoke {
  const value = parseJson(text) as AdmittedInvoke;
  if (!isObject(value) || typeof value.agent !== "string" || typeof value.message !== "string") {
    throw new HttpError(400, "a forwarded invoke needs agent and message");
  }
  return value;
}

async function resume(ctx: RequestContext): Promise<Reply> {
  const backend = ctx.services.agents;
  const name = ctx.params.name as string;
  if (!backend?.isServing(ctx.workspace, name) || !backend.endpointFor(ctx.workspace, name)) {
    throw new HttpError(503, `agent ${name} is not served by this replica; try again`, {
      headers: { "Retry-After": "1" },
    });
  }
  const {
    headers,
    body,
    timeout_ms: timeoutMs,
  } = ctx.body as {
    headers?: Record<string, string>;
    body?: string;
    timeout_ms?: number;
  };
  const abort = new AbortController();
  ctx.res.once("close", () => {
    if (!ctx.res.writableFinished) abort.abort();
  });
  const answer = await backend.post(ctx.workspace, name, {
    path: `/resume/${ctx.params.action as string}`,
    headers: isObject(headers) ? headers : {},
    body: typeof body === "string" ? body : "",
    timeoutMs: typeof timeoutMs === "number" && timeoutMs > 0 ? timeoutMs : 600_000,
    signal: abort.signal,
  });
  return { status: 200, body: answer };
}
