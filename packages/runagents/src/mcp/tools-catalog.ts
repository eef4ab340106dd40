/**
 * @module
 * MCP tools for the agent catalog. The Client has no catalog resource, so these call `/catalog`
 * through the Client's low-level verbs; `deploy_catalog_agent` builds the deploy body from the manifest
 * (api-contract §2.3.5) and POSTs it to `/deploy`.
 */

import type { Client } from "../client/client.js";
import { urlPath } from "../client/http.js";
import type { JsonObject } from "../client/types.js";
import { RunAgentsValidationError } from "../errors.js";
import { field, isObject, READ, type ToolContext, type ToolDefinition, write } from "./define.js";
import { id, input, int, str, strList } from "./schema.js";
import { toDeployOutput } from "./tools-agents.js";

export interface CatalogDeployOptions {
  /** Agent name; default: the template's `agentName`, else the manifest id. */
  name?: string;
  /** Replaces the template's `requiredTools` when it has a non-blank item. */
  tools?: readonly string[];
  /** `provider/model`, or a bare model (then `openai/` is assumed); default: the manifest's `defaultModel`. */
  model?: string;
  /** Replaces the template's `policies` when it has a non-blank item. */
  policies?: readonly string[];
  identityProvider?: string;
}

function trimmed(values: readonly unknown[] | undefined): string[] {
  return (values ?? []).map((v) => String(v).trim()).filter((v) => v !== "");
}

function templateList(template: JsonObject, key: string): string[] {
  const value = template[key];
  return Array.isArray(value) ? trimmed(value) : [];
}

/** The `POST /deploy` body for a catalog manifest (api-contract §2.3.5). */
export function buildCatalogDeployBody(manifest: JsonObject, options: CatalogDeployOptions = {}): JsonObject {
  const template = isObject(manifest.deploymentTemplate) ? manifest.deploymentTemplate : {};
  const agentName = [options.name, field(template, "agentName"), field(manifest, "id")]
    .map((v) => (v ?? "").trim())
    .find((v) => v !== "");
  if (agentName === undefined)
    throw new RunAgentsValidationError("catalog manifest is missing an agent name");

  const body: JsonObject = {
    agent_name: agentName,
    source_files: isObject(template.sourceFiles) ? template.sourceFiles : {},
  };
  const systemPrompt = (field(template, "systemPrompt") ?? "").trim();
  if (systemPrompt !== "") body.system_prompt = systemPrompt;

  const tools = trimmed(options.tools);
  const requiredTools = tools.length > 0 ? tools : templateList(template, "requiredTools");
  if (requiredTools.length > 0) body.required_tools = requiredTools;
  const policyNames = trimmed(options.policies);
  const policies = policyNames.length > 0 ? policyNames : templateList(template, "policies");
  if (policies.length > 0) body.policies = policies;

  const identityProvider =
    (options.identityProvider ?? "").trim() || (field(template, "identityProvider") ?? "").trim();
  if (identityProvider !== "") body.identity_provider = identityProvider;

  const model = (options.model ?? "").trim() || (field(manifest, "defaultModel") ?? "").trim();
  if (model !== "") {
    const full = model.includes("/") ? model : `openai/${model}`;
    const slash = full.indexOf("/");
    const provider = full.slice(0, slash).trim();
    const name = full.slice(slash + 1).trim();
    if (provider === "" || name === "") {
      throw new RunAgentsValidationError(
        `catalog deploy model must be in provider/model format; got '${model}'`,
      );
    }
    body.llm_configs = [{ provider, model: name, role: "default" }];
  }
  return body;
}

function getManifest(client: Client, agentId: string, version: string, ctx: ToolContext): Promise<unknown> {
  const query = version.trim() === "" ? undefined : { version: version.trim() };
  return client.get(urlPath`/catalog/${agentId}`, query, ctx);
}

const AGENT_ID = id("Catalog agent id, e.g. hello-world (see list_catalog_agents).");
const VERSION = str("A published version (see list_catalog_versions); the latest when omitted.");

export const CATALOG_TOOLS: ToolDefinition[] = [
  {
    name: "list_catalog_agents",
    title: "Search the agent catalog",
    description:
      "Search the catalog of ready-made agents by text and filters. Filters match any of the given values. Returns {generated_at, items: [{id, name, summary, category, tags, latest_version, required_integrations, default_policies, governance_traits, ...}], total, page, page_size}.",
    inputSchema: input({
      search: str("Full-text search over id, name, summary, tags and integrations."),
      categories: strList("Only these categories."),
      tags: strList("Only agents with one of these tags."),
      integrations: strList("Only agents that need one of these integrations."),
      governance: strList("Only agents with one of these governance traits."),
      page: int("Page number, from 1.", { default: 1, minimum: 1 }),
      page_size: int("Items per page.", { default: 24, minimum: 1, maximum: 100 }),
    }),
    annotations: READ,
    handler: (client, args, ctx) => {
      const search = args.string("search").trim();
      return client.get(
        "/catalog",
        {
          search: search === "" ? undefined : search,
          category: args.strings("categories"),
          tag: args.strings("tags"),
          integration: args.strings("integrations"),
          governance: args.strings("governance"),
          page: args.number("page"),
          page_size: args.number("page_size"),
        },
        ctx,
      );
    },
  },
  {
    name: "get_catalog_agent",
    title: "Get a catalog manifest",
    description:
      "Show a catalog agent's manifest: description, default model, required integrations, default policies, use cases, and the deployment template (agent name, system prompt, required tools, source files). Fails with HTTP 404 for an unknown id or version.",
    inputSchema: input({ agent_id: AGENT_ID, version: VERSION }, ["agent_id"]),
    annotations: READ,
    handler: (client, args, ctx) => getManifest(client, args.string("agent_id"), args.string("version"), ctx),
  },
  {
    name: "list_catalog_versions",
    title: "List a catalog agent's versions",
    description:
      "List the published versions of a catalog agent, newest first. Returns {agent_id, versions: [{version, published_at, summary, changelog}]}.",
    inputSchema: input({ agent_id: AGENT_ID }, ["agent_id"]),
    annotations: READ,
    handler: (client, args, ctx) =>
      client.get(urlPath`/catalog/${args.string("agent_id")}/versions`, undefined, ctx),
  },
  {
    name: "deploy_catalog_agent",
    title: "Deploy a catalog agent",
    description:
      "Deploy an agent straight from the catalog: reads the manifest (optionally a pinned version) and deploys its source with its system prompt, tools, policies and default model, each overridable here. Redeploying the same name updates the agent. Returns the deploy result like deploy_agent.",
    inputSchema: input(
      {
        agent_id: AGENT_ID,
        version: VERSION,
        name: str("Deploy under this agent name instead of the template's."),
        tools: strList("Tool names to use instead of the template's required tools."),
        model: str(
          'Model as "provider/model" (e.g. openai/gpt-4o-mini); a bare model name means openai. Default: the manifest\'s default model.',
        ),
        policies: strList("Policy names to bind instead of the template's."),
        identity_provider: str("Identity provider for the agent's end users instead of the template's."),
      },
      ["agent_id"],
    ),
    annotations: write({ destructive: true, idempotent: true, openWorld: true }),
    handler: async (client, args, ctx) => {
      const manifest = await getManifest(client, args.string("agent_id"), args.string("version"), ctx);
      const body = buildCatalogDeployBody(isObject(manifest) ? manifest : {}, {
        name: args.string("name"),
        tools: args.strings("tools"),
        model: args.string("model"),
        policies: args.strings("policies"),
        identityProvider: args.string("identity_provider"),
      });
      return toDeployOutput(await client.post("/deploy", body, ctx));
    },
  },
];
