/**
 * @module
 * Running the user's handler for one invocation: build `request` and the `RunContext`, call it by
 * arity inside the request's trace session, stream what it emits, normalise what it returns,
 * detect pauses (raised, returned or promoted from traced calls), checkpoint them and report the
 * traced tool calls to governance.
 */

import type { HandlerRequest, RunContext, Session } from "../agent/context.js";
import { isRecord, type JsonRecord } from "../agent/json.js";
import { governanceErrorOf } from "../agent/tool-errors.js";
import { type RequestState, runInRequest } from "./context.js";
import { filterHistory } from "./conversation.js";
import type { LoadedHandler } from "./handler-loader.js";
import type { ClientAbort } from "./http-io.js";
import type { OutboundPolicy } from "./outbound.js";
import { pauseFromError, pauseKeyOf, pauseKindOf, promoteInterrupt } from "./pause.js";
import type { EventSink } from "./sse.js";
import { type TracedCall, TraceSession } from "./trace.js";
import type { Invocation, Runtime } from "./types.js";

export interface HandlerOutcome {
  /** The normalised result, pause fields included. */
  readonly result: JsonRecord;
  readonly calls: readonly TracedCall[];
  /** The handler streamed its answer (`ctx.emit` or an async iterable): `content` events were sent. */
  readonly streamed: boolean;
}

/**
 * Runs the handler as the request (its outbound calls carry the request's identity). A handler that
 * returns a plain value without tool calls or a pause is answered without a promise; everything
 * else (a promise, a stream, a throw, tool calls to report, a pause to checkpoint) continues
 * asynchronously, still as the request.
 */
export function runUserHandler(
  rt: Runtime,
  handler: LoadedHandler,
  inv: Invocation,
  sink: EventSink,
): HandlerOutcome | Promise<HandlerOutcome> {
  const run = new HandlerRun(rt, inv, sink);
  // Everything, governance calls included, runs as this request: they carry its identity headers.
  return runInRequest(run, () => run.start(handler));
}

const NO_CALLS: readonly TracedCall[] = Object.freeze([]);

/**
 * One invocation of the user handler, and its request context: what it emitted, its trace session
 * (made when the handler first calls out), and how it ends.
 */
class HandlerRun implements RequestState {
  readonly requestId: string;
  readonly runId: string | undefined;
  readonly userId: string | undefined;
  readonly actionId: string | undefined;
  readonly policy: OutboundPolicy;
  readonly #rt: Runtime;
  readonly #inv: Invocation;
  readonly #sink: EventSink;
  #trace: TraceSession | undefined;
  readonly #parts: string[] = [];
  #open = true;

  constructor(rt: Runtime, inv: Invocation, sink: EventSink) {
    this.#rt = rt;
    this.#inv = inv;
    this.#sink = sink;
    this.requestId = inv.requestId;
    this.runId = inv.runId;
    this.userId = inv.userId;
    this.actionId = inv.resume?.action_id;
    this.policy = rt.policy;
  }

  get trace(): TraceSession {
    if (this.#trace) return this.#trace;
    const sink = this.#sink;
    const label = (call: TracedCall): string => call.function || call.tool;
    this.#trace = new TraceSession(
      sink.streaming
        ? {
            started: (call) =>
              sink.send({ type: "tool_call", tool: label(call), arguments: call.request_body }),
            finished: (call) =>
              sink.send({ type: "tool_result", tool: label(call), result: call.result.slice(0, 1000) }),
          }
        : undefined,
    );
    return this.#trace;
  }

  /** The calls traced so far. */
  get #calls(): readonly TracedCall[] {
    return this.#trace?.calls ?? NO_CALLS;
  }

  /** `ctx.emit`: text after the handler ended is dropped. */
  readonly emit = (text: string): void => {
    if (!this.#open || typeof text !== "string" || text === "") return;
    this.#parts.push(text);
    if (this.#sink.streaming) this.#sink.send({ type: "content", delta: text });
  };

  start(handler: LoadedHandler): HandlerOutcome | Promise<HandlerOutcome> {
    const inv = this.#inv;
    let returned: unknown;
    try {
      returned = callHandler(handler, toRequest(inv), toContext(this.#rt, inv, this.emit));
    } catch (error) {
      return this.#failed(error);
    }
    if (isThenable(returned) || isStreamable(returned)) return this.#awaitValue(returned);
    return this.#finish(returned, undefined);
  }

  async #awaitValue(returned: unknown): Promise<HandlerOutcome> {
    let value: unknown;
    try {
      if (isThenable(returned)) returned = await returned;
      if (isStreamable(returned)) {
        const decoder = new TextDecoder();
        for await (const chunk of returned) {
          this.emit(chunk instanceof Uint8Array ? decoder.decode(chunk, { stream: true }) : String(chunk));
        }
        this.emit(decoder.decode());
      } else {
        value = returned;
      }
    } catch (error) {
      return this.#failed(error);
    }
    return this.#finish(value, undefined);
  }

  /** A throw: a pause when it is one, else the error once the traced calls are reported. */
  async #failed(error: unknown): Promise<HandlerOutcome> {
    const pause = pauseFromError(error);
    if (!pause) {
      this.#open = false;
      if (this.#trace && this.#trace.calls.length > 0) await finishTrace(this.#rt, this.#inv, this.#trace);
      throw error;
    }
    return this.#finish(undefined, pause);
  }

  #finish(value: unknown, pause: JsonRecord | undefined): HandlerOutcome | Promise<HandlerOutcome> {
    this.#open = false;
    const parts = this.#parts;
    const result = pause ?? normalizeResult(value);
    if (parts.length > 0 && !pause) result.response = parts.join("");
    if (this.#calls.length === 0 && pauseKindOf(result) === undefined) {
      return { result, calls: this.#calls, streamed: parts.length > 0 };
    }
    return this.#settle(result);
  }

  /** Reports the traced calls, promotes an interrupt among them, checkpoints a pause. */
  async #settle(reported: JsonRecord): Promise<HandlerOutcome> {
    const calls = this.#calls;
    let result = reported;
    if (this.#trace && calls.length > 0) {
      await finishTrace(this.#rt, this.#inv, this.#trace);
      result = promoteInterrupt(result, calls);
    }
    if (pauseKindOf(result) !== undefined) await checkpointPause(this.#rt, this.#inv, result);
    return { result, calls, streamed: this.#parts.length > 0 };
  }
}

/** `(request, ctx)`, `(request)` (or the message string), or `()`, by the handler's parameters. */
function callHandler(handler: LoadedHandler, request: HandlerRequest, ctx: RunContext): unknown {
  const fn = handler.fn as (...args: unknown[]) => unknown;
  if (handler.shape.arity === 2) return fn(request, ctx);
  if (handler.shape.arity === 1) return fn(handler.shape.passMessage ? request.message : request);
  return fn();
}

function toRequest(inv: Invocation): HandlerRequest {
  const request: HandlerRequest = { message: inv.message, history: inv.history };
  if (inv.requestId) request.request_id = inv.requestId;
  if (inv.runId) request.run_id = inv.runId;
  if (inv.userId) request.user_id = inv.userId;
  if (inv.resume) request.resume = inv.resume;
  return request;
}

function toContext(rt: Runtime, inv: Invocation, emit: (text: string) => void): RunContext {
  const session: Session = { history: inv.history };
  if (inv.requestId) session.requestId = inv.requestId;
  if (inv.runId) session.runId = inv.runId;
  if (inv.userId) session.userId = inv.userId;
  if (inv.resume) {
    session.resume = inv.resume;
    session.actionId = inv.resume.action_id;
  }
  return new HandlerContext(rt, session, inv.abort, emit);
}

/** The `RunContext` implementation (a class: its `signal` getter is shared, see `ClientAbort`). */
class HandlerContext implements RunContext {
  readonly tools: Readonly<Record<string, string>>;
  readonly llmUrl: string;
  readonly llmBaseUrl: string;
  readonly model: string;
  readonly systemPrompt: string;
  readonly session: Session;
  readonly emit: (text: string) => void;
  #abort: ClientAbort;

  constructor(rt: Runtime, session: Session, abort: ClientAbort, emit: (text: string) => void) {
    const { config } = rt;
    this.tools = config.toolUrls;
    this.llmUrl = config.llmUrl;
    this.llmBaseUrl = config.llmBaseUrl;
    this.model = config.model;
    this.systemPrompt = config.systemPrompt;
    this.session = session;
    this.emit = emit;
    this.#abort = abort;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }
}

/**
 * A returned value as the response object: a string is `{response}`; an object is copied, with
 * `response` taken from `output` or, failing that, the object's JSON; `null` / `undefined` are `""`;
 * anything else is its string form.
 */
export function normalizeResult(value: unknown): JsonRecord {
  if (value === null || value === undefined) return { response: "" };
  if (typeof value === "string") return { response: value };
  if (isRecord(value)) {
    const result: JsonRecord = { ...value };
    if (!("response" in result)) result.response = "output" in result ? result.output : JSON.stringify(value);
    return result;
  }
  if (Array.isArray(value)) return { response: JSON.stringify(value) };
  return { response: String(value) };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function isStreamable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function"
  );
}

/**
 * Waits for response capture, closes calls whose body was never read (result `""`), and reports
 * every call to governance.
 */
async function finishTrace(rt: Runtime, inv: Invocation, trace: TraceSession): Promise<void> {
  await trace.settle();
  for (const call of trace.calls) if (!call.done) trace.finish(call, call.status_code, call.result);
  trace.calls.forEach((call, turn) => {
    // A call the platform denied or held never reached its tool; the egress recorded it.
    if (isGovernanceBlock(call)) return;
    rt.governance.reportToolResult(inv.runId, {
      tool_call_id: call.tool_call_id,
      function_name: call.function,
      arguments: call.request_body,
      result: call.result,
      tool_id: call.tool,
      turn,
      status_code: call.status_code,
    });
  });
}

/** A 403 the egress answered with a governance code (denied, or held for approval / consent). */
function isGovernanceBlock(call: TracedCall): boolean {
  return call.status_code === 403 && governanceErrorOf(call.tool, 403, call.result) !== undefined;
}

/** Stores a `user_handler` checkpoint for a paused result, so `/resume` can re-invoke the handler. */
async function checkpointPause(rt: Runtime, inv: Invocation, result: JsonRecord): Promise<void> {
  const kind = pauseKindOf(result);
  if (kind === undefined) return;
  rt.logger.info(kind === "approval" ? "approval_required" : "consent_required", {
    request_id: inv.requestId,
  });
  const key = pauseKeyOf(result, kind);
  if (key === undefined) {
    rt.logger.warn("cannot checkpoint pause without an action or resume id", { request_id: inv.requestId });
    return;
  }
  const state: JsonRecord = isRecord(result.resume) ? { ...result.resume } : {};
  if (kind === "consent") state._runagents_resume_kind = "consent";
  const userRequest: JsonRecord = {
    message: inv.message,
    history: inv.history,
    request_id: inv.requestId,
    run_id: inv.runId ?? "",
  };
  if (inv.userId) userRequest.user_id = inv.userId;
  const { config } = rt;
  await rt.governance.storeCheckpoint(inv.runId, {
    action_id: key,
    messages: [...filterHistory(inv.history), { role: "user", content: inv.message }],
    pending_calls: [],
    tool_defs: config.toolDefinitions,
    tool_routes: config.toolRoutes,
    model: config.model,
    system_prompt: config.systemPrompt,
    llm_gateway_url: config.llmGatewayUrl,
    resume_mode: "user_handler",
    user_request: userRequest,
    resume_state: state,
  });
}
