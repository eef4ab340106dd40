/**
 * @module governance/invocations
 * The run behind one platform invoke (`POST /agents/{name}/invoke[/stream]`), in this order:
 *
 * `RUN_CREATED` → `USER_MESSAGE` (actor: the end user; `initial_message` set) →
 * `INVOKE_REQUESTED` → (tool events the egress and the runtime report meanwhile) → then
 * - an answer: `INVOKE_COMPLETED` → `AGENT_MESSAGE` → `COMPLETED`;
 * - a pause (`approval_required` / `consent_required`): `INVOKE_COMPLETED`, and unless the egress
 *   already paused the run, `APPROVAL_REQUIRED` / `CONSENT_REQUIRED` and status
 *   `PAUSED_APPROVAL` / `PAUSED_CONSENT`;
 * - an error answer or no answer: `INVOKE_FAILED` → `FAILED` (`data.error`; for a tool call's
 *   error, e.g. a denial the agent did not catch, also `code`, `tool`, `reason`, `rule`).
 *
 * A conversation is the runs that share a `conversation_id`; when an invoke names one and sends
 * no `history`, the history is rebuilt from those runs' `USER_MESSAGE` / `AGENT_MESSAGE` events
 * (the last {@link HISTORY_LIMIT} messages).
 */
import type { NewRunEvent, RunRecord, Store } from "../store/store.js";
import { isObject } from "../validate.js";
import { failRun, recordAgentOutcome, toolErrorOf } from "./agent-outcome.js";
import { defaultInvokeUrl, GOVERNANCE_ACTOR, transitionRun } from "./runs.js";

export const HISTORY_LIMIT = 50;

export interface InvokeStart {
  /** The run's id, chosen by the caller so the agent can be called while the run is recorded. */
  runId: string;
  agent: string;
  userId: string;
  /** How the user was established (see RunRecord.userAuth). */
  userAuth: string;
  conversationId: string;
  message: string;
  version: number;
  stream: boolean;
  /** The boot id of the platform process driving the invoke. */
  owner?: string;
}

export interface ChatTurn {
  role: "user" | "assistant";
  content: string;
}

/** Runs whose first events are still being written, so reports about them can wait. */
const beginnings = new Map<string, Promise<unknown>>();

/** Resolves once the run's first events are recorded (at once for a run not being started). */
export function whenBegun(runId: string): Promise<void> | undefined {
  return beginnings.get(runId)?.then(ignore, ignore);
}

const ignore = (): void => undefined;

/** Creates the run with its first events, `RUN_CREATED`, `USER_MESSAGE`, `INVOKE_REQUESTED` (one commit on SQLite). */
export function beginInvoke(
  store: Store,
  ws: string,
  input: InvokeStart,
  baseUrl: string,
): Promise<RunRecord> {
  const userAuth = input.userAuth || "none";
  const work = store
    .createRunWithEvents(
      {
        id: input.runId,
        workspace: ws,
        agentId: input.agent,
        userId: input.userId,
        userAuth: input.userAuth,
        conversationId: input.conversationId,
        initialMessage: input.message,
        invokeUrl: defaultInvokeUrl(baseUrl, ws, input.agent),
        status: "RUNNING",
        owner: input.owner ?? "",
      },
      [
        {
          type: "RUN_CREATED",
          actor: GOVERNANCE_ACTOR,
          data: {
            agent_id: input.agent,
            user_id: input.userId,
            user_auth: userAuth,
            conversation_id: input.conversationId,
          },
        },
        {
          type: "USER_MESSAGE",
          actor: input.userId,
          data: { message: input.message, content: input.message },
        },
        {
          type: "INVOKE_REQUESTED",
          actor: GOVERNANCE_ACTOR,
          data: { agent: input.agent, version: input.version, stream: input.stream },
        },
      ],
    )
    .then((done) => done.run);
  beginnings.set(input.runId, work);
  return work.finally(() => beginnings.delete(input.runId));
}

/** Records the agent's answer: `status` and the parsed body (undefined when it was not JSON). */
export async function finishInvoke(
  store: Store,
  ws: string,
  run: RunRecord,
  answer: { status: number; text: string; body: unknown; durationMs: number },
): Promise<void> {
  const ok = answer.status >= 200 && answer.status < 300 && isObject(answer.body);
  if (!ok) {
    const detail =
      isObject(answer.body) && typeof answer.body.error === "string" ? answer.body.error : answer.text;
    const code = toolErrorOf(answer.body)?.fields.code;
    await store.appendEvent(ws, run.id, {
      type: "INVOKE_FAILED",
      actor: GOVERNANCE_ACTOR,
      data: {
        status_code: answer.status,
        error: detail.slice(0, 2000),
        duration_ms: answer.durationMs,
        ...(code ? { code } : {}),
      },
    });
    await recordAgentOutcome(store, ws, run.id, {
      status: answer.status,
      text: answer.text,
      agent: run.agentId,
    });
    return;
  }
  const body = answer.body as Record<string, unknown>;
  const pause = isObject(body.approval_required)
    ? ({ key: "approval_required", event: "APPROVAL_REQUIRED", status: "PAUSED_APPROVAL" } as const)
    : isObject(body.consent_required)
      ? ({ key: "consent_required", event: "CONSENT_REQUIRED", status: "PAUSED_CONSENT" } as const)
      : undefined;
  const completed: NewRunEvent = {
    type: "INVOKE_COMPLETED",
    actor: GOVERNANCE_ACTOR,
    data: {
      status_code: answer.status,
      duration_ms: answer.durationMs,
      ...(pause ? { outcome: pause.key } : {}),
    },
  };
  if (!pause) {
    await complete(store, ws, run, body, completed);
    return;
  }
  await store.appendEvent(ws, run.id, completed);
  const current = await store.getRun(ws, run.id);
  if (current?.status !== "RUNNING") return; // the egress paused it and recorded why
  const detail = body[pause.key] as Record<string, unknown>;
  const actionId = text(detail.action_id) || text(detail.resume_id);
  await store.appendEvent(ws, run.id, {
    type: pause.event,
    actor: GOVERNANCE_ACTOR,
    data: {
      ...(actionId ? { action_id: actionId } : {}),
      ...(text(detail.tool) ? { tool: text(detail.tool) } : {}),
      message: text(detail.message) || text(body.response) || pause.key.replace("_", " "),
    },
  });
  await transitionRun(store, ws, run.id, pause.status, { blockedActionId: actionId }).catch(() => undefined);
}

/**
 * An answer: the run becomes COMPLETED and `INVOKE_COMPLETED`, `AGENT_MESSAGE` and `COMPLETED`
 * are appended, in one transaction. A run that is no longer RUNNING (failed or paused meanwhile) only gets
 * `INVOKE_COMPLETED`.
 */
async function complete(
  store: Store,
  ws: string,
  run: RunRecord,
  body: Record<string, unknown>,
  completed: NewRunEvent,
): Promise<void> {
  const response = typeof body.response === "string" ? body.response : JSON.stringify(body.response ?? "");
  const ended = await store.updateRunWithEvents(
    ws,
    run.id,
    { status: "COMPLETED" },
    ["RUNNING"],
    [
      completed,
      {
        type: "AGENT_MESSAGE",
        actor: run.agentId,
        data: {
          message: response,
          content: response,
          ...(typeof body.model === "string" ? { model: body.model } : {}),
          ...(Array.isArray(body.tool_calls_made) ? { tool_calls_made: body.tool_calls_made.length } : {}),
        },
      },
      { type: "COMPLETED", actor: GOVERNANCE_ACTOR, data: {} },
    ],
  );
  if (!ended) await store.appendEvent(ws, run.id, completed);
}

/** The agent could not be reached or did not answer: `INVOKE_FAILED` → `FAILED`. */
export async function failInvoke(store: Store, ws: string, run: RunRecord, error: string): Promise<void> {
  await store.appendEvent(ws, run.id, { type: "INVOKE_FAILED", actor: GOVERNANCE_ACTOR, data: { error } });
  await failRun(store, ws, run.id, error);
}

/** The conversation so far, oldest first, from the runs sharing `conversationId`. */
export async function conversationHistory(
  store: Store,
  ws: string,
  agent: string,
  conversationId: string,
): Promise<ChatTurn[]> {
  const runs = (await store.listRuns(ws, { agentId: agent }))
    .filter((r) => r.conversationId === conversationId)
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  const turns: ChatTurn[] = [];
  for (const run of runs) {
    for (const event of await store.listEvents(ws, run.id)) {
      const content = text(event.data.content) || text(event.data.message);
      if (event.type === "USER_MESSAGE") turns.push({ role: "user", content });
      else if (event.type === "AGENT_MESSAGE") turns.push({ role: "assistant", content });
    }
  }
  return turns.slice(-HISTORY_LIMIT);
}

const text = (v: unknown): string => (typeof v === "string" ? v : "");
