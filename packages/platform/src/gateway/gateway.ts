/**
 * @module gateway/gateway
 * One model call through a prepared route: call the provider, normalise the answer (always an
 * OpenAI completion with `usage`; a stream always ends with a usage chunk), record the spend
 * (`addModelUsage`, priced once here so the usage record and the run event agree), append an
 * `LLM_CALL` event to the caller's run, and turn provider failures into 502
 * `provider request failed: <the provider's message>` with the key scrubbed out.
 *
 * Usage comes from the provider; when it gives none (or a stream breaks off) it is estimated at
 * ~4 characters a token (`usage_estimated: true` on the run event). The run event carries the
 * call's figures and `run_totals` (calls, tokens and cost of every `LLM_CALL` of the run so far).
 */
import { HttpError } from "../errors.js";
import type { Logger } from "../log.js";
import { describeRequestSpan, tracingOn } from "../observability/tracing.js";
import type { Store } from "../store/store.js";
import { estimateCostUsd, priceFor, roundUsd } from "./pricing.js";
import { scrub, scrubsRawJson, secretValues } from "./provider-keys.js";
import type { PreparedCall } from "./routing.js";
import { addModelUsage } from "./spend.js";
import {
  type CallSignal,
  type ChatChunk,
  type ChatCompletion,
  completionTexts,
  ProviderError,
  type Usage,
} from "./types.js";
import { chunkChars, completionChars, estimateTokens, makeUsage, promptChars, usageOf } from "./usage.js";

export interface GatewayDeps {
  store: Store;
  log: Logger;
}

interface Outcome {
  usage: Usage;
  estimated: boolean;
  stream: boolean;
  error?: string;
}

export async function completeCall(
  deps: GatewayDeps,
  call: PreparedCall,
  signal: CallSignal,
): Promise<ChatCompletion> {
  let completion: ChatCompletion;
  try {
    completion = await call.adapter.complete(call.target, call.request, signal);
  } catch (err) {
    throw await failed(deps, call, err, false);
  }
  const reported = usageOf(completion.usage);
  const usage = reported ?? estimate(call, completionChars(completion));
  if (!reported) {
    completion.usage = usage;
    completionTexts.delete(completion);
  }
  const recorded = record(deps, call, { usage, estimated: !reported, stream: false });
  if (recorded) await recorded;
  return completion;
}

/** A completion's JSON text for the caller, the provider's secrets scrubbed out. */
export function completionJson(completion: ChatCompletion, secrets: readonly string[]): string {
  const raw = completionTexts.get(completion);
  if (raw !== undefined && scrubsRawJson(secrets)) return scrub(raw, secrets);
  return scrub(JSON.stringify(completion), secrets);
}

/** Resolves once the provider accepted the call; the chunks end with a usage chunk. */
export async function openStream(
  deps: GatewayDeps,
  call: PreparedCall,
  signal: CallSignal,
): Promise<AsyncGenerator<ChatChunk>> {
  let upstream: AsyncIterable<ChatChunk>;
  try {
    upstream = await call.adapter.stream(call.target, call.request, signal);
  } catch (err) {
    throw await failed(deps, call, err, true);
  }
  return relay(deps, call, upstream);
}

async function* relay(deps: GatewayDeps, call: PreparedCall, upstream: AsyncIterable<ChatChunk>) {
  let reported: Usage | undefined;
  /** The provider's own usage object (it may carry details such as cached tokens). */
  let reportedRaw: ChatChunk["usage"];
  let chars = 0;
  let head: Pick<ChatChunk, "id" | "created" | "model"> | undefined;
  let done = false;
  try {
    for await (const chunk of upstream) {
      const usage = usageOf(chunk.usage);
      if (usage) {
        reported = usage;
        reportedRaw = chunk.usage;
      }
      head ??= { id: chunk.id, created: chunk.created, model: chunk.model };
      if (chunk.choices.length === 0) continue;
      chars += chunkChars(chunk);
      if (chunk.usage === undefined) yield chunk;
      else {
        const { usage: _held, ...rest } = chunk;
        yield rest as ChatChunk;
      }
    }
    done = true;
  } catch (err) {
    done = true;
    const usage = estimate(call, chars);
    await record(deps, call, { usage, estimated: true, stream: true, error: messageOf(call, err) });
    throw toHttpError(call, err);
  } finally {
    if (!done) {
      // The caller went away (the generator was closed early): bill what was streamed.
      await record(deps, call, { usage: estimate(call, chars), estimated: true, stream: true })?.catch(
        () => {},
      );
      done = true;
    }
  }
  const usage = reported ?? estimate(call, chars);
  await record(deps, call, { usage, estimated: !reported, stream: true });
  yield {
    id: head?.id ?? "",
    object: "chat.completion.chunk",
    created: head?.created ?? Math.floor(Date.now() / 1000),
    model: head?.model ?? call.request.model,
    choices: [],
    usage: reportedRaw ?? usage,
  } satisfies ChatChunk;
}

function estimate(call: PreparedCall, outputChars: number): Usage {
  return makeUsage(estimateTokens(promptChars(call.request.messages)), estimateTokens(outputChars));
}

function messageOf(call: PreparedCall, err: unknown): string {
  return scrub(err instanceof Error ? err.message : String(err), secretValues(call.target));
}

/** A provider failure as the 502 the caller gets (other errors are bugs and stay as they are). */
export function toHttpError(call: PreparedCall, err: unknown): unknown {
  if (!(err instanceof ProviderError)) return err;
  return new HttpError(502, `provider request failed: ${messageOf(call, err)}`, {
    details: { provider: call.target.name, ...(err.status ? { provider_status: err.status } : {}) },
  });
}

async function failed(
  deps: GatewayDeps,
  call: PreparedCall,
  err: unknown,
  stream: boolean,
): Promise<unknown> {
  if (!(err instanceof ProviderError)) return err;
  const message = messageOf(call, err);
  deps.log.warn("model provider request failed", {
    model_provider: call.target.name,
    model: call.request.model,
    provider_status: err.status,
    error: message,
  });
  await appendRunEvent(deps, call, { usage: makeUsage(0, 0), estimated: false, stream, error: message }, 0);
  return toHttpError(call, err);
}

/** Records the spend; returns the append of the run event, when there is a run. */
function record(deps: GatewayDeps, call: PreparedCall, outcome: Outcome): Promise<void> | undefined {
  const { request, target } = call;
  const price = priceFor(request.model, { pricing: call.pricing, providerType: target.type });
  const cost = estimateCostUsd(price, outcome.usage.prompt_tokens, outcome.usage.completion_tokens);
  if (tracingOn())
    describeRequestSpan(`chat ${request.model}`, {
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": request.model,
      "gen_ai.provider.name": target.type,
      "gen_ai.usage.input_tokens": outcome.usage.prompt_tokens,
      "gen_ai.usage.output_tokens": outcome.usage.completion_tokens,
      "runagents.agent": call.agent,
      "runagents.run.id": call.runId ?? "",
      "runagents.cost_usd": cost,
    });
  // The answer does not wait for the usage write (budget checks and spend reads see it at once).
  addModelUsage(
    deps.store,
    call.workspace,
    {
      agent: call.agent,
      model: request.model,
      modelProvider: target.name,
      provider: target.type,
      inputTokens: outcome.usage.prompt_tokens,
      outputTokens: outcome.usage.completion_tokens,
      costUsd: cost,
    },
    deps.log,
  );
  return call.runId ? appendRunEvent(deps, call, outcome, cost) : undefined;
}

/** The tokens of every `LLM_CALL` of the run so far, as an OpenAI `usage` object. */
export async function runUsage(store: Store, ws: string, runId: string): Promise<Usage> {
  const { prompt_tokens, completion_tokens } = await runTally(store, ws, runId);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

/** Totals of a run's `LLM_CALL` events up to `seq` (what the next event's `run_totals` adds to). */
interface RunTally {
  seq: number;
  llm_calls: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

/** Per store, by workspace and run: only the events after the last tally are read on the next call. */
const tallies = new WeakMap<Store, Map<string, RunTally>>();
const MAX_TALLIES = 10_000;

async function runTally(store: Store, ws: string, runId: string): Promise<RunTally> {
  let byRun = tallies.get(store);
  if (!byRun) {
    byRun = new Map();
    tallies.set(store, byRun);
  }
  const key = `${ws}\0${runId}`;
  const known = byRun.get(key);
  // Only LLM_CALL rows: a run's tool events are most of its events, and each read row is parsed.
  const events = await store.listEvents(ws, runId, { afterSeq: known?.seq ?? 0, type: "LLM_CALL" });
  const tally: RunTally = known
    ? { ...known }
    : { seq: 0, llm_calls: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 };
  for (const event of events) {
    if (event.seq > tally.seq) tally.seq = event.seq;
    const d = event.data;
    tally.llm_calls++;
    tally.prompt_tokens += typeof d.prompt_tokens === "number" ? d.prompt_tokens : 0;
    tally.completion_tokens += typeof d.completion_tokens === "number" ? d.completion_tokens : 0;
    tally.cost_usd += typeof d.cost_usd === "number" ? d.cost_usd : 0;
  }
  const current = byRun.get(key);
  if (!current || current.seq < tally.seq) {
    if (!current && byRun.size >= MAX_TALLIES) {
      const oldest = byRun.keys().next();
      if (!oldest.done) byRun.delete(oldest.value);
    }
    byRun.set(key, tally);
  }
  return tally;
}

async function appendRunEvent(deps: GatewayDeps, call: PreparedCall, outcome: Outcome, cost: number) {
  if (!call.runId) return;
  const { store } = deps;
  const prior = await runTally(store, call.workspace, call.runId);
  const { usage } = outcome;
  const totals = {
    llm_calls: prior.llm_calls + 1,
    prompt_tokens: prior.prompt_tokens + usage.prompt_tokens,
    completion_tokens: prior.completion_tokens + usage.completion_tokens,
    cost_usd: roundUsd(prior.cost_usd + cost),
  };
  const summary = outcome.error
    ? `LLM call to ${call.request.model} via ${call.target.name} failed: ${outcome.error}`
    : `LLM call to ${call.request.model} via ${call.target.name}: ${usage.prompt_tokens} prompt + ` +
      `${usage.completion_tokens} completion tokens, $${cost}`;
  await store.appendEvent(call.workspace, call.runId, {
    type: "LLM_CALL",
    actor: call.agent,
    data: {
      message: summary,
      model: call.request.model,
      provider: call.target.type,
      model_provider: call.target.name,
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      total_tokens: usage.total_tokens,
      cost_usd: cost,
      usage_estimated: outcome.estimated,
      stream: outcome.stream,
      ...(outcome.error ? { error: outcome.error } : {}),
      run_totals: totals,
    },
  });
}
