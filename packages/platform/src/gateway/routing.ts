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
  // A copy with the checked fields (`{ ...body, stream }` would take V8's slow path when the body
  // has no `stream`: a microsecond a call).
  const request = Object.assign({}, body) as ChatRequest;
  request.model = model.trim();
  request.messages = parsed;
  request.stream = stream === true;
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
  // The common message (no `tool_calls` key) needs no copy: nothing in it changes.
  if (!Object.hasOwn(value, "tool_calls")) return value as ChatMessage;
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

/** Where a model mapping goes, derived once per read of the workspace's providers. */
interface Route {
  /** The provider record; undefined: none serves the model. */
  record: ResourceRecord | undefined;
  name: string;
  type: string;
  adapter: ProviderAdapter | undefined;
  endpoint: string;
  auth: Obj;
  pricing: Record<string, ModelPrice> | undefined;
  /** Names of all the workspace's providers (their usage counts against a budget). */
  providers: readonly string[];
  /** The last target built for this route, with the secret it was built from. */
  target?: { secret: Record<string, string> | undefined; value: ProviderTarget };
}

/** What calls derive from one read of the workspace's provider records (kept while it is cached). */
interface RouteTable {
  refs: ProviderRef[];
  names: string[];
  routes: Map<string, Route>;
}

const tables = new WeakMap<readonly ResourceRecord[], RouteTable>();

function routeFor(records: readonly ResourceRecord[], mapping: AgentLlmConfig): Route {
  let table = tables.get(records);
  if (!table) {
    table = { refs: records.map(toRef), names: records.map((r) => r.name), routes: new Map() };
    tables.set(records, table);
  }
  const key = `${mapping.model_provider}\0${mapping.provider}\0${mapping.model}`;
  let route = table.routes.get(key);
  if (!route) {
    const name = resolveModelProvider(table.refs, mapping);
    const record = name ? records.find((r) => r.name === name) : undefined;
    const spec = record && isObject(record.doc.spec) ? record.doc.spec : {};
    const type = typeof spec.provider === "string" ? spec.provider : "";
    route = {
      record,
      name,
      type,
      adapter: adapterFor(type),
      endpoint: typeof spec.endpoint === "string" ? spec.endpoint : "",
      auth: isObject(spec.auth) ? spec.auth : {},
      pricing: isObject(spec.pricing) ? (spec.pricing as Record<string, ModelPrice>) : undefined,
      providers: table.names,
    };
    table.routes.set(key, route);
  }
  return route;
}

/** The agent's model mappings, derived once per version of its (shared, frozen) record. */
const agentConfigs = new WeakMap<object, AgentLlmConfig[]>();
const NO_CONFIGS: AgentLlmConfig[] = [];

function configsOf(record: Readonly<ResourceRecord> | undefined): AgentLlmConfig[] {
  if (!record) return NO_CONFIGS;
  let configs = agentConfigs.get(record);
  if (!configs) {
    configs = storedLlmConfigs(record.doc);
    agentConfigs.set(record, configs);
  }
  return configs;
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
  const configs = agent ? configsOf(await store.readResource(ws, "agent", agent)) : NO_CONFIGS;
  const model = request.model;
  const mapping = configs.find((c) => c.model === model) ?? {
    role: "",
    model_provider: "",
    provider: "",
    model,
    monthly_budget_usd: null,
  };
  const records = await cachedProviders(store, ws);
  const route = routeFor(records, mapping);
  if (!route.record) throw new HttpError(404, `no provider found for model "${model}"`);
  const who = agent || DIRECT_CALLER;
  if (configs.length > 0) {
    await checkBudget(store, ws, { agent: who, model, configs, providers: route.providers });
  }
  const { name, type, adapter } = route;
  if (!adapter) {
    throw new HttpError(
      501,
      `model provider "${name}" has type "${type}", which the gateway cannot call yet`,
    );
  }
  const secret = await cachedProviderSecret(store, ws, name);
  // One target per route and secret: adapters cache what they derive from it (URL, headers).
  if (route.target?.secret !== secret || !route.target) {
    const value: ProviderTarget = { name, type, endpoint: route.endpoint, auth: route.auth, secret };
    route.target = { secret, value };
  }
  const call: PreparedCall = { workspace: ws, agent: who, request, target: route.target.value, adapter };
  if (runId) call.runId = runId;
  if (route.pricing) call.pricing = route.pricing;
  return call;
}
