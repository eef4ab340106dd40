/**
 * @module
 * MCP tools for agents: list, get, config, deploy, invoke, logs, and source analysis.
 */

import { buildDeployBody } from "../client/agents.js";
import { urlPath } from "../client/http.js";
import { toDeployResult } from "../client/parse.js";
import type {
  AgentConfigLLM,
  AgentConfigUpdate,
  DeployInput,
  DeployLlmConfig,
  DeployResult,
  DeployToolToCreate,
  JsonObject,
  ToolAuthType,
  ToolScheme,
} from "../client/types.js";
import { field, numberField, READ, type ToolArgs, type ToolDefinition, write } from "./define.js";
import { doc, id, input, int, list, str, strList, strMap } from "./schema.js";

export const AUTH_TYPES = ["None", "APIKey", "OAuth2"] as const;
export const SCHEMES = ["HTTPS", "HTTP"] as const;

const TOOL_TO_CREATE = doc("A tool to register (or update) before the agent is deployed.", {
  properties: {
    name: str("Tool name, as the agent's code refers to it."),
    base_url: str("Base URL of the external API, e.g. https://api.stripe.com."),
    description: str("What the API is for."),
    auth_type: str("How the platform authenticates to the API.", { enum: AUTH_TYPES }),
    port: int("Port; defaults from the scheme.", { minimum: 1, maximum: 65535 }),
    scheme: str("URL scheme.", { enum: SCHEMES }),
  },
  required: ["name", "base_url"],
});

const LLM_CONFIG = doc("One model the agent uses.", {
  properties: {
    provider: str("Provider kind, e.g. openai or anthropic."),
    model: str("Model name, e.g. gpt-4o-mini."),
    role: str('Which of the agent\'s models this is, e.g. "default".'),
    model_provider: str("Name of the registered model provider to route through."),
    monthly_budget_usd: { type: "number", description: "Monthly spend cap in USD.", minimum: 0 },
  },
  required: ["provider", "model"],
});

/** The typed deploy result, plus the platform's `warnings` (missing tools, policies, ...) when sent. */
export function toDeployOutput(raw: unknown): DeployResult & { warnings?: unknown[] } {
  const result: DeployResult & { warnings?: unknown[] } = toDeployResult(raw);
  const warnings = (raw as JsonObject | null)?.warnings;
  if (Array.isArray(warnings) && warnings.length > 0) result.warnings = warnings;
  return result;
}

function toLlmConfig(item: JsonObject): DeployLlmConfig {
  const config: DeployLlmConfig = {
    provider: field(item, "provider") ?? "",
    model: field(item, "model") ?? "",
  };
  const role = field(item, "role");
  const modelProvider = field(item, "model_provider");
  const budget = numberField(item, "monthly_budget_usd");
  if (role !== undefined) config.role = role;
  if (modelProvider !== undefined) config.modelProvider = modelProvider;
  if (budget !== undefined) config.monthlyBudgetUsd = budget;
  return config;
}

function toToolToCreate(item: JsonObject): DeployToolToCreate {
  const tool: DeployToolToCreate = {
    name: field(item, "name") ?? "",
    baseUrl: field(item, "base_url") ?? "",
  };
  const description = field(item, "description");
  const port = numberField(item, "port");
  if (description !== undefined) tool.description = description;
  if (item.auth_type !== undefined) tool.authType = item.auth_type as ToolAuthType;
  if (port !== undefined) tool.port = port;
  if (item.scheme !== undefined) tool.scheme = item.scheme as ToolScheme;
  return tool;
}

function deployInput(args: ToolArgs): DeployInput {
  return {
    name: args.string("agent_name"),
    sourceFiles: args.stringMap("source_files"),
    image: args.string("image"),
    systemPrompt: args.string("system_prompt"),
    requiredTools: args.strings("required_tools"),
    toolsToCreate: args.objects("tools_to_create")?.map(toToolToCreate),
    llmConfigs: args.objects("llm_configs")?.map(toLlmConfig),
    requirements: args.string("requirements"),
    entryPoint: args.string("entry_point"),
    framework: args.string("framework"),
    policies: args.strings("policies"),
    identityProvider: args.string("identity_provider"),
    draftId: args.string("draft_id"),
    artifactId: args.string("artifact_id"),
  };
}

function toConfigLlm(item: JsonObject): Partial<AgentConfigLLM> {
  const out: Partial<AgentConfigLLM> = {};
  for (const [key, name] of [
    ["role", "role"],
    ["provider", "provider"],
    ["model", "model"],
    ["model_provider", "modelProvider"],
  ] as const) {
    const value = field(item, key);
    if (value !== undefined) out[name] = value;
  }
  const budget = numberField(item, "monthly_budget_usd");
  if (budget !== undefined) out.monthlyBudgetUsd = budget;
  return out;
}

const AGENT_NAME = id("The agent's name.");

export const AGENT_TOOLS: ToolDefinition[] = [
  {
    name: "list_agents",
    title: "List agents",
    description:
      "List every agent deployed in the workspace. Returns {items: [{name, namespace, status (Pending | Running | Failed), image, requiredTools, systemPrompt, createdAt}]}.",
    inputSchema: input(),
    annotations: READ,
    handler: (client, _args, ctx) => client.agents.list(ctx),
  },
  {
    name: "get_agent",
    title: "Get an agent",
    description:
      "Show one deployed agent: status, image, the tools it requires and its system prompt. Fails with HTTP 404 when no agent has that name.",
    inputSchema: input({ name: AGENT_NAME }, ["name"]),
    annotations: READ,
    handler: (client, args, ctx) => client.agents.get(args.string("name"), ctx),
  },
  {
    name: "get_agent_config",
    title: "Get an agent's configuration",
    description:
      "Show an agent's editable configuration (system prompt, identity provider, models with their monthly budgets, required tools, policies) together with each model's spend this month.",
    inputSchema: input({ name: AGENT_NAME }, ["name"]),
    annotations: READ,
    handler: (client, args, ctx) => client.agents.getConfig(args.string("name"), ctx),
  },
  {
    name: "update_agent_config",
    title: "Update an agent's configuration",
    description:
      "Change part of an agent's configuration without redeploying it. Only the keys given in `config` change; at least one is required. Returns the updated configuration.",
    inputSchema: input(
      {
        name: AGENT_NAME,
        config: doc("The fields to change.", {
          properties: {
            system_prompt: str("New system prompt."),
            identity_provider: str("Identity provider that authenticates the agent's end users."),
            llm_configs: list("Replacement model list.", LLM_CONFIG),
            required_tools: strList("Replacement list of tool names the agent may call."),
            policies: strList("Replacement list of policy names bound to the agent."),
          },
          additionalProperties: false,
        }),
      },
      ["name", "config"],
    ),
    annotations: write({ destructive: true, idempotent: true }),
    handler: (client, args, ctx) => {
      const config = args.object("config") ?? {};
      const update: AgentConfigUpdate = {};
      if (typeof config.system_prompt === "string") update.systemPrompt = config.system_prompt;
      if (typeof config.identity_provider === "string") update.identityProvider = config.identity_provider;
      if (Array.isArray(config.llm_configs))
        update.llmConfigs = (config.llm_configs as JsonObject[]).map(toConfigLlm);
      if (Array.isArray(config.required_tools)) update.requiredTools = config.required_tools.map(String);
      if (Array.isArray(config.policies)) update.policies = config.policies.map(String);
      return client.agents.updateConfig(args.string("name"), update, ctx);
    },
  },
  {
    name: "deploy_agent",
    title: "Deploy an agent",
    description:
      "Deploy an agent, or redeploy one with the same name (its configuration is replaced). Give exactly one source: source_files (file path -> file content; requirements, entry_point and framework only apply to this source), image, draft_id or artifact_id. Tools the agent calls must be registered (create_tool, or tools_to_create here) and allowed by a policy bound to the agent, otherwise its calls are denied. Returns {agentName, namespace, status (created | updated), message, toolsCreated, executionMode, buildRequired, ..., warnings?}.",
    inputSchema: input(
      {
        agent_name: id("Name of the agent to create or update (lowercase letters, digits, '-')."),
        source_files: strMap('Agent source: file path -> file content, e.g. {"agent.ts": "..."}.'),
        image: str("A prebuilt container image to run instead of source files."),
        system_prompt: str("The agent's system prompt."),
        required_tools: strList("Names of registered tools the agent may call."),
        tools_to_create: list("Tools to register (or update) as part of this deploy.", TOOL_TO_CREATE),
        llm_configs: list(
          'Models the agent uses, e.g. [{"provider": "openai", "model": "gpt-4o-mini", "role": "default"}].',
          LLM_CONFIG,
        ),
        requirements: str("Dependency list for source_files (package names, one per line)."),
        entry_point: str("The file that starts the agent (source_files only); detected when omitted."),
        framework: str("The agent framework (source_files only); detected when omitted."),
        policies: strList("Names of policies to bind to the agent."),
        identity_provider: str("Identity provider that authenticates the agent's end users."),
        draft_id: str("Deploy from this deploy draft."),
        artifact_id: str("Deploy from this stored workflow artifact."),
      },
      ["agent_name"],
    ),
    annotations: write({ destructive: true, idempotent: true, openWorld: true }),
    handler: async (client, args, ctx) =>
      toDeployOutput(await client.post("/deploy", buildDeployBody(deployInput(args)), ctx)),
  },
  {
    name: "invoke_agent",
    title: "Invoke an agent",
    description:
      "Send a message to a deployed agent and wait for its answer. Creates a run (see list_runs / get_run_timeline); when a tool call needs approval the answer says so and the run pauses until approve_request (list_approval_requests with status PENDING finds the request). Returns {response, runId?, raw} where raw is the agent's whole reply.",
    inputSchema: input(
      {
        name: AGENT_NAME,
        message: str("The user message to send."),
        conversation_id: str("Continue this conversation (runs with the same id share history)."),
      },
      ["name", "message"],
    ),
    annotations: write({ destructive: false, idempotent: false, openWorld: true }),
    handler: (client, args, ctx) => {
      const conversationId = args.string("conversation_id");
      return client.agents.invoke(
        args.string("name"),
        conversationId === ""
          ? { message: args.string("message") }
          : { message: args.string("message"), conversationId },
        ctx,
      );
    },
  },
  {
    name: "get_agent_logs",
    title: "Get an agent's logs",
    description:
      "Show the last lines an agent's process printed (stdout and stderr), to diagnose a failing or crashing agent. Fails with HTTP 404 when the agent does not exist or the platform does not serve logs.",
    inputSchema: input(
      {
        name: AGENT_NAME,
        tail: int("How many of the most recent lines to return.", {
          default: 100,
          minimum: 1,
          maximum: 10000,
        }),
      },
      ["name"],
    ),
    annotations: READ,
    handler: (client, args, ctx) =>
      client.get(urlPath`/agents/${args.string("name")}/logs`, { tail: args.number("tail") }, ctx),
  },
  {
    name: "analyze_code",
    title: "Analyze agent code",
    description:
      "Analyze agent source files before deploying: detects the external APIs the code calls (candidate tools), the models it uses, hard-coded secrets, requirements and the entry point. Changes nothing. Returns {framework, tools, modelProviders, modelUsages, secrets, detectedRequirements, entryPoint, ...}.",
    inputSchema: input({ files: strMap("Source files: file path -> file content.") }, ["files"]),
    annotations: READ,
    handler: (client, args, ctx) => client.analyze(args.stringMap("files") ?? {}, ctx),
  },
];
