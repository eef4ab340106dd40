/**
 * @module
 * Calls to the platform's OpenAI-compatible LLM gateway (`POST <base>/chat/completions`). No
 * Authorization header: the gateway owns provider credentials and knows the agent by its URL.
 */

import { LLMGatewayError } from "./errors.js";
import { sdkFetch } from "./hooks.js";
import { isRecord, type JsonRecord } from "./json.js";
import { describeNetworkError, isNetworkFailure } from "./tool-http.js";

export const DEFAULT_LLM_GATEWAY_URL = "http://llm-gateway.agent-system.svc:8080/v1/chat/completions";
export const DEFAULT_MODEL = "gpt-4o-mini";
export const DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant.";
/** Default timeout of one gateway call. */
export const LLM_TIMEOUT_MS = 120_000;

/** An OpenAI chat message. Tool-calling turns carry `tool_calls`; tool results carry `tool_call_id`. */
export interface ChatMessage {
  role: string;
  content?: string | null;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  [key: string]: unknown;
}

export interface ChatToolCall {
  id: string;
  type?: string;
  function: { name: string; arguments: string };
}

/** An OpenAI tool definition (`{type: "function", function: {name, description, parameters}}`). */
export interface OpenAITool {
  type: "function";
  function: { name: string; description?: string; parameters?: JsonRecord; [key: string]: unknown };
}

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  [key: string]: unknown;
}

/** An OpenAI chat-completions response (only the fields the SDK reads are typed). */
export interface ChatCompletion {
  id?: string;
  model?: string;
  choices: Array<{ index?: number; message: ChatMessage; finish_reason?: string | null }>;
  usage?: ChatUsage;
  [key: string]: unknown;
}

/** The gateway base URL: `url` without trailing `/` and `/chat/completions`. */
export function gatewayBaseUrl(url: string): string {
  let base = url.replace(/\/+$/, "");
  if (base.endsWith("/chat/completions")) base = base.slice(0, -"/chat/completions".length);
  return base.replace(/\/+$/, "");
}

/** The full chat-completions URL for a gateway base (or full) URL. */
export function chatCompletionsUrl(url: string): string {
  return `${gatewayBaseUrl(url)}/chat/completions`;
}

export interface ChatRequest {
  url: string;
  model: string;
  messages: readonly ChatMessage[];
  tools?: readonly OpenAITool[];
  /** Ask the gateway for an SSE stream of chunks; the raw Response is returned by {@link openChat}. */
  stream?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** POSTs a chat completion and returns the gateway's Response once its status is 2xx. */
export async function openChat(request: ChatRequest): Promise<Response> {
  const body: JsonRecord = { model: request.model, messages: request.messages };
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools;
    body.tool_choice = "auto";
  }
  if (request.stream) body.stream = true;
  const timeout = AbortSignal.timeout(request.timeoutMs ?? LLM_TIMEOUT_MS);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await sdkFetch()(chatCompletionsUrl(request.url), {
      method: "POST",
      headers: { "Content-Type": "application/json", ...request.headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (error) {
    if (!isNetworkFailure(error)) throw error;
    throw new LLMGatewayError(`LLM Gateway unreachable: ${describeNetworkError(error)}`, { cause: error });
  }
  if (response.status < 200 || response.status >= 300) {
    const detail = await response.text().catch(() => "");
    throw new LLMGatewayError(`LLM Gateway returned ${response.status}`, {
      status: response.status,
      detail,
    });
  }
  return response;
}

/** One non-streamed chat completion. Throws `LLMGatewayError` on transport, status or format errors. */
export async function postChat(request: ChatRequest): Promise<ChatCompletion> {
  const response = await openChat({ ...request, stream: false });
  return parseCompletion(await response.text());
}

/** Parses a chat-completions body; `choices` must hold at least one message. */
export function parseCompletion(text: string): ChatCompletion {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new LLMGatewayError("LLM Gateway returned a reply that is not JSON", { detail: text });
  }
  if (!isRecord(value) || !Array.isArray(value.choices) || value.choices.length === 0) {
    throw new LLMGatewayError("LLM Gateway returned a reply without choices", { detail: text });
  }
  const first: unknown = value.choices[0];
  if (!isRecord(first) || !isRecord(first.message)) {
    throw new LLMGatewayError("LLM Gateway returned a choice without a message", { detail: text });
  }
  return value as ChatCompletion;
}
