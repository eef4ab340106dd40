/**
 * @module api/routes/invoke
 * Talking to a deployed agent through the platform, each call one run
 * (`governance/invocations.ts` has the event order):
 *
 * - `POST /agents/{name}/invoke` `{message, history?, conversation_id?, user_id?, ...}` → the
 *   agent's `/invoke` answer plus `run_id` and `conversation_id`; an answer without `usage` gets
 *   the run's token counts from its `LLM_CALL` events. The agent receives the body
 *   with `message`, `history`, `conversation_id`, `run_id` and `user_id` set, and the headers
 *   `X-Run-ID`, `X-Request-Id`, `X-End-User-Id` (the run's user — printable ASCII, as a header
 *   value must be: see `invoke-user.ts` for verified end users, service keys and the unverified
 *   `user_id` of workspaces without identity providers). Without
 *   `conversation_id` a new one is made; with one and without `history`, the conversation's
 *   earlier messages are sent as `history`. With `webhook` (a URL or `{url, secret}`) the
 *   platform POSTs to it when the run pauses or finishes (`governance/run-webhooks.ts`); the
 *   agent is not sent it.
 * - `POST /agents/{name}/invoke/stream`: the same, answered with the agent's SSE stream passed
 *   through as it arrives, after a first event `{"type": "run", "run_id", "conversation_id"}`
 *   (also in the `X-Run-ID` / `X-Conversation-ID` headers).
 * - `GET /agents/{name}/logs?tail=N[&follow=true]`: see `agent-logs.ts`.
 *
 * Errors: 404 `agent <name> not found`; 400 for a bad body; 503 `agent <name> is not running
 * (<phase>: <why>)` when no process serves it (no run is created); then, with `run_id` in the
 * body and the run FAILED: 502 `failed to reach agent <name>: ...`, 504 when it does not answer
 * within 5 minutes, the agent's own 4xx as is, and 502 `agent <name> failed: ...` for its 5xx.
 * On a fleet of replicas (docs/scaling.md) an invoke for an agent another replica supervises is
 * checked here, then forwarded to that replica (`api/routes/fleet.ts`), which runs it exactly as
 * above; its answer (a stream too) comes back as is. While the agent moves between replicas: 503
 * with `Retry-After: 1`.
 * A tool call the agent did not catch comes back in the agent's error answer: a denial is 403
 * `{error, code: POLICY_DENIED | CAPABILITY_DENIED, tool, reason, rule?, method, url, run_id}`
 * (403, the status the API documents for governance refusals, with the egress's own codes, so a
 * caller handles it the way the agent would have); a tool's other error is 502 with `code:
 * TOOL_HTTP_ERROR`. The run is FAILED with the same fields, after the egress's `TOOL_DENIED`.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { AgentHttpError, dispatchToAgent, readText } from "../../deploy/agent-http.js";
import { fleetPath, forwardReply } from "../../deploy/placement/forward.js";
import type { AgentLease } from "../../deploy/supervisor/types.js";
import { HttpError, notFound } from "../../errors.js";
import { runUsage } from "../../gateway/gateway.js";
import { redactAgentTokens } from "../../governance/agent-identity.js";
import { toolErrorOf } from "../../governance/agent-outcome.js";
import { beginInvoke, conversationHistory, failInvoke, finishInvoke } from "../../governance/invocations.js";
import { agentWebhook, parseRunWebhook, type RunWebhook } from "../../governance/run-webhooks.js";
import { parseJsonOrUndefined } from "../../json.js";
import { describeRequestSpan, injectTraceHeaders, rememberRunSpan } from "../../observability/tracing.js";
import { timeOrderedUuid } from "../../store/rows.js";
import type { RunRecord } from "../../store/store.js";
import { isObject, optionalString } from "../../validate.js";
import { ok, type Reply, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { INVOKE_ROUTES } from "../schemas/platform.js";
import { AGENT_ROUTES } from "../schemas/resources.js";
import { agentLogs } from "./agent-logs.js";
import { pipeInvokeStream } from "./invoke-stream.js";
import { invokeUser } from "./invoke-user.js";

export const INVOKE_TIMEOUT_MS = 5 * 60_000;

export function registerInvokeRoutes(api: Router<RouteDef>): void {
  api.add("POST", "/agents/:name/invoke", {
    schema: INVOKE_ROUTES.invoke,
    permission: "develop",
    handler: (ctx) => invoke(ctx, false),
    endUsers: true,
  });
  api.add("POST", "/agents/:name/invoke/stream", {
    schema: INVOKE_ROUTES.stream,
    permission: "develop",
    handler: (ctx) => invoke(ctx, true),
    endUsers: true,
  });
  api.add("GET", "/agents/:name/logs", {
    schema: AGENT_ROUTES.logs,
    permission: "read",
    handler: (ctx) => agentLogs(ctx),
  });
}

interface Prepared {
  runId: string;
  agent: string;
  userId: string;
  userAuth: string;
  message: string;
  lease: AgentLease;
  body: string;
  headers: Record<string, string>;
  conversationId: string;
  webhook: RunWebhook | undefined;
}

/**
 * An invoke as the caller's replica admitted it: who it is for, what to send. It is all the
 * agent's replica needs to run it (`/_fleet/v1/.../invoke`, `api/routes/fleet.ts`).
 */
export interface AdmittedInvoke {
  agent: string;
  userId: string;
  userAuth: string;
  message: string;
  history: unknown;
  /** The caller's body without `webhook` (sent to the agent, with the run's fields set). */
  forwardable: Record<string, unknown>;
  conversationId: string;
  webhook?: RunWebhook | undefined;
}

/** Checks the request: the caller, the agent, the body. Nothing is claimed or recorded yet. */
async function admit(ctx: RequestContext): Promise<AdmittedInvoke> {
  const name = ctx.params.name as string;
  // Who the run is for is settled first: an unauthenticated caller learns nothing about agents.
  const { userId, userAuth } = await invokeUser(ctx);
  // Read only: the cached frozen record (no parse of the agent's document per invoke).
  const agent = await ctx.store.readResource(ctx.workspace, "agent", name);
  if (!agent) throw notFound(`agent ${name} not found`);
  const body = ctx.body;
  if (typeof body.message !== "string") {
    throw new HttpError(400, body.message === undefined ? "message is required" : "message must be a string");
  }
  const message = body.message;
  const webhook =
    parseRunWebhook(body.webhook, ctx.services.baseUrl()) ??
    (await agentWebhook(ctx.store, ctx.workspace, name, agent.doc.spec));
  if (body.history !== undefined && body.history !== null && !isHistory(body.history)) {
    throw new HttpError(400, "history must be a list of {role, content} objects");
  }
  const givenConversation = optionalString(body, "conversation_id")?.trim() ?? "";
  const conversationId = givenConversation || randomUUID();
  if (!/^[\x20-\x7e]*$/.test(userId)) {
    throw new HttpError(400, "user_id must be printable ASCII (it is sent in the X-End-User-Id header)");
  }
  if (!ctx.services.agents) throw new HttpError(503, "no agent backend is running on this platform");
  const history =
    body.history ??
    (givenConversation ? await conversationHistory(ctx.store, ctx.workspace, name, givenConversation) : []);
  const { webhook: _webhook, ...forwardable } = body;
  return { agent: name, userId, userAuth, message, history, forwardable, conversationId, webhook };
}

/** Claims the agent's process on this replica. */
function prepare(ctx: RequestContext, admitted: AdmittedInvoke, stream: boolean): Prepared {
  const { agent: name, userId, message, conversationId } = admitted;
  const backend = ctx.services.agents;
  if (!backend) throw new HttpError(503, "no agent backend is running on this platform");
  const lease = backend.acquire({ workspace: ctx.workspace, name });
  // Time-ordered: a new run's row and events go to the right edge of their indexes (see rows.ts).
  const runId = timeOrderedUuid();
  const forwarded = {
    ...admitted.forwardable,
    message,
    history: admitted.history,
    conversation_id: conversationId,
    run_id: runId,
    user_id: userId,
  };
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-Run-ID": runId,
    "X-Request-Id": ctx.requestId,
    "X-End-User-Id": userId,
  };
  if (stream) headers.Accept = "text/event-stream";
  describeRequestSpan(`invoke_agent ${name}`, {
    "gen_ai.operation.name": "invoke_agent",
    "gen_ai.agent.name": name,
    "runagents.run.id": runId,
    "runagents.agent": name,
    "runagents.user.id": userId,
  });
  rememberRunSpan(runId);
  injectTraceHeaders(headers);
  return {
    runId,
    agent: name,
    userId,
    userAuth: admitted.userAuth,
    message,
    lease,
    body: JSON.stringify(forwarded),
    headers,
    conversationId,
    webhook: admitted.webhook,
  };
}

/** The public invoke: run here when the agent is here, else forward to its replica. */
async function invoke(ctx: RequestContext, stream: boolean): Promise<Reply> {
  const admitted = await admit(ctx);
  const backend = ctx.services.agents;
  const where = (await backend?.locate?.({ workspace: ctx.workspace, name: admitted.agent })) ?? {
    local: true,
  };
  if (!where.local) {
    const auth = ctx.services.replicaAuth;
    if (!auth) throw new HttpError(503, "this replica cannot forward requests (no replica key)");
    return forwardReply(
      auth,
      {
        url: where.url,
        method: "POST",
        path: fleetPath(ctx.workspace, admitted.agent, stream ? "invoke/stream" : "invoke"),
        body: JSON.stringify(admitted),
        requestId: ctx.requestId,
        timeoutMs: INVOKE_TIMEOUT_MS,
      },
      ctx.res,
    );
  }
  return runInvoke(ctx, admitted, stream);
}

/** Runs an admitted invoke on this replica's process for the agent. */
export async function runInvoke(
  ctx: RequestContext,
  admitted: AdmittedInvoke,
  stream: boolean,
): Promise<Reply> {
  const p = prepare(ctx, admitted, stream);
  const name = p.agent;
  const abort = new AbortController();
  const onClose = () => {
    if (!ctx.res.writableFinished) abort.abort();
  };
  ctx.res.once("close", onClose);
  const started = performance.now();
  if (p.webhook) {
    try {
      await ctx.services.webhooks.register(ctx.workspace, p.runId, p.webhook);
    } catch (err) {
      p.lease.release();
      ctx.res.off("close", onClose);
      throw err;
    }
  }
  // The agent starts working while its run is recorded; the run's id is already in the request.
  const call = dispatchToAgent({
    method: "POST",
    target: p.lease.endpoint,
    path: stream ? "/invoke/stream" : "/invoke",
    headers: p.headers,
    body: p.body,
    timeoutMs: INVOKE_TIMEOUT_MS,
    signal: abort.signal,
  });
  call.response.catch(() => undefined);
  await call.sent;
  let run: RunRecord;
  try {
    run = await beginInvoke(
      ctx.store,
      ctx.workspace,
      {
        runId: p.runId,
        agent: name,
        userId: p.userId,
        userAuth: p.userAuth,
        conversationId: p.conversationId,
        message: p.message,
        version: p.lease.version,
        stream,
        owner: ctx.services.bootId,
      },
      ctx.services.baseUrl(),
    );
  } catch (err) {
    abort.abort();
    p.lease.release();
    ctx.res.off("close", onClose);
    throw err;
  }
  let res: IncomingMessage;
  try {
    res = await call.response;
  } catch (err) {
    p.lease.release();
    ctx.res.off("close", onClose);
    throw await unreachable(ctx, run, name, err);
  }
  if (stream && res.statusCode === 200) {
    return pipeInvokeStream(ctx, {
      run,
      response: res,
      release: p.lease.release,
      onClose,
      conversationId: p.conversationId,
      started,
    });
  }
  let text: string;
  try {
    // The agent's answer may quote its own capability URLs (`tool_calls_made[].url`); the
    // token in them must reach neither the caller nor the run's events.
    text = redactAgentTokens(await readText(res, INVOKE_TIMEOUT_MS));
  } catch (err) {
    throw await unreachable(ctx, run, name, err);
  } finally {
    p.lease.release();
    ctx.res.off("close", onClose);
  }
  const status = res.statusCode ?? 502;
  const parsed = parseJsonOrUndefined(text);
  const durationMs = Math.round((performance.now() - started) * 100) / 100;
  await finishInvoke(ctx.store, ctx.workspace, run, { status, text, body: parsed, durationMs });
  const ids = { run_id: run.id, conversation_id: p.conversationId };
  if (status >= 200 && status < 300 && isObject(parsed)) {
    // An agent that reports no usage (a handler's answer) gets its run's, from the gateway's accounting.
    const reported = isObject(parsed.usage) && Object.keys(parsed.usage).length > 0;
    const usage = reported ? {} : { usage: await runUsage(ctx.store, ctx.workspace, run.id) };
    return ok({ ...parsed, ...usage, ...ids });
  }
  const detail = isObject(parsed) && typeof parsed.error === "string" ? parsed.error : text.slice(0, 500);
  if (status >= 400 && status < 500) {
    return { status, body: isObject(parsed) ? { ...parsed, ...ids } : { error: detail, ...ids } };
  }
  const why =
    status < 300 ? "answered a body that is not a JSON object" : `failed: ${detail || `HTTP ${status}`}`;
  const toolError = status >= 300 ? toolErrorOf(parsed) : undefined;
  if (toolError) {
    const { code, ...fields } = toolError.fields;
    throw new HttpError(502, `agent ${name} ${why}`, { code: String(code), details: { ...fields, ...ids } });
  }
  throw new HttpError(502, `agent ${name} ${why}`, { details: ids });
}

/** Records the failed run and returns the error to answer with. */
async function unreachable(
  ctx: RequestContext,
  run: RunRecord,
  name: string,
  err: unknown,
): Promise<HttpError> {
  const ids = { run_id: run.id };
  if (err instanceof AgentHttpError && err.kind === "timeout") {
    await failInvoke(ctx.store, ctx.workspace, run, `agent ${name}: ${err.message}`);
    return new HttpError(504, `agent ${name} did not answer: ${err.message}`, { details: ids });
  }
  if (err instanceof AgentHttpError && err.kind === "aborted") {
    await failInvoke(ctx.store, ctx.workspace, run, "the caller disconnected before the agent answered");
    return new HttpError(499, "the caller disconnected", { details: ids });
  }
  const message = err instanceof Error ? err.message : String(err);
  await failInvoke(ctx.store, ctx.workspace, run, `failed to reach agent ${name}: ${message}`);
  return new HttpError(502, `failed to reach agent ${name}: ${message}`, { details: ids });
}

function isHistory(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every(
      (m) =>
        isObject(m) && typeof m.role === "string" && (typeof m.content === "string" || m.content === null),
    )
  );
}
