/**
 * @module
 * The types a handler receives from the runtime: the `request` object (snake_case, as on the wire)
 * and the {@link RunContext} (camelCase).
 */

/** `request.resume` when the runtime re-invokes a paused handler after approval or consent. */
export interface ResumeInfo {
  /** The approved action (or the consent resume id). */
  action_id: string;
  /** What the handler returned as `resume` when it paused, or `{}`. */
  state: Record<string, unknown>;
  /** Set when the run was resumed after an approval. */
  approved?: true;
  /** Set when the run was resumed after OAuth consent. */
  consented?: true;
}

/** The first argument of a one- or two-parameter handler. Optional keys are present only when set. */
export interface HandlerRequest {
  message: string;
  /** Passed through from the invoke body as is. */
  history: unknown[];
  request_id?: string;
  run_id?: string;
  /** The verified end-user id (`X-End-User-Id`). */
  user_id?: string;
  resume?: ResumeInfo;
}

/** Per-request session data. Not persisted across requests. */
export interface Session {
  history: unknown[];
  requestId?: string;
  runId?: string;
  userId?: string;
  resume?: ResumeInfo;
  /** `resume.action_id`, when resuming. */
  actionId?: string;
}

/** The second argument of a two-parameter handler, built fresh for every call. */
export interface RunContext {
  /** `{toolName: baseUrl}` from the `TOOL_URL_*` variables. */
  readonly tools: Readonly<Record<string, string>>;
  /** The full chat-completions URL of the LLM gateway. */
  readonly llmUrl: string;
  /** The gateway base URL (`llmUrl` without `/chat/completions`), as OpenAI-style SDKs expect. */
  readonly llmBaseUrl: string;
  readonly model: string;
  readonly systemPrompt: string;
  readonly session: Session;
  /** Aborted when the caller goes away (a closed stream or connection). */
  readonly signal: AbortSignal;
  /**
   * Streams `text` to the caller now: a `content` event on `/invoke/stream`; on `/invoke` the emitted
   * pieces are joined into `response`.
   */
  emit(text: string): void;
}
