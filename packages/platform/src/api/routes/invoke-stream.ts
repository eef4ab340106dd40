/**
 * @module api/routes/invoke-stream
 * The streaming half of `POST /agents/{name}/invoke/stream`: the agent's SSE bytes go to the
 * caller as they arrive (with backpressure), after one `{"type": "run", ...}` event; the events
 * are read on the way to record the run's outcome when the stream ends — the `content` deltas
 * joined are the `AGENT_MESSAGE`, `approval_required` / `consent_required` pause the run, an
 * `error` event or a stream cut short fails it, and a caller who leaves fails it too (the agent
 * sees its request aborted). The agent's `data: [DONE]` reaches the caller only after the outcome
 * is recorded, so a client that reads the run right after `[DONE]` sees its final state.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { StringDecoder } from "node:string_decoder";
import { redactAgentTokens } from "../../governance/agent-identity.js";
import { failInvoke, finishInvoke } from "../../governance/invocations.js";
import { parseJsonOrUndefined } from "../../json.js";
import type { RunRecord } from "../../store/store.js";
import type { Reply, RequestContext } from "../context.js";

export interface StreamInput {
  run: RunRecord;
  response: IncomingMessage;
  release: () => void;
  /** The close listener the caller registered; removed here once the stream is handled. */
  onClose: () => void;
  conversationId: string;
  started: number;
}

export function pipeInvokeStream(ctx: RequestContext, input: StreamInput): Reply {
  const { run, response: upstream } = input;
  ctx.res.off("close", input.onClose);
  return {
    status: 200,
    headers: {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      "X-Accel-Buffering": "no",
      "X-Run-ID": run.id,
      "X-Conversation-ID": input.conversationId,
    },
    stream: (res) => relay(ctx, input, upstream, res),
  };
}

async function relay(
  ctx: RequestContext,
  input: StreamInput,
  upstream: IncomingMessage,
  res: ServerResponse,
) {
  const { run } = input;
  const reader = new SseReader();
  res.flushHeaders();
  res.write(
    `data: ${JSON.stringify({ type: "run", run_id: run.id, conversation_id: input.conversationId })}\n\n`,
  );
  const outcome = await new Promise<"ended" | "cut" | "left">((resolve) => {
    let settled = false;
    const settle = (value: "ended" | "cut" | "left") => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    // Forward whole lines only, so an agent token quoted in an event (a tool call's URL) is
    // always seen in one piece and redacted before it reaches the caller or the run's events.
    const decoder = new StringDecoder("utf8");
    let partial = "";
    const forward = (text: string) => {
      const safe = redactAgentTokens(text);
      reader.push(safe);
      // `[DONE]` is held back until the run's outcome is recorded (below).
      const out = safe.replace(DONE_LINE, "");
      if (out && !res.write(out)) {
        upstream.pause();
        res.once("drain", () => upstream.resume());
      }
    };
    upstream.on("data", (chunk: Buffer) => {
      partial += decoder.write(chunk);
      const cut = partial.lastIndexOf("\n") + 1;
      if (cut === 0) return;
      forward(partial.slice(0, cut));
      partial = partial.slice(cut);
    });
    upstream.on("end", () => {
      partial += decoder.end();
      if (partial) forward(partial);
      partial = "";
      settle(reader.finished ? "ended" : "cut");
    });
    upstream.on("error", () => settle("cut"));
    upstream.on("close", () => settle(reader.finished ? "ended" : "cut"));
    res.on("close", () => {
      if (!res.writableFinished) {
        upstream.destroy();
        settle("left");
      }
    });
  });
  input.release();
  const durationMs = Math.round((performance.now() - input.started) * 100) / 100;
  if (outcome === "left") {
    await failInvoke(ctx.store, ctx.workspace, run, "the caller disconnected during the stream");
    return;
  }
  if (outcome === "cut" || reader.error !== undefined) {
    const why = reader.error ?? "the agent's stream ended before [DONE]";
    // A tool call's error event carries its fields (code, tool, reason, rule): keep them.
    const body: Record<string, unknown> = { ...reader.errorFields, error: why };
    const denied = body.code === "POLICY_DENIED" || body.code === "CAPABILITY_DENIED";
    await finishInvoke(ctx.store, ctx.workspace, run, {
      status: denied ? 403 : 502,
      text: JSON.stringify(body),
      body,
      durationMs,
    });
  } else {
    const body: Record<string, unknown> = { response: reader.content, ...reader.done };
    if (reader.approval) body.approval_required = reader.approval;
    if (reader.consent) body.consent_required = reader.consent;
    await finishInvoke(ctx.store, ctx.workspace, run, {
      status: 200,
      text: JSON.stringify(body),
      body,
      durationMs,
    });
  }
  // Only now: a caller that reads the run once it has seen [DONE] finds its outcome recorded.
  if (reader.finished && !res.writableEnded) res.write("data: [DONE]\n\n");
  if (!res.writableEnded) res.end();
}

/** The agent's end-of-stream line (its blank line, if any, is an empty event: ignored). */
const DONE_LINE = /^data: ?\[DONE\]\r?\n/gm;

/** Reads `data: <json>` events; remembers what the run's outcome needs. */
class SseReader {
  content = "";
  done: Record<string, unknown> = {};
  approval: Record<string, unknown> | undefined;
  consent: Record<string, unknown> | undefined;
  error: string | undefined;
  /** The error event's other fields. */
  errorFields: Record<string, unknown> = {};
  finished = false;
  #buffer = "";

  push(text: string): void {
    this.#buffer += text;
    for (;;) {
      const match = /\r?\n\r?\n/.exec(this.#buffer);
      if (!match) return;
      const block = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const data = block
        .split(/\r?\n/)
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data) this.#event(data);
    }
  }

  #event(data: string): void {
    if (data === "[DONE]") {
      this.finished = true;
      return;
    }
    const event = parseJsonOrUndefined(data);
    if (event === undefined || event === null || typeof event !== "object" || Array.isArray(event)) return;
    const e = event as Record<string, unknown>;
    if (e.type === "content" && typeof e.delta === "string") this.content += e.delta;
    else if (e.type === "error") {
      this.error = typeof e.message === "string" ? e.message : "the agent reported an error";
      const { type: _type, message: _message, ...fields } = e;
      this.errorFields = fields;
    } else if (e.type === "done") this.done = { model: e.model, tool_calls_made: e.tool_calls_made };
    else if (e.type === "approval_required") this.approval = detailOf(e);
    else if (e.type === "consent_required") this.consent = detailOf(e);
  }
}

function detailOf(e: Record<string, unknown>): Record<string, unknown> {
  const detail =
    e.detail !== null && typeof e.detail === "object" ? (e.detail as Record<string, unknown>) : {};
  return { tool: e.tool, ...detail };
}
