/**
 * @module api/routes/internal
 * The governance endpoints an agent's runtime calls (`GOVERNANCE_URL` =
 * `<platform>/internal/<agent-token>`; runtime-contract §6), at the platform root. The agent
 * token in the path is the authentication: 401 `invalid or revoked agent token`; a run of
 * another agent (or workspace) is 404 `run <id> not found`, as is an unknown one.
 *
 * - `POST /internal/:token/runs/:id/checkpoint` `{action_id, messages, pending_calls, ...}` →
 *   201 `{id: "<run>:<action>"}`; stored as kind `checkpoint` named `<run>:<action>` in the run's
 *   workspace (`{run_id, agent, action_id, checkpoint, created_at}`); posting again replaces it.
 *   Agent tokens (`ra_agt_…`) anywhere in it are stored as `[token]`.
 * - `GET /internal/:token/runs/:id/checkpoint/:action` → the object that was posted; 404
 *   `checkpoint <action> not found for run <id>`.
 * - `POST /internal/:token/runs/:id/tool-result` `{tool_call_id, function_name, arguments,
 *   result, tool_id, turn, status_code?}` → 201 `{event_id, seq}`: a `TOOL_CALLED` event (actor: the agent) —
 *   the runtime's account of a call it made. The egress records the wire-level `TOOL_REQUEST` /
 *   `TOOL_RESPONSE` of the same call, so this is kept apart from them. `arguments` and `result`
 *   are kept up to 4000 characters (`result_length` has the full size). A non-2xx `status_code`
 *   is summarised as a failure, never as "returned N characters". The runtime answers its invoke
 *   only once its reports are answered, so they precede the run's outcome; it does not report
 *   calls the egress denied or held (the egress recorded those). A report for a run that has
 *   already ended (its caller disconnected, say, and the run FAILED while the agent was still
 *   working) is 409 `run <id> is FAILED: no events after its outcome`: a run's COMPLETED / FAILED
 *   event is always its last. Judged atomically with the run's status when the event is sealed.
 *   (The egress recorded such a late call on the wire anyway, in an audit run carrying the run's
 *   id as `claimed_run_id`.)
 */
import { conflict, HttpError, notFound } from "../../errors.js";
import {
  AGENT_TOKEN_PREFIX,
  type AgentIdentity,
  redactAgentTokens,
  resolveAgentToken,
} from "../../governance/agent-identity.js";
import { whenBegun } from "../../governance/invocations.js";
import { isTerminal, loadRun, recordEvent } from "../../governance/runs.js";
import { type Doc, RunEndedError, type RunRecord } from "../../store/store.js";
import { isObject } from "../../validate.js";
import { created, ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";

const KEEP_CHARS = 4000;

export function registerInternalRoutes(root: Router<RouteDef>): void {
  root.add("POST", "/internal/:token/runs/:id/checkpoint", { handler: putCheckpoint, public: true });
  root.add("GET", "/internal/:token/runs/:id/checkpoint/:action", { handler: getCheckpoint, public: true });
  root.add("POST", "/internal/:token/runs/:id/tool-result", { handler: toolResult, public: true });
}

/** The calling agent and its run, or 401 / 404. */
async function agentRun(ctx: RequestContext): Promise<{ identity: AgentIdentity; run: RunRecord }> {
  const identity = await resolveAgentToken(ctx.store, ctx.params.token as string);
  if (!identity) throw new HttpError(401, "invalid or revoked agent token");
  const id = ctx.params.id as string;
  await whenBegun(id);
  const run = await loadRun(ctx.store, identity.workspace, id).catch(() => undefined);
  if (!run || run.agentId !== identity.agent) throw notFound(`run ${id} not found`);
  return { identity, run };
}

const checkpointName = (runId: string, actionId: string): string => `${runId}:${actionId}`;

async function putCheckpoint(ctx: RequestContext) {
  const { identity, run } = await agentRun(ctx);
  const actionId = ctx.body.action_id;
  if (typeof actionId !== "string" || actionId.trim() === "")
    throw new HttpError(400, "action_id is required");
  const name = checkpointName(run.id, actionId.trim());
  const doc: Doc = {
    run_id: run.id,
    agent: identity.agent,
    action_id: actionId.trim(),
    checkpoint: withoutAgentTokens(ctx.body),
    created_at: new Date().toISOString(),
  };
  await ctx.store.putResource(identity.workspace, "checkpoint", name, doc);
  return created({ id: name });
}

/**
 * The checkpoint with every agent token hidden: a capability URL is a live credential, and the
 * runtime rebuilds tool URLs from its environment on resume (a checkpoint may outlive the token).
 */
function withoutAgentTokens(body: Doc): Doc {
  const text = JSON.stringify(body);
  return text.includes(AGENT_TOKEN_PREFIX) ? (JSON.parse(redactAgentTokens(text)) as Doc) : body;
}

async function getCheckpoint(ctx: RequestContext) {
  const { identity, run } = await agentRun(ctx);
  const action = ctx.params.action as string;
  const record = await ctx.store.getResource(
    identity.workspace,
    "checkpoint",
    checkpointName(run.id, action),
  );
  if (!record || !isObject(record.doc.checkpoint)) {
    throw notFound(`checkpoint ${action} not found for run ${run.id}`);
  }
  return ok(record.doc.checkpoint);
}

async function toolResult(ctx: RequestContext) {
  const { identity, run } = await agentRun(ctx);
  if (isTerminal(run.status)) throw conflict(new RunEndedError(run.id, run.status).message);
  const body = ctx.body;
  for (const key of ["tool_call_id", "function_name", "tool_id"]) {
    if (body[key] !== undefined && body[key] !== null && typeof body[key] !== "string") {
      throw new HttpError(400, `${key} must be a string`);
    }
  }
  if (body.turn !== undefined && body.turn !== null && !Number.isInteger(body.turn)) {
    throw new HttpError(400, "turn must be an integer");
  }
  if (body.status_code !== undefined && body.status_code !== null && !Number.isInteger(body.status_code)) {
    throw new HttpError(400, "status_code must be an integer");
  }
  const status = typeof body.status_code === "number" ? body.status_code : 0;
  const text = (v: unknown) =>
    redactAgentTokens(typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v));
  const result = text(body.result);
  const args = text(body.arguments);
  const tool = text(body.tool_id) || text(body.function_name).split("__")[0] || "";
  const event = await recordEvent(ctx.store, identity.workspace, run.id, {
    type: "TOOL_CALLED",
    whileActive: true,
    actor: identity.agent,
    data: {
      tool_call_id: text(body.tool_call_id),
      function_name: text(body.function_name),
      tool_id: tool,
      tool,
      turn: typeof body.turn === "number" ? body.turn : 0,
      arguments: args.slice(0, KEEP_CHARS),
      result: result.slice(0, KEEP_CHARS),
      result_length: result.length,
      ...(status ? { status_code: status } : {}),
      summary:
        status && (status < 200 || status >= 300)
          ? `${text(body.function_name) || tool} failed with HTTP ${status}`
          : `${text(body.function_name) || tool} returned ${result.length} characters`,
    },
  }).catch((error: unknown) => {
    throw error instanceof RunEndedError ? conflict(error.message) : error;
  });
  return created({ event_id: event.id, seq: event.seq });
}
