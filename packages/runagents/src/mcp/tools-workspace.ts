/**
 * @module
 * MCP tools for the rest of the workspace: tools (external APIs), model providers and spend, the
 * context snapshot, the starter kit, and action plans.
 */

import type { ToolAuthType, ToolScheme } from "../client/types.js";
import { READ, type ToolDefinition, write } from "./define.js";
import { doc, id, input, int, str } from "./schema.js";
import { AUTH_TYPES, SCHEMES } from "./tools-agents.js";

const PLAN = doc(
  "The action plan: {plan_id?, continue_on_error?, actions: [{id?, type, idempotency_key, params}]}. Types: tool.upsert ({name, spec: {connection: {baseUrl}}}), model_provider.upsert ({name, spec: {provider, endpoint, models}}), policy.upsert ({name, spec}), deploy_draft.create_or_patch, deploy.execute ({agent_name, source_files | image | draft_id | artifact_id}), starter_kit.seed ({}).",
  { required: ["actions"] },
);

export const WORKSPACE_TOOLS: ToolDefinition[] = [
  {
    name: "list_tools",
    title: "List tools",
    description:
      "List the tools registered in the workspace: the external APIs agents may call through the platform, with base URL, authentication type, access mode and health. Returns {items: [...]}.",
    inputSchema: input(),
    annotations: READ,
    handler: (client, _args, ctx) => client.tools.list(ctx),
  },
  {
    name: "create_tool",
    title: "Register a tool",
    description:
      "Register an external API as a tool agents can call (or update the tool with the same name). The platform injects its credentials on each call, so agents never see them; calls are still subject to the agent's policies. Returns the saved tool.",
    inputSchema: input(
      {
        name: id("Tool name (lowercase letters, digits, '-'); agents call the tool by this name."),
        base_url: id("Base URL of the API, e.g. https://api.github.com."),
        description: str("What the API does.", { default: "" }),
        auth_type: str("How the platform authenticates to the API.", { enum: AUTH_TYPES, default: "None" }),
        port: int("Port of the API.", { default: 443, minimum: 1, maximum: 65535 }),
        scheme: str("URL scheme.", { enum: SCHEMES, default: "HTTPS" }),
      },
      ["name", "base_url"],
    ),
    annotations: write({ destructive: true, idempotent: true }),
    handler: (client, args, ctx) =>
      client.tools.create(
        {
          name: args.string("name"),
          baseUrl: args.string("base_url"),
          description: args.string("description"),
          authType: args.string("auth_type") as ToolAuthType,
          port: args.number("port"),
          scheme: args.string("scheme") as ToolScheme,
        },
        ctx,
      ),
  },
  {
    name: "list_models",
    title: "List model providers",
    description:
      "List the model providers agents' LLM calls are routed to (through the platform's gateway), with their models and status. Returns {items: [{name, namespace, provider, models, status, endpoint}]}.",
    inputSchema: input(),
    annotations: READ,
    handler: (client, _args, ctx) => client.models.list(ctx),
  },
  {
    name: "get_model_spend",
    title: "Get model spend",
    description:
      "Show this month's model spend across the workspace: totals, per-agent and per-model usage against budgets, budget warnings and the top models.",
    inputSchema: input(),
    annotations: READ,
    handler: (client, _args, ctx) => client.modelSpend.get(ctx),
  },
  {
    name: "export_context",
    title: "Export the workspace context",
    description:
      "Export a snapshot of the whole workspace in one call: agents, tools, model providers, policies, identity providers, approval connectors, approval requests and deploy drafts, with counts. A good first call to understand a workspace. Returns {generated_at, namespace, resources: {...}, meta: {...}, errors?}.",
    inputSchema: input(),
    annotations: READ,
    handler: (client, _args, ctx) => client.exportContext(ctx),
  },
  {
    name: "seed_starter_kit",
    title: "Seed the starter kit",
    description:
      'Create the starter resources when they are missing: the echo-tool tool (echoes a POSTed {"message"}) and the playground-llm model provider, enough to deploy and try a first agent. Safe to call again. Returns {tools_created, model_providers_created, message, ...}.',
    inputSchema: input(),
    annotations: write({ destructive: false, idempotent: true }),
    handler: (client, _args, ctx) => client.seedStarterKit(ctx),
  },
  {
    name: "validate_plan",
    title: "Validate an action plan",
    description:
      "Check an action plan (a batch of upserts and deploys) without changing anything: schema, duplicate idempotency keys and per-action readiness. Run it before apply_plan. Returns {plan_id, valid, results: [{id, type, idempotency_key, valid, errors, warnings, resource_ref}]}.",
    inputSchema: input({ plan: PLAN }, ["plan"]),
    annotations: READ,
    handler: (client, args, ctx) => client.post("/actions/validate", args.object("plan"), ctx),
  },
  {
    name: "apply_plan",
    title: "Apply an action plan",
    description:
      "Apply an action plan: validates it, then runs its actions in order (stopping at the first failure unless continue_on_error). Actions with an idempotency key already applied are skipped. An invalid plan fails with HTTP 400 whose detail lists every action's problems. Returns {plan_id, applied, applied_count, failed_count, results: [{id, type, status: applied | failed | skipped, resource_ref, error, output}]}.",
    inputSchema: input({ plan: PLAN }, ["plan"]),
    annotations: write({ destructive: true, idempotent: true }),
    handler: (client, args, ctx) => client.post("/actions/apply", args.object("plan"), ctx),
  },
];
