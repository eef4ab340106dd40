/**
 * @module
 * `runagents invoke <agent> [message]` (also `runagents agents invoke`): one run of a deployed
 * agent through the platform (`POST /agents/{name}/invoke`, or `/invoke/stream` with `--stream`).
 * The reply goes to stdout; the run id, its status and, when the run pauses, exactly what to do
 * next go to stderr. The turn helpers here are shared with `runagents chat`.
 */

import type { InvokeInput } from "../../client/types.js";
import { APIError } from "../../errors.js";
import { CliError, type Command, flag, type Parsed, str, UsageError } from "../args.js";
import type { Ctx } from "../context.js";

/** `invoke`'s exit status for a paused run (see {@link EXIT_CODES_HELP}). */
export const EXIT_PAUSED = 3;

export const EXIT_CODES_HELP =
  "Exit status: 0 when the run completed, 1 when it failed (or the platform refused the call),\n" +
  "2 for a usage error, 3 when the run is paused for an approval or a user's consent.";

/** Long enough for an agent's whole turn: the platform itself gives up after 5 minutes. */
const INVOKE_TIMEOUT_MS = 6 * 60_000;

type Json = Record<string, unknown>;

export type TurnStatus = "COMPLETED" | "PAUSED_APPROVAL" | "PAUSED_CONSENT" | "FAILED";

/** What one invoke came to. */
export interface TurnOutcome {
  status: TurnStatus;
  runId: string;
  conversationId: string;
  reply: string;
  /** The `approval_required` detail (`request_id`, `tool`, `method`, `url`, ...). */
  approval?: Json;
  /** The `consent_required` detail (`tool`, `authorization_url`, ...). */
  consent?: Json;
  /** Why the run failed. */
  error?: string;
}

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);
const textOf = (value: unknown): string => (typeof value === "string" ? value : "");

/** The outcome of a `POST /agents/{name}/invoke` answer body (a 2xx). */
export function outcomeOfBody(body: Json): TurnOutcome {
  const base = {
    runId: textOf(body.run_id),
    conversationId: textOf(body.conversation_id),
    reply: typeof body.response === "string" ? body.response : JSON.stringify(body.response ?? ""),
  };
  if (isObject(body.approval_required))
    return { ...base, status: "PAUSED_APPROVAL", approval: body.approval_required };
  if (isObject(body.consent_required)) {
    const consent = { ...body.consent_required };
    if (!consent.authorization_url && body.authorization_url)
      consent.authorization_url = body.authorization_url;
    return { ...base, status: "PAUSED_CONSENT", consent };
  }
  return { ...base, status: "COMPLETED" };
}

/** The run a failed invoke's error names; `""` when the platform refused before making one. */
export const runIdOf = (error: APIError): string =>
  isObject(error.detail) ? textOf(error.detail.run_id) : "";

/** The outcome of a refused or failed invoke: the API's error body names the run when there was one. */
export function outcomeOfError(error: APIError): TurnOutcome {
  const body = isObject(error.detail) ? error.detail : {};
  const message = textOf(body.error) || (typeof error.detail === "string" ? error.detail : "");
  return {
    status: "FAILED",
    runId: textOf(body.run_id),
    conversationId: textOf(body.conversation_id),
    reply: "",
    error: `${message.trim() || "the platform answered with an error"} (HTTP ${error.status})`,
  };
}

/**
 * One streamed turn: content deltas are handed to `onText` as they arrive, every event (the
 * API's shape) to `onEvent`. HTTP errors before the stream starts are thrown as `APIError`.
 */
export async function streamTurn(
  ctx: Ctx,
  agent: string,
  input: InvokeInput,
  handlers: { onText?: (text: string) => void; onEvent?: (event: unknown) => void },
): Promise<TurnOutcome> {
  const outcome: TurnOutcome = { status: "FAILED", runId: "", conversationId: "", reply: "" };
  let done = false;
  const stream = ctx.streamingClient().agents.invokeStream(agent, input, { timeoutMs: INVOKE_TIMEOUT_MS });
  for await (const { data } of stream) {
    handlers.onEvent?.(data);
    if (!isObject(data)) continue;
    const type = data.type;
    if (type === "run") {
      outcome.runId = textOf(data.run_id);
      outcome.conversationId = textOf(data.conversation_id);
    } else if (type === "content" && typeof data.delta === "string") {
      outcome.reply += data.delta;
      handlers.onText?.(data.delta);
    } else if (type === "approval_required") {
      outcome.approval = { tool: data.tool, ...(isObject(data.detail) ? data.detail : {}) };
    } else if (type === "consent_required") {
      outcome.consent = { tool: data.tool, ...(isObject(data.detail) ? data.detail : {}) };
    } else if (type === "error") {
      outcome.error = textOf(data.message) || "the agent reported an error";
    } else if (type === "done") {
      done = true;
    }
  }
  if (outcome.error !== undefined) outcome.status = "FAILED";
  else if (!done) {
    outcome.status = "FAILED";
    outcome.error = "the agent's stream ended before its answer was complete";
  } else if (outcome.approval) outcome.status = "PAUSED_APPROVAL";
  else if (outcome.consent) outcome.status = "PAUSED_CONSENT";
  else outcome.status = "COMPLETED";
  return outcome;
}

/** The lines that say how a paused run goes on, or `[]` for a run that is not paused. */
export function nextSteps(outcome: TurnOutcome): string[] {
  const wait = `Then:         runagents runs wait ${outcome.runId || "<run-id>"}`;
  if (outcome.status === "PAUSED_APPROVAL") {
    const a = outcome.approval ?? {};
    const call = [textOf(a.method), textOf(a.url)].filter(Boolean).join(" ");
    const what = `${textOf(a.tool) || "a tool call"}${call ? ` (${call})` : ""}`;
    const request = textOf(a.request_id);
    return [
      `Paused: ${what} needs an approval${request ? ` (access request ${request})` : ""}.`,
      request
        ? `To approve:   runagents approvals approve ${request}`
        : "To approve:   runagents approvals list --status pending, then runagents approvals approve <id>",
      wait,
    ];
  }
  if (outcome.status === "PAUSED_CONSENT") {
    const c = outcome.consent ?? {};
    const url = textOf(c.authorization_url) || textOf(c.authorizationUrl);
    return [
      `Paused: the user must connect ${textOf(c.tool) || "a tool"} (OAuth consent).`,
      url ? `Open:         ${url}` : "See:          runagents consents list",
      wait,
    ];
  }
  return [];
}

/** `Run:` / `Status:` lines (stderr), then the next steps of a pause. */
export function printOutcome(ctx: Ctx, outcome: TurnOutcome): void {
  if (outcome.status === "FAILED") ctx.err.line(`Error: ${outcome.error ?? "the run failed"}`);
  if (outcome.runId) ctx.err.line(`Run:          ${outcome.runId}`);
  ctx.err.line(`Status:       ${ctx.err.status(outcome.status)}`);
  if (outcome.conversationId && outcome.status !== "FAILED")
    ctx.err.line(`Conversation: ${outcome.conversationId}`);
  for (const line of nextSteps(outcome)) ctx.err.line(line);
}

export function exitCodeOf(outcome: TurnOutcome): number {
  if (outcome.status === "COMPLETED") return 0;
  return outcome.status === "FAILED" ? 1 : EXIT_PAUSED;
}

/** All of stdin as text (one trailing newline dropped). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

async function messageOf(parsed: Parsed): Promise<string> {
  const words = parsed.positionals.slice(1);
  if (words.length > 0) return words.join(" ");
  if (process.stdin.isTTY) {
    throw new UsageError('a message is required: runagents invoke <agent> "<message>" (or pipe it on stdin)');
  }
  const text = await readStdin();
  if (text.trim() === "") throw new UsageError("the message on stdin is empty");
  return text;
}

/** `--user` and `--conversation` as the invoke input's fields. */
export function turnInput(parsed: Parsed, message: string, conversationId?: string): InvokeInput {
  const input: InvokeInput = { message };
  const user = str(parsed, "user")?.trim();
  if (user) input.userId = user;
  const conversation = conversationId ?? str(parsed, "conversation")?.trim();
  if (conversation) input.conversationId = conversation;
  return input;
}

export const TURN_OPTIONS = {
  user: { type: "string", value: "<id>", help: "the end user the run is for (user_id)" },
  conversation: {
    type: "string",
    value: "<id>",
    help: "continue this conversation (its earlier messages are the history)",
  },
} as const;

async function invokeOnce(ctx: Ctx, agent: string, input: InvokeInput): Promise<TurnOutcome> {
  try {
    await ctx.client().agents.invoke(agent, input, { timeoutMs: INVOKE_TIMEOUT_MS });
  } catch (error) {
    if (!(error instanceof APIError) || !runIdOf(error)) throw error;
    if (ctx.json) ctx.out.json(error.detail);
    return outcomeOfError(error);
  }
  const body = ctx.lastBody();
  if (ctx.json) ctx.out.json(body);
  return outcomeOfBody(isObject(body) ? body : {});
}

async function invokeStreaming(ctx: Ctx, agent: string, input: InvokeInput): Promise<TurnOutcome> {
  let printed = false;
  try {
    const outcome = await streamTurn(ctx, agent, input, {
      onText: (text) => {
        if (ctx.json || text === "") return;
        printed = true;
        ctx.out.write(text);
      },
      onEvent: (event) => {
        if (ctx.json) ctx.out.json(event);
      },
    });
    if (printed && !outcome.reply.endsWith("\n")) ctx.out.line();
    return outcome;
  } catch (error) {
    if (!(error instanceof APIError) || !runIdOf(error)) throw error;
    if (ctx.json) ctx.out.json(error.detail);
    return outcomeOfError(error);
  }
}

export const invoke: Command = {
  name: "invoke",
  summary: "Send a message to a deployed agent (one run) and print its reply",
  args: "<agent> [message]",
  min: 1,
  max: Number.POSITIVE_INFINITY,
  options: {
    stream: { type: "boolean", help: "print the reply as it is written (server-sent events)" },
    ...TURN_OPTIONS,
  },
  details:
    "The message is the words after the agent's name, or stdin when there are none and stdin is\n" +
    "not a terminal. The reply goes to stdout; the run id and status to stderr. When the run\n" +
    "pauses, stderr says what to do next: the approval command with the access request id, or\n" +
    "the URL where the user connects the tool. -o json prints the API's answer as it is (with\n" +
    "--stream: one JSON event per line).\n\n" +
    EXIT_CODES_HELP,
  async run(ctx, parsed) {
    const agent = parsed.positionals[0] ?? "";
    const input = turnInput(parsed, await messageOf(parsed));
    const outcome = flag(parsed, "stream")
      ? await invokeStreaming(ctx, agent, input)
      : await invokeOnce(ctx, agent, input);
    if (!ctx.json && !flag(parsed, "stream") && outcome.status !== "FAILED") ctx.out.line(outcome.reply);
    if (ctx.json) {
      if (outcome.status === "FAILED") throw new CliError(outcome.error ?? "the run failed");
    } else printOutcome(ctx, outcome);
    ctx.exitCode = exitCodeOf(outcome);
  },
};
