/**
 * @module
 * `client.agents`: list, get, config, deploy (api-contract §2.3.1), delete, invoke and invoke/stream,
 * and following an agent's log.
 */

import { RunAgentsValidationError } from "../errors.js";
import { parseSseStream } from "../internal/sse.js";
import { type CallOptions, parseBody, type Transport, urlPath } from "./http.js";
import { listOf, toAgent, toAgentConfig, toDeleteResult, toDeployResult, toInvokeResult } from "./parse.js";
import type {
  Agent,
  AgentConfig,
  AgentConfigUpdate,
  AgentLogEvent,
  DeleteResult,
  DeployInput,
  DeployResult,
  InvokeInput,
  InvokeResult,
  InvokeStreamEvent,
  JsonObject,
} from "./types.js";

/** Copy the defined, non-empty values of `entries` into an object. */
function compact(entries: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(entries)) {
    if (value !== undefined && value !== null && value !== "") out[key] = value;
  }
  return out;
}

function trimmedList(values: readonly string[] | undefined): string[] {
  return (values ?? []).map((v) => v.trim()).filter((v) => v !== "");
}

/** Build the `POST /deploy` body, enforcing the client-side deploy rules. */
export function buildDeployBody(input: DeployInput): JsonObject {
  const agentName = (input.name ?? "").trim();
  if (agentName === "") throw new RunAgentsValidationError("agent name is required");

  const sourceFiles =
    input.sourceFiles && Object.keys(input.sourceFiles).length > 0 ? input.sourceFiles : undefined;
  const image = (input.image ?? "").trim();
  const draftId = (input.draftId ?? "").trim();
  const artifactId = (input.artifactId ?? "").trim();
  const sources = [sourceFiles !== undefined, image !== "", draftId !== "", artifactId !== ""].filter(
    Boolean,
  );
  if (sources.length !== 1) {
    throw new RunAgentsValidationError(
      "provide exactly one deploy source: source_files, image, draft_id, or artifact_id",
    );
  }

  const body: JsonObject = { agent_name: agentName };
  const requirements = input.requirements ?? "";
  const entryPoint = (input.entryPoint ?? "").trim();
  const framework = (input.framework ?? "").trim();
  if (sourceFiles) {
    Object.assign(
      body,
      compact({ source_files: sourceFiles, requirements, entry_point: entryPoint, framework }),
    );
  } else {
    for (const [field, value] of [
      ["requirements", requirements],
      ["entry_point", entryPoint],
      ["framework", framework],
    ] as const) {
      if (value !== "") throw new RunAgentsValidationError(`${field} can only be used with source_files`);
    }
  }

  const requiredTools = trimmedList(input.requiredTools);
  const policies = trimmedList(input.policies);
  const mappings = input.toolUrlMappings ?? {};
  Object.assign(
    body,
    compact({
      image,
      draft_id: draftId,
      artifact_id: artifactId,
      system_prompt: input.systemPrompt,
      required_tools: requiredTools.length > 0 ? requiredTools : undefined,
      tool_url_mappings: Object.keys(mappings).length > 0 ? mappings : undefined,
      tools_to_create: input.toolsToCreate?.length
        ? input.toolsToCreate.map((t) =>
            compact({
              name: t.name,
              base_url: t.baseUrl,
              description: t.description,
              auth_type: t.authType,
              port: t.port,
              scheme: t.scheme,
            }),
          )
        : undefined,
      llm_configs: input.llmConfigs?.length
        ? input.llmConfigs.map((c) =>
            compact({
              provider: c.provider,
              model: c.model,
              role: c.role,
              model_provider: c.modelProvider,
              monthly_budget_usd: c.monthlyBudgetUsd,
            }),
          )
        : undefined,
      env: input.env?.length ? input.env : undefined,
      policies: policies.length > 0 ? policies : undefined,
      identity_provider: (input.identityProvider ?? "").trim(),
    }),
  );
  return body;
}

/** Build the `PUT /agents/{name}/config` body: only the given fields; at least one is required. */
export function buildConfigUpdateBody(update: AgentConfigUpdate): JsonObject {
  const body: JsonObject = {};
  if (update.systemPrompt !== undefined) body.system_prompt = update.systemPrompt;
  if (update.identityProvider !== undefined) body.identity_provider = update.identityProvider;
  if (update.llmConfigs !== undefined) {
    body.llm_configs = update.llmConfigs.map((c) =>
      compact({
        role: c.role,
        model_provider: c.modelProvider,
        provider: c.provider,
        model: c.model,
        monthly_budget_usd: c.monthlyBudgetUsd,
      }),
    );
  }
  if (update.requiredTools !== undefined) body.required_tools = update.requiredTools;
  if (update.policies !== undefined) body.policies = update.policies;
  if (Object.keys(body).length === 0)
    throw new RunAgentsValidationError("at least one field must be provided");
  return body;
}

/** Options of `invoke` and `invokeStream`. */
export interface InvokeOptions extends CallOptions {
  /**
   * The end user's JWT from the workspace's identity provider, sent as `Authorization: Bearer`
   * (beside the client's API key, if any): the platform verifies it and runs the agent for the
   * user it names. Never an API key.
   */
  userToken?: string;
}

/** The request headers an invoke's options call for. */
function userTokenHeaders(options: InvokeOptions): Record<string, string> {
  const token = options.userToken?.trim();
  if (!token) return {};
  if (token.startsWith("ra_ws_")) {
    throw new RunAgentsValidationError("userToken must be an end user's JWT, not a workspace API key");
  }
  return { Authorization: `Bearer ${token}` };
}

function invokeBody(input: InvokeInput): JsonObject {
  const body: JsonObject = { message: input.message };
  if (input.history !== undefined) body.history = input.history;
  if (input.conversationId) body.conversation_id = input.conversationId;
  if (input.userId) body.user_id = input.userId;
  return body;
}

export class AgentsResource {
  readonly #t: Transport;
  readonly #baseFor: (namespace: string) => string;

  /** @param baseFor the base URL that addresses a namespace given per call (see `agents.get`). */
  constructor(transport: Transport, baseFor: (namespace: string) => string) {
    this.#t = transport;
    this.#baseFor = baseFor;
  }

  /** GET /agents */
  async list(options: CallOptions = {}): Promise<Agent[]> {
    return listOf(await this.#t.request("GET", "/agents", options), toAgent);
  }

  /** GET /agents/{name}; with two names, the first selects the workspace (namespace). */
  get(name: string, options?: CallOptions): Promise<Agent>;
  get(namespace: string, name: string, options?: CallOptions): Promise<Agent>;
  async get(first: string, second?: string | CallOptions, third?: CallOptions): Promise<Agent> {
    if (typeof second === "string") {
      const result = await this.#t.request("GET", urlPath`/agents/${second}`, {
        ...third,
        base: this.#baseFor(first),
      });
      return toAgent(result);
    }
    return toAgent(await this.#t.request("GET", urlPath`/agents/${first}`, second));
  }

  /** GET /agents/{name}/config */
  async getConfig(name: string, options: CallOptions = {}): Promise<AgentConfig> {
    return toAgentConfig(await this.#t.request("GET", urlPath`/agents/${name}/config`, options));
  }

  /** PUT /agents/{name}/config with only the given fields. */
  async updateConfig(
    name: string,
    update: AgentConfigUpdate,
    options: CallOptions = {},
  ): Promise<AgentConfig> {
    const body = buildConfigUpdateBody(update);
    return toAgentConfig(await this.#t.request("PUT", urlPath`/agents/${name}/config`, { ...options, body }));
  }

  /** POST /deploy; exactly one of sourceFiles, image, draftId, artifactId. */
  async deploy(input: DeployInput, options: CallOptions = {}): Promise<DeployResult> {
    const body = buildDeployBody(input);
    return toDeployResult(await this.#t.request("POST", "/deploy", { ...options, body }));
  }

  /** DELETE /agents/{name} */
  async delete(name: string, options: CallOptions = {}): Promise<DeleteResult> {
    return toDeleteResult(await this.#t.request("DELETE", urlPath`/agents/${name}`, options));
  }

  /**
   * POST /agents/{name}/invoke with `{message, history?, conversation_id?, user_id?}`. Where an
   * identity provider verifies end users, pass the user's JWT as `options.userToken`.
   */
  async invoke(name: string, input: InvokeInput, options: InvokeOptions = {}): Promise<InvokeResult> {
    const { userToken: _, ...call } = options;
    const result = await this.#t.request("POST", urlPath`/agents/${name}/invoke`, {
      ...call,
      body: invokeBody(input),
      headers: userTokenHeaders(options),
    });
    return toInvokeResult(result);
  }

  /**
   * GET /agents/{name}/logs?follow=true: yields the last `tail` lines (default 100), then every
   * new line as the agent writes it, until the platform ends the stream (an `end` event says
   * why) or `options.signal` aborts. A stream that stops without an `end` event just returns.
   */
  async *followLogs(
    name: string,
    query: { tail?: number } = {},
    options: CallOptions = {},
  ): AsyncGenerator<AgentLogEvent, void, undefined> {
    const stream = await this.#t.stream("GET", urlPath`/agents/${name}/logs`, {
      ...options,
      query: { tail: query.tail, follow: "true" },
      headers: { Accept: "text/event-stream" },
    });
    try {
      const body = stream.response.body;
      if (!body) return;
      for await (const message of parseSseStream(body)) {
        const data = parseBody(message.data) as { type?: unknown; line?: unknown; reason?: unknown };
        if (data?.type === "line" && typeof data.line === "string") yield { type: "line", line: data.line };
        else if (data?.type === "end") {
          yield { type: "end", reason: typeof data.reason === "string" ? data.reason : "" };
          return;
        }
      }
    } catch (error) {
      throw stream.mapError(error);
    } finally {
      stream.dispose();
    }
  }

  /**
   * POST /agents/{name}/invoke/stream and yield the runtime's SSE events until `data: [DONE]`.
   * The request is sent when iteration starts; HTTP errors are thrown from the first `next()`.
   */
  async *invokeStream(
    name: string,
    input: InvokeInput,
    options: InvokeOptions = {},
  ): AsyncGenerator<InvokeStreamEvent, void, undefined> {
    const { userToken: _, ...call } = options;
    const stream = await this.#t.stream("POST", urlPath`/agents/${name}/invoke/stream`, {
      ...call,
      body: invokeBody(input),
      headers: { Accept: "text/event-stream", ...userTokenHeaders(options) },
    });
    try {
      const body = stream.response.body;
      if (!body) return;
      for await (const message of parseSseStream(body)) {
        if (message.data === "[DONE]") return;
        yield { event: message.event, data: parseBody(message.data) };
      }
    } catch (error) {
      throw stream.mapError(error);
    } finally {
      stream.dispose();
    }
  }
}
