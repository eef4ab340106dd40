/**
 * @module gateway/routing
 * From a chat request to the provider that serves it: validate the OpenAI body, find who is
 * calling (the agent of the token, else the agent of the `X-Run-ID` run, else `_direct`), route
 * by model name over the workspace's model providers (`resolveModelProvider`, preferring the
 * provider the agent's model mapping names), check the agent's budget, and read the key.
 */
import { storedLlmConfigs } from "../deploy/agent-config.js";
import { HttpError } from "../errors.js";
import type { ResourceRecord, Store } from "../store/store.js";
import { isObject, type Obj } from "../validate.js";
import { checkBudget } from "./budget.js";
import type { ModelPrice } from "./pricing.js";
import { cachedProviderSecret, cachedProviders } from "./provider-cache.js";
import { adapterFor } from "./providers/index.js";
import { type AgentLlmConfig, type ProviderRef, resolveModelProvider } from "./spend.js";
import type { ChatMessage, ChatRequest, ProviderAdapter, ProviderTarget, ToolDef } from "./types.js";

/** Usage of callers that are no agent (an API key, a loopback client) is recorded under this name. */
export const DIRECT_CALLER = "_direct";

export interface Caller {
  workspace: string;
  /** The agent a token identified, if any. */
  agent?: string;
  /** `X-Run-ID`, if sent. */
  runId?: string;
}

export interface PreparedCall {
  workspace: string;
  /** Who the spend is attributed to. */
  agent: string;
  /** The run to record `LLM_CALL` on: it exists and (for an agent caller) is the agent's own. */
  runId?: string;
  request: ChatRequest;
  target: ProviderTarget;
  adapter: ProviderAdapter;
  pricing?: Record<string, ModelPrice>;
}

const bad = (message: string) => new HttpError(400, message);

/** Validates an OpenAI chat-completions body; unknown parameters are kept. */
export function parseChatRequest(body: Obj): ChatRequest {
  const { model, messages, stream, tools } = body;
  if (model === undefined || model === null || model === "") throw bad("model is required");
  if (typeof model !== "string" || model.trim() === "") throw bad("model must be a non-empty string");
  if (!Array.isArray(messages) || messages.length === 0) {
    throw bad("messages must be a non-empty list of {role, content} objects");
  }
  const parsed = messages.map(parseMessage);
  if (stream !== undefined && stream !== null && typeof stream !== "boolean")
    throw bad("stream must be a boolean");
  const request: ChatRequest = { ...body, model: model.trim(), messages: parsed, stream: stream === true };
  if (tools !== undefined && tools !== null) {
    if (!Array.isArray(tools)) throw bad("tools must be a list");
    request.tools = tools.map(parseTool);
  } else delete request.tools;
  for (const key of ["max_tokens", "temperature", "top_p"]) {
    const value = body[key];
    if (value !== undefined && value !== null && (typeof value !== "number" || !Number.isFinite(value))) {
      throw bad(`${key} must be a number`);
    }
  }
  return request;
}

function parseMessage(value: unknown, i: number): ChatMessage {
  if (!isObject(value) || typeof value.role !== "string" || value.role === "") {
    throw bad(`messages[${i}] must be an object with a string role`);
  }
  const message: ChatMessage = { ...value, role: value.role };
  if (value.tool_calls === undefined || value.tool_calls === null) {
    delete message.tool_calls;
    return message;
  }
  if (!Array.isArray(value.tool_calls)) throw bad(`messages[${i}].tool_calls must be a list`);
  message.tool_calls = value.tool_calls.map((call, j) => {
    const fn = isObject(call) && isObject(call.function) ? call.function : undefined;
    if (!isObject(call) || typeof call.id !== "string" || !fn || typeof fn.name !== "string") {
      throw bad(
        `messages[${i}].tool_calls[${j}] must be {id, type: "function", function: {name, arguments}}`,
      );
    }
    const args = typeof fn.arguments === "string" ? fn.arguments : JSON.stringify(fn.arguments ?? {});
    return { id: call.id, type: "function", function: { name: fn.name, arguments: args } };
  });
  return message;
}

function parseTool(value: unknown, i: number): ToolDef {
  const fn = isObject(value) && isObject(value.function) ? value.function : undefined;
  if (!fn || typeof fn.name !== "string" || fn.name === "") {
    throw bad(`tools[${i}] must be {type: "function", function: {name, description?, parameters?}}`);
  }
  if (fn.parameters !== undefined && !isObject(fn.parameters)) {
    throw bad(`tools[${i}].function.parameters must be an object`);
  }
  return { ...(value as Obj), type: "function", function: fn as ToolDef["function"] };
}

function toRef(record: ResourceRecord): ProviderRef {
  const spec = isObject(record.doc.spec) ? record.doc.spec : {};
  return {
    name: record.name,
    provider: typeof spec.provider === "string" ? spec.provider : "",
    models: Array.isArray(spec.models) ? spec.models.filter((m): m is string => typeof m === "string") : [],
  };
}

export async function prepareCall(store: Store, caller: Caller, request: ChatRequest): Promise<PreparedCall> {
  const ws = caller.workspace;
  let agent = caller.agent;
  let runId: string | undefined;
  if (caller.runId) {
    const run = await store.getRun(ws, caller.runId);
    if (run && (!agent || run.agentId === agent)) {
      runId = run.id;
      agent ??= run.agentId;
    }
  }
  const configs: AgentLlmConfig[] = agent
    ? storedLlmConfigs((await store.getResource(ws, "agent", agent))?.doc ?? {})
    : [];
  const model = request.model;
  const mapping = configs.find((c) => c.model === model) ?? {
    role: "",
    model_provider: "",
    provider: "",
    model,
    monthly_budget_usd: null,
  };
  const records = await cachedProviders(store, ws);
  const name = resolveModelProvider(records.map(toRef), mapping);
  const record = name ? records.find((r) => r.name === name) : undefined;
  if (!record) throw new HttpError(404, `no provider found for model "${model}"`);
  const who = agent || DIRECT_CALLER;
  await checkBudget(store, ws, { agent: who, model, configs, providers: records.map((r) => r.name) });
  const spec = isObject(record.doc.spec) ? record.doc.spec : {};
  const type = typeof spec.provider === "string" ? spec.provider : "";
  const adapter = adapterFor(type);
  if (!adapter) {
    throw new HttpError(
      501,
      `model provider "${name}" has type "${type}", which the gateway cannot call yet`,
    );
  }
  const target: ProviderTarget = {
    name,
    type,
    endpoint: typeof spec.endpoint === "string" ? spec.endpoint : "",
    auth: isObject(spec.auth) ? spec.auth : {},
    secret: await cachedProviderSecret(store, ws, name),
  };
  const call: PreparedCall = { workspace: ws, agent: who, request, target, adapter };
  if (runId) call.runId = runId;
  if (isObject(spec.pricing)) call.pricing = spec.pricing as Record<string, ModelPrice>;
  return call;
}
