/**
 * @module
 * Public API of `runagents/runtime`: the agent HTTP server. `serve()` runs it in-process; the
 * `runagents-runtime` command (`main.ts`) runs it from the environment contract.
 */

export type { HandlerRequest, ResumeInfo, RunContext, Session } from "../agent/context.js";
export {
  ApprovalRequired,
  ConsentRequired,
  LLMGatewayError,
  ToolNotConfigured,
  ToolUnreachable,
} from "../agent/errors.js";
export {
  ApprovalRequiredError,
  CapabilityDeniedError,
  ConsentRequiredError,
  PolicyDeniedError,
  ToolCallError,
  ToolHttpError,
} from "../agent/tool-errors.js";
export {
  type Env,
  loadRuntimeConfig,
  type OutboundMode,
  type RuntimeConfig,
  RuntimeConfigError,
  type ToolRoute,
} from "./env.js";
export { HandlerLoadError } from "./handler-loader.js";
export type { Callable as HandlerFunction } from "./handler-params.js";
export { createLogger, type LogFields, type Logger, silentLogger } from "./log.js";
export { UnboundOutboundURL } from "./outbound.js";
export { type RuntimeServer, type ServeOptions, serve } from "./server.js";
export type { RuntimeEvent } from "./sse.js";
export { TypeScriptUnavailable } from "./ts-loader.js";
