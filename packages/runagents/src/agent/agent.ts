/**
 * @module
 * `Agent`: the agent's view of its deployment. It reads the environment the platform injects
 * (`SYSTEM_PROMPT`, `LLM_MODEL`, `LLM_GATEWAY_URL`, `TOOL_URL_*`) when constructed, calls bound tools
 * through the governed egress and talks to the LLM gateway.
 */

import { ToolNotConfigured, toolEnvKey } from "./errors.js";
import { isRecord, parseJson } from "./json.js";
import {
  type ChatCompletion,
  type ChatMessage,
  DEFAULT_LLM_GATEWAY_URL,
  DEFAULT_MODEL,
  DEFAULT_SYSTEM_PROMPT,
  type OpenAITool,
  postChat,
} from "./llm.js";
import { type ToolFunction, toOpenAITools } from "./tool.js";
import { requestTool, withQuery } from "./tool-http.js";
import { processEnv, toolUrlsFromEnv } from "./tool-urls.js";

export interface AgentOptions {
  /** Where to read the configuration. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface CallToolOptions {
  /** A tool bound with `TOOL_URL_<NAME>`. */
  name: string;
  /** Appended to the tool's base URL. Default `/`. */
  path?: string;
  /** Sent as JSON; for GET and HEAD, an object payload becomes the query string instead. */
  payload?: unknown;
  /** Default `POST`. */
  method?: string;
}

export interface ChatOptions {
  /** OpenAI tool definitions, or functions made with `tool()`. */
  tools?: ReadonlyArray<OpenAITool | ToolFunction>;
  /** Earlier messages. When given, the agent's system prompt is not prepended. */
  history?: readonly ChatMessage[];
  signal?: AbortSignal;
}

export class Agent {
  readonly systemPrompt: string;
  readonly model: string;
  /** `LLM_GATEWAY_URL` as set (the runtime normalises it to the gateway base URL). */
  readonly llmGatewayUrl: string;
  /** `{toolName: baseUrl}` from `TOOL_URL_*`. */
  readonly toolUrls: Readonly<Record<string, string>>;

  constructor(options: AgentOptions = {}) {
    const env = options.env ?? processEnv();
    this.systemPrompt = env.SYSTEM_PROMPT || DEFAULT_SYSTEM_PROMPT;
    this.model = env.LLM_MODEL || DEFAULT_MODEL;
    this.llmGatewayUrl = env.LLM_GATEWAY_URL || DEFAULT_LLM_GATEWAY_URL;
    this.toolUrls = Object.freeze(toolUrlsFromEnv(env));
  }

  hasTool(name: string): boolean {
    return Object.hasOwn(this.toolUrls, name);
  }

  /** The bound tool names, sorted. */
  availableTools(): string[] {
    return Object.keys(this.toolUrls).sort();
  }

  /**
   * Calls a bound tool and returns its JSON answer (`{ raw }` when the body is not JSON). Throws
   * `ToolNotConfigured` for an unbound tool, `ToolUnreachable` when it cannot be reached, and a
   * `ToolCallError` when it does not answer 2xx:
   * - `PolicyDeniedError` (`CapabilityDeniedError`) when the platform denies the call: uncaught,
   *   it fails the run with the platform's reason;
   * - `ApprovalRequiredError` / `ConsentRequiredError` when the platform holds the call: uncaught,
   *   it pauses the run until the approval or consent, then the handler runs again;
   * - `ToolHttpError` for any other non-2xx answer.
   */
  async callTool(options: CallToolOptions): Promise<unknown> {
    const { name, path = "/", payload, method = "POST" } = options;
    const base = this.toolUrls[name];
    if (base === undefined) throw new ToolNotConfigured(name, toolEnvKey(name));
    let url = base.replace(/\/+$/, "") + (path.startsWith("/") || path === "" ? path : `/${path}`);
    let body: string | undefined;
    const upper = method.toUpperCase();
    if (payload !== undefined && payload !== null) {
      if ((upper === "GET" || upper === "HEAD") && isRecord(payload)) url = withQuery(url, payload);
      else body = JSON.stringify(payload);
    }
    const text = await requestTool({
      method,
      url,
      body,
      toolName: name,
      functionName: name,
      source: "agent_sdk",
      throwHttpErrors: true,
    });
    const parsed = parseJson(text);
    return parsed === undefined ? { raw: text } : parsed;
  }

  /**
   * One chat completion through the gateway with this agent's model. The message list is
   * `history` (or the system prompt when there is none) followed by `{role: "user", content: message}`.
   * Returns the OpenAI-format response; throws `LLMGatewayError` when the gateway fails.
   */
  async chat(message: string, options: ChatOptions = {}): Promise<ChatCompletion> {
    const messages: ChatMessage[] = options.history
      ? [...options.history]
      : [{ role: "system", content: this.systemPrompt }];
    messages.push({ role: "user", content: message });
    const tools = options.tools?.map((t) =>
      typeof t === "function" ? (toOpenAITools([t])[0] as OpenAITool) : t,
    );
    return postChat({ url: this.llmGatewayUrl, model: this.model, messages, tools, signal: options.signal });
  }
}
