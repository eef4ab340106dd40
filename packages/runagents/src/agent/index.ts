/**
 * @module
 * Public API of `runagents/agent` (also re-exported from the package root): the `Agent` helper,
 * `tool()`, the errors a handler may see or raise, and the types a handler receives. Nothing here
 * imports `node:` modules.
 */

export { Agent, type AgentOptions, type CallToolOptions, type ChatOptions } from "./agent.js";
export type { HandlerRequest, ResumeInfo, RunContext, Session } from "./context.js";
export {
  ApprovalRequired,
  ConsentRequired,
  isApprovalRequired,
  isConsentRequired,
  LLMGatewayError,
  ToolNotConfigured,
  ToolUnreachable,
} from "./errors.js";
export type { JsonRecord } from "./json.js";
export type { ChatCompletion, ChatMessage, ChatToolCall, ChatUsage, OpenAITool } from "./llm.js";
export {
  executeToolCall,
  type ToolCallRequest,
  type ToolFunction,
  type ToolOptions,
  type ToolParameters,
  type ToolResultMessage,
  toOpenAITools,
  tool,
} from "./tool.js";
export {
  ApprovalRequiredError,
  CapabilityDeniedError,
  ConsentRequiredError,
  type DeniedRule,
  isPolicyDenied,
  isToolCallError,
  PolicyDeniedError,
  ToolCallError,
  type ToolErrorCode,
  ToolHttpError,
} from "./tool-errors.js";
