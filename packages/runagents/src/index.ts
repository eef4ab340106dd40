/**
 * @module
 * Public API of the `runagents` package: the platform `Client` and, from `./agent`, the `Agent`
 * helper and `tool()` that agent code uses. Everything exported here is public and covered by semver;
 * `test/package.test.ts` pins the list of runtime exports. Nothing here imports node:http or
 * node:child_process.
 */

export {
  Agent,
  type AgentOptions,
  ApprovalRequired,
  ApprovalRequiredError,
  type CallToolOptions,
  CapabilityDeniedError,
  type ChatCompletion,
  type ChatMessage,
  type ChatOptions,
  type ChatToolCall,
  type ChatUsage,
  ConsentRequired,
  ConsentRequiredError,
  type DeniedRule,
  executeToolCall,
  type HandlerRequest,
  isApprovalRequired,
  isConsentRequired,
  isPolicyDenied,
  isToolCallError,
  LLMGatewayError,
  type OpenAITool,
  PolicyDeniedError,
  type ResumeInfo,
  type RunContext,
  type Session,
  ToolCallError,
  type ToolCallRequest,
  type ToolErrorCode,
  type ToolFunction,
  ToolHttpError,
  ToolNotConfigured,
  type ToolOptions,
  type ToolParameters,
  type ToolResultMessage,
  ToolUnreachable,
  toOpenAITools,
  tool,
} from "./agent/index.js";
export type { AuditEventLine, AuditHeadLine, AuditLine } from "./audit/chain.js";
export type { ActionsResource } from "./client/actions.js";
export type { AgentsResource, InvokeOptions } from "./client/agents.js";
export type {
  ApiKey,
  ApiKeyInput,
  ApiKeyRole,
  ApiKeysResource,
  CreatedApiKey,
} from "./client/api-keys.js";
export type { ApprovalsResource } from "./client/approvals.js";
export type { AuditExportOptions, AuditResource } from "./client/audit.js";
export { Client, type ClientOptions } from "./client/client.js";
export type { ApprovalConnectorsResource } from "./client/connectors.js";
export type {
  Consent,
  ConsentListOptions,
  ConsentStatus,
  ConsentsResource,
  OAuthTokenDeleteResult,
  OAuthTokenInput,
  OAuthTokenResult,
  OAuthTokensResource,
} from "./client/consents.js";
export type {
  ActionPlan,
  ActionPlanApplyResponse,
  ActionPlanValidationResponse,
  ActionType,
  ApprovalConnector,
  ApprovalConnectorActivity,
  ApprovalConnectorDefaults,
  ApprovalConnectorDefaultsInput,
  ApprovalConnectorTestResult,
  ApprovalRequest,
  ApprovalRule,
  ApprovalScope,
  ApproveInput,
  IdentityProvider,
  Policy,
  PolicyRule,
  Run,
  RunEvent,
  RunEventsOptions,
  RunExport,
  RunListOptions,
  RunStatus,
  RunTimelineEntry,
  RunWaitOptions,
} from "./client/governance-types.js";
export { RUN_STATUSES } from "./client/governance-types.js";
export { type CallOptions, type FetchLike, normalizeEndpoint, type Query } from "./client/http.js";
export type { IdentityProvidersResource } from "./client/identity-providers.js";
export type { ModelSpendResource, ModelsResource } from "./client/models.js";
export type { PoliciesResource } from "./client/policies.js";
export type { RunsResource } from "./client/runs.js";
export type { ToolsResource } from "./client/tools.js";
export type {
  /** The platform's view of a deployed agent (`client.agents.get`); `Agent` is the helper class. */
  Agent as AgentInfo,
  AgentConfig,
  AgentConfigLLM,
  AgentConfigUpdate,
  AgentLogEvent,
  AgentModelUsage,
  AnalysisResult,
  DeleteResult,
  DeployInput,
  DeployLlmConfig,
  DeployResult,
  DeployToolToCreate,
  InvokeInput,
  InvokeResult,
  InvokeStreamEvent,
  JsonObject,
  ModelProvider,
  ModelProviderInput,
  ModelSpendItem,
  ModelSpendResponse,
  ModelSpendSummary,
  ProbeResult,
  Tool,
  ToolAuthType,
  ToolCapability,
  ToolCreateInput,
  ToolScheme,
} from "./client/types.js";
export {
  type AssistantMode,
  type ConfigLocation,
  configPath,
  DEFAULT_CONFIG,
  loadConfig,
  type RunAgentsConfig,
  saveConfig,
} from "./config.js";
export {
  APIError,
  ConfigError,
  RunAgentsConnectionError,
  RunAgentsError,
  type RunAgentsErrorCode,
  RunAgentsTimeoutError,
  RunAgentsValidationError,
} from "./errors.js";
