/**
 * @module gateway/types
 * The OpenAI chat-completions wire shapes the gateway speaks on both sides, and the contract
 * every provider adapter implements: translate an OpenAI request to its own API and back.
 */

export type Json = Record<string, unknown>;

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** An OpenAI chat message. `content` is a string, a list of parts, or null. */
export interface ChatMessage {
  role: string;
  content?: unknown;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  [key: string]: unknown;
}

export interface ToolDef {
  type: "function";
  function: { name: string; description?: string; parameters?: Json };
}

/** The validated request; unknown OpenAI parameters are kept and passed through where they fit. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  tools?: ToolDef[];
  tool_choice?: unknown;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  [key: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface AssistantMessage {
  role: "assistant";
  content: string | null;
  tool_calls?: ToolCall[];
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: { index: number; message: AssistantMessage; finish_reason: string | null }[];
  usage?: Usage;
  [key: string]: unknown;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

export interface ChunkChoice {
  index: number;
  delta: { role?: string; content?: string | null; tool_calls?: ToolCallDelta[] };
  finish_reason: string | null;
}

export interface ChatChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: ChunkChoice[];
  usage?: Usage | null;
  [key: string]: unknown;
}

/**
 * The provider's own JSON text of a completion an adapter returned unchanged (every key as the
 * provider sent it, nothing filled in, usage reported), so the answer can be sent as that text
 * instead of serialising the object again. Only set when the text has no `\u` or `\/` escape.
 */
export const completionTexts = new WeakMap<ChatCompletion, string>();

/** A registered model provider, resolved for one call (its key read from the secret store). */
export interface ProviderTarget {
  /** The ModelProvider resource name. */
  name: string;
  /** openai | anthropic | ollama | playground | bedrock */
  type: string;
  endpoint: string;
  /** `spec.auth` as stored. */
  auth: Json;
  /** The decrypted `<name>-provider-key` secret, if any. */
  secret: Record<string, string> | undefined;
}

export interface ProbeOutcome {
  available: boolean;
  message: string;
}

/** Told when a call is cancelled (an object, the form `AbortSignal` also takes). */
export interface CancelListener {
  handleEvent(): void;
}

/** The cancellation of one call: an `AbortSignal`, or the cheaper {@link CallCancellation}. */
export interface CallSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: CancelListener): void;
  removeEventListener(type: "abort", listener: CancelListener): void;
}

/** A {@link CallSignal} for one call, without an AbortController's EventTarget machinery. */
export class CallCancellation implements CallSignal {
  aborted = false;
  #listeners: CancelListener[] | undefined;

  addEventListener(_type: "abort", listener: CancelListener): void {
    if (this.aborted) return;
    this.#listeners ??= [];
    if (!this.#listeners.includes(listener)) this.#listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: CancelListener): void {
    const listeners = this.#listeners;
    const i = listeners ? listeners.indexOf(listener) : -1;
    if (i !== -1) listeners?.splice(i, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.#listeners ?? [];
    this.#listeners = undefined;
    for (const listener of listeners) listener.handleEvent();
  }
}

export interface ProviderAdapter {
  complete(target: ProviderTarget, request: ChatRequest, signal: CallSignal): Promise<ChatCompletion>;
  /** Resolves once the upstream accepted the call (so failures are still a plain 502). */
  stream(target: ProviderTarget, request: ChatRequest, signal: CallSignal): Promise<AsyncIterable<ChatChunk>>;
  probe(target: ProviderTarget, timeoutMs: number): Promise<ProbeOutcome>;
}

/** A failed upstream call; `status` is the provider's HTTP status (0 for a network failure). */
export class ProviderError extends Error {
  override name = "ProviderError";
  constructor(
    message: string,
    readonly status = 0,
  ) {
    super(message);
  }
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** The text of a message's content: a string, or the text parts of a list joined by newlines. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const parts: string[] = [];
  for (const part of content) {
    if (typeof part === "string") parts.push(part);
    else if (part && typeof part === "object" && typeof (part as Json).text === "string") {
      parts.push((part as Json).text as string);
    }
  }
  return parts.join("\n");
}
