/**
 * @module
 * The runtime's shared state (built once by `serve()`) and the parsed invoke input.
 */

import type { ResumeInfo } from "../agent/context.js";
import type { RuntimeConfig } from "./env.js";
import type { Governance } from "./governance.js";
import type { LoadedHandler } from "./handler-loader.js";
import type { ClientAbort } from "./http-io.js";
import type { Logger } from "./log.js";
import type { OutboundPolicy } from "./outbound.js";

export interface Runtime {
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  readonly governance: Governance;
  readonly policy: OutboundPolicy;
  /** The user handler, if one was given or loaded. */
  readonly handler: LoadedHandler | undefined;
  /** Why `USER_ENTRY_POINT` could not be loaded; requests then fail with 500 naming it. */
  readonly handlerError: string | undefined;
}

/** One invocation (from `/invoke`, `/invoke/stream`, `/invocations` or a resume). */
export interface Invocation {
  readonly message: string;
  readonly history: unknown[];
  readonly requestId: string;
  readonly runId: string | undefined;
  readonly userId: string | undefined;
  /** Set when a paused user handler is resumed. */
  readonly resume?: ResumeInfo;
  /** `tool_cache` of the invoke body: `function_name + "\0" + arguments` → result. */
  readonly toolCache?: ReadonlyMap<string, string>;
  /** Aborts when the caller disconnects. */
  readonly abort: ClientAbort;
}
