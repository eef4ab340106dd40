/**
 * @module governance/agent-outcome
 * Recording what an agent's runtime answered to `/invoke` or `/resume/{id}` on its run
 * (platform-and-cli A12, runtime-contract §1.4): a final answer is `AGENT_MESSAGE` then
 * `COMPLETED`; a pause (`approval_required` / `consent_required`) leaves the run paused — the
 * egress paused it and recorded why; an error answer fails the run with the agent's message, and
 * a tool call's error (a denial: `{error, code, tool, reason, rule}`) with its message and fields.
 */
import { HttpError } from "../errors.js";
import { parseJsonOrUndefined } from "../json.js";
import type { Store } from "../store/store.js";
import { isObject } from "../validate.js";
import { GOVERNANCE_ACTOR, isTerminal, transitionRun } from "./runs.js";

export interface AgentAnswer {
  status: number;
  /** The raw response body. */
  text: string;
  agent: string;
}

/** Moves the run to FAILED with `{error, ...extra}` unless it has already ended. */
export async function failRun(
  store: Store,
  ws: string,
  runId: string,
  error: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const run = await store.getRun(ws, runId);
  if (!run || isTerminal(run.status)) return;
  const data = { error, ...extra };
  await transitionRun(store, ws, runId, "FAILED", { actor: GOVERNANCE_ACTOR, data }).catch((e: unknown) => {
    if (!(e instanceof HttpError && e.status === 409)) throw e; // ended meanwhile
  });
}

export async function recordAgentOutcome(store: Store, ws: string, runId: string, answer: AgentAnswer) {
  const body = answer.text ? parseJsonOrUndefined(answer.text) : {};
  const toolError = toolErrorOf(body);
  if ((answer.status < 200 || answer.status >= 300) && toolError) {
    await failRun(store, ws, runId, toolError.error, toolError.fields);
    return;
  }
  if (answer.status < 200 || answer.status >= 300 || !isObject(body)) {
    const detail = isObject(body) && typeof body.error === "string" ? body.error : answer.text.slice(0, 500);
    const why =
      answer.status >= 200 && answer.status < 300
        ? "a body that is not a JSON object"
        : `HTTP ${answer.status}`;
    await failRun(store, ws, runId, `agent ${answer.agent} answered ${why}${detail ? `: ${detail}` : ""}`);
    return;
  }
  if (isObject(body.approval_required) || isObject(body.consent_required)) return;
  const run = await store.getRun(ws, runId);
  if (run?.status !== "RUNNING") return;
  const response = typeof body.response === "string" ? body.response : JSON.stringify(body.response ?? "");
  await store.appendEvent(ws, runId, {
    type: "AGENT_MESSAGE",
    actor: answer.agent,
    data: {
      message: response,
      content: response,
      ...(typeof body.model === "string" ? { model: body.model } : {}),
      ...(Array.isArray(body.tool_calls_made) ? { tool_calls_made: body.tool_calls_made.length } : {}),
    },
  });
  await transitionRun(store, ws, runId, "COMPLETED", { actor: GOVERNANCE_ACTOR }).catch((e: unknown) => {
    if (!(e instanceof HttpError && e.status === 409)) throw e;
  });
}

/** The codes of a tool call's error, as the runtime answers with it (runtime `ToolCallError`). */
export const TOOL_ERROR_CODES: readonly string[] = [
  "POLICY_DENIED",
  "CAPABILITY_DENIED",
  "APPROVAL_REQUIRED",
  "CONSENT_REQUIRED",
  "TOOL_HTTP_ERROR",
];

/**
 * A tool call's error in an agent's error answer — `{error, code, tool, reason?, rule?, method?,
 * url?, status_code?}` — as the message and the fields a FAILED event carries; else undefined.
 */
export function toolErrorOf(body: unknown): { error: string; fields: Record<string, unknown> } | undefined {
  if (!isObject(body) || typeof body.code !== "string" || !TOOL_ERROR_CODES.includes(body.code))
    return undefined;
  const fields: Record<string, unknown> = { code: body.code };
  for (const key of ["tool", "reason", "method", "url"]) {
    if (typeof body[key] === "string") fields[key] = (body[key] as string).slice(0, 2000);
  }
  if (isObject(body.rule)) fields.rule = body.rule;
  if (typeof body.status_code === "number") fields.status_code = body.status_code;
  const error =
    typeof body.error === "string" && body.error
      ? body.error
      : `${body.code} calling ${fields.tool ?? "a tool"}`;
  return { error: error.slice(0, 2000), fields };
}
