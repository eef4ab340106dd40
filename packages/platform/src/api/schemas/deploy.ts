/**
 * @module api/schemas/deploy
 * Deploys and their previews, deploy drafts, source analysis, the catalog, action plans and the
 * starter kit.
 */
import { ACTION_TYPES } from "../../governance/action-plan.js";
import {
  array,
  boolean,
  component,
  integer,
  object,
  oneOf,
  optional,
  type RouteSchema,
  record,
  string,
  text,
} from "../schema.js";
import { Deleted, Json, stamps } from "./common.js";

export const DRAFT_STATUSES = ["IN_PROGRESS", "COMPLETED", "ABANDONED"] as const;
export const MAX_PAGE_SIZE = 100;

const SourceFiles = record(string({ description: "File content" }));

const ExecutionPlan = {
  execution_mode: string(),
  build_required: boolean(),
  build_profile: string(),
  decision_reason: string(),
  execution_kind: string(),
  support_level: string(),
};

const DeployInput = component(
  "DeployRequest",
  object({
    agent_name: text({ description: "DNS label: lowercase letters, digits and '-'" }),
    source_files: optional(SourceFiles),
    image: optional(string()),
    draft_id: optional(string()),
    artifact_id: optional(string()),
    system_prompt: optional(string()),
    required_tools: optional(array(string())),
    tool_url_mappings: optional(record(string())),
    tools_to_create: optional(array(Json)),
    llm_configs: optional(array(Json)),
    env: optional(record(string())),
    policies: optional(array(string())),
    identity_provider: optional(string()),
    requirements: optional(string()),
    entry_point: optional(string()),
    framework: optional(string()),
  }),
);

const DeployResult = component(
  "DeployResult",
  object({
    agent: string(),
    agent_name: string(),
    namespace: string(),
    status: oneOf(["created", "updated"]),
    phase: string(),
    tools_created: array(string()),
    tools_updated: array(string()),
    message: string(),
    ...ExecutionPlan,
    entry_point: string(),
    version: integer(),
    warnings: array(string()),
  }),
);

const DeployPreview = component(
  "DeployPreview",
  object({
    user_state: string(),
    state_label: string(),
    eta_range: string(),
    confidence: oneOf(["high", "medium"]),
    short_reason: string(),
    advanced_details: object(ExecutionPlan),
    warnings: array(string()),
  }),
);

const DeployDraft = component(
  "DeployDraft",
  object({
    id: string(),
    namespace: string(),
    user_id: string(),
    status: oneOf(DRAFT_STATUSES),
    step: string(),
    artifact_id: string(),
    source_type: string(),
    runtime_family: string(),
    adapter: string(),
    policies: array(string()),
    required_tool_names: array(string()),
    recommended_tool_names: array(string()),
    tool_mappings: Json,
    tool_states: Json,
    model_mappings: Json,
    agent_config: Json,
    version: integer(),
    ...stamps,
  }),
);

const draftFields = {
  step: optional(string()),
  artifact_id: optional(string()),
  source_type: optional(string()),
  runtime_family: optional(string()),
  adapter: optional(string()),
  policies: optional(array(string())),
  required_tool_names: optional(array(string())),
  recommended_tool_names: optional(array(string())),
  tool_mappings: optional(Json),
  tool_states: optional(Json),
  model_mappings: optional(Json),
  agent_config: optional(Json),
};

const Analysis = component(
  "Analysis",
  object({
    id: optional(string({ description: "Set by POST /analyze; GET /analysis/{id} reads it back" })),
    framework: string(),
    runtime_family: string(),
    adapter: string(),
    tools: array(Json),
    model_providers: array(Json),
    model_usages: array(Json),
    secrets: array(Json),
    outbound_destinations: array(string()),
    detected_requirements: array(string()),
    entry_point: string(),
    system_prompt_suggestion: string(),
  }),
);

const CatalogItem = component(
  "CatalogItem",
  object({
    id: string(),
    name: string(),
    summary: string(),
    description: string(),
    category: string(),
    tags: array(string()),
    latest_version: string(),
    required_integrations: array(string()),
    default_policies: array(string()),
    governance_traits: array(string()),
    complexity: string(),
    metadata: Json,
  }),
);

const PlanAction = object({
  id: optional(string()),
  type: oneOf(ACTION_TYPES),
  idempotency_key: optional(string()),
  params: optional(Json),
});

const ActionPlan = component(
  "ActionPlan",
  object({
    plan_id: optional(string()),
    continue_on_error: optional(boolean()),
    actions: array(PlanAction),
  }),
);

const resultHead = { id: string(), type: string(), idempotency_key: string() };

const PlanValidation = component(
  "ActionPlanValidation",
  object({
    plan_id: string(),
    namespace: string(),
    valid: boolean(),
    results: array(
      object({
        ...resultHead,
        valid: boolean(),
        errors: array(string()),
        warnings: array(string()),
        resource_ref: string({ description: "The resource the action touches, e.g. /tools/<name>" }),
      }),
    ),
  }),
);

const PlanApply = component(
  "ActionPlanApply",
  object({
    plan_id: string(),
    namespace: string(),
    applied: boolean(),
    applied_count: integer(),
    failed_count: integer(),
    results: array(
      object({
        ...resultHead,
        status: string({ description: "applied, failed, skipped or replayed" }),
        resource_ref: string({ description: "The resource the action touches, e.g. /tools/<name>" }),
        error: optional(string()),
        output: optional(Json),
      }),
    ),
  }),
);

const StarterKit = component(
  "StarterKitResult",
  object({
    tools_created: array(string()),
    model_providers_created: array(string()),
    tool_created: optional(string({ description: 'The first tool created, or ""' })),
    model_provider_created: optional(string({ description: 'The first model provider created, or ""' })),
    message: optional(string()),
  }),
);

export const DEPLOY_ROUTES = {
  deploy: { body: DeployInput, bodyParsedByHandler: true, responses: { 201: DeployResult } },
  preview: { body: DeployInput, bodyParsedByHandler: true, responses: { 200: DeployPreview } },
} satisfies Record<string, RouteSchema>;

export const DRAFT_ROUTES = {
  list: {
    query: object({
      status: optional(
        string({
          description: `Comma-separated: ${DRAFT_STATUSES.join(", ")}, or all (default IN_PROGRESS)`,
        }),
      ),
      mine: optional(
        oneOf(["1", "0", "true", "false"], { description: "Only the caller's drafts (default 1)" }),
      ),
    }),
    queryParsedByHandler: true,
    responses: { 200: array(DeployDraft) },
  },
  create: {
    body: object({ id: optional(string()), ...draftFields }),
    bodyParsedByHandler: true,
    responses: { 201: DeployDraft },
  },
  get: { responses: { 200: DeployDraft } },
  patch: {
    body: object({
      expected_version: optional(integer()),
      status: optional(oneOf(DRAFT_STATUSES)),
      ...draftFields,
    }),
    bodyParsedByHandler: true,
    responses: { 200: DeployDraft },
  },
  delete: { responses: { 200: Deleted } },
  finish: {
    body: object({ expected_version: optional(integer()) }),
    bodyParsedByHandler: true,
    responses: { 200: DeployDraft },
  },
} satisfies Record<string, RouteSchema>;

export const ANALYZE_ROUTES = {
  analyze: { body: object({ files: SourceFiles }), bodyParsedByHandler: true, responses: { 201: Analysis } },
  get: { responses: { 200: Analysis } },
  requirements: {
    body: object({ files: SourceFiles }),
    bodyParsedByHandler: true,
    responses: { 200: object({ requirements: array(string()), entry_point: string() }) },
  },
} satisfies Record<string, RouteSchema>;

export const CATALOG_ROUTES = {
  list: {
    query: object({
      search: optional(string()),
      category: optional(string({ description: "Repeatable" })),
      tag: optional(string({ description: "Repeatable" })),
      integration: optional(string({ description: "Repeatable" })),
      governance: optional(string({ description: "Repeatable" })),
      page: optional(integer({ minimum: 1 })),
      page_size: optional(integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: "24 by default" })),
    }),
    queryParsedByHandler: true,
    responses: {
      200: object({
        generated_at: string(),
        items: array(CatalogItem),
        total: integer(),
        page: integer(),
        page_size: integer(),
      }),
    },
  },
  get: {
    query: object({
      version: optional(string({ description: "A published version; the latest by default" })),
    }),
    responses: {
      200: component("CatalogManifest", object({ id: string(), name: string(), version: string() })),
    },
  },
  versions: {
    responses: {
      200: object({
        agent_id: string(),
        versions: array(
          object({
            version: string(),
            published_at: string(),
            summary: string(),
            changelog: optional(string()),
          }),
        ),
      }),
    },
  },
} satisfies Record<string, RouteSchema>;

export const ACTION_ROUTES = {
  validate: { body: ActionPlan, bodyParsedByHandler: true, responses: { 200: PlanValidation } },
  apply: { body: ActionPlan, bodyParsedByHandler: true, responses: { 200: PlanApply } },
} satisfies Record<string, RouteSchema>;

export const STARTER_KIT_ROUTES = {
  seed: { responses: { 201: StarterKit, 200: StarterKit } },
} satisfies Record<string, RouteSchema>;
