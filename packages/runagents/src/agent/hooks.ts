/**
 * @module
 * The seam between the agent SDK and the agent runtime. The runtime registers its hooks on
 * `globalThis` under a registry symbol, so an `Agent` from any copy of the `runagents` package
 * (the user's agent may resolve its own) traces its tool calls into the current run. Without a
 * runtime, the SDK uses the global `fetch` and records nothing. Not part of the public API.
 */

/** What the SDK tells the runtime about a tool call it is about to make. */
export interface ToolCallStart {
  tool: string;
  function: string;
  method: string;
  url: string;
  body: string;
  /** Where the call came from: `agent_sdk` for `Agent.callTool`, `sdk` otherwise. */
  source: string;
}

/** A tool call being traced: headers to send, then exactly one of `finish` / `fail`. */
export interface ToolCallTrace {
  readonly headers: Readonly<Record<string, string>>;
  finish(status: number, text: string): void;
  fail(error: unknown): void;
}

export interface RuntimeHooks {
  /** `fetch` with the runtime's URL rewrites, outbound mode and identity headers, but no tracing. */
  readonly fetch: typeof fetch;
  /** Starts tracing a tool call in the current run; `undefined` outside a traced run. */
  beginToolCall(call: ToolCallStart): ToolCallTrace | undefined;
}

const REGISTRY = Symbol.for("runagents.runtime.hooks");

type Registry = { [REGISTRY]?: RuntimeHooks };

export function getRuntimeHooks(): RuntimeHooks | undefined {
  return (globalThis as Registry)[REGISTRY];
}

export function setRuntimeHooks(hooks: RuntimeHooks | undefined): void {
  (globalThis as Registry)[REGISTRY] = hooks;
}

/** The `fetch` SDK calls should use: the runtime's when one is installed, else the global one. */
export function sdkFetch(): typeof fetch {
  return getRuntimeHooks()?.fetch ?? globalThis.fetch;
}
