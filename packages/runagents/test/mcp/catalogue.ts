/**
 * The tool catalogue the MCP server must expose, written out independently of the implementation:
 * api-contract §4.2 (43 tools) plus invoke_agent, get_agent_logs, evaluate_policy, list_approval_requests and
 * list_consents. Parameters are
 * listed in schema order; `*` marks a required one.
 */

export const PARAMETERS: Record<string, string> = {
  list_agents: "",
  get_agent: "name*",
  get_agent_config: "name*",
  list_tools: "",
  list_models: "",
  get_model_spend: "",
  list_runs: "agent status user conversation limit",
  get_run: "run_id*",
  get_run_events: "run_id* event_type limit",
  get_run_timeline: "run_id*",
  wait_for_run: "run_id* timeout_seconds interval_seconds",
  export_run: "run_id*",
  list_catalog_agents: "search categories tags integrations governance page page_size",
  get_catalog_agent: "agent_id* version",
  list_catalog_versions: "agent_id*",
  list_policies: "",
  get_policy: "name*",
  translate_policy: "text*",
  list_approval_connectors: "",
  get_approval_connector: "connector_id*",
  get_approval_connector_defaults: "",
  list_approval_connector_activity: "limit",
  list_identity_providers: "",
  get_identity_provider: "name*",
  export_context: "",
  analyze_code: "files*",
  deploy_agent:
    "agent_name* source_files image system_prompt required_tools tools_to_create llm_configs requirements entry_point framework policies identity_provider draft_id artifact_id",
  deploy_catalog_agent: "agent_id* version name tools model policies identity_provider",
  create_tool: "name* base_url* description auth_type port scheme",
  validate_plan: "plan*",
  apply_plan: "plan*",
  update_agent_config: "name* config*",
  list_approval_requests: "status",
  list_consents: "status",
  approve_request: "request_id* scope duration reason",
  reject_request: "request_id* reason",
  apply_policy: "policy* name",
  delete_policy: "name*",
  apply_approval_connector: "connector*",
  apply_identity_provider: "identity_provider* name",
  delete_identity_provider: "name*",
  delete_approval_connector: "connector_id*",
  test_approval_connector: "connector_id*",
  set_approval_connector_defaults: "delivery_mode fallback_to_ui timeout_seconds",
  seed_starter_kit: "",
  invoke_agent: "name* message* conversation_id",
  get_agent_logs: "name* tail",
  evaluate_policy: "agent* method* url*",
};

/** Tools that change nothing (the 26 read tools of §4.2, validate_plan, get_agent_logs, evaluate_policy, list_approval_requests, list_consents). */
export const READ_ONLY = [
  "analyze_code",
  "evaluate_policy",
  "export_context",
  "export_run",
  "get_agent",
  "get_agent_config",
  "get_agent_logs",
  "get_approval_connector",
  "get_approval_connector_defaults",
  "get_catalog_agent",
  "get_identity_provider",
  "get_model_spend",
  "get_policy",
  "get_run",
  "get_run_events",
  "get_run_timeline",
  "list_agents",
  "list_approval_connector_activity",
  "list_approval_connectors",
  "list_approval_requests",
  "list_catalog_agents",
  "list_catalog_versions",
  "list_consents",
  "list_identity_providers",
  "list_models",
  "list_policies",
  "list_runs",
  "list_tools",
  "translate_policy",
  "validate_plan",
  "wait_for_run",
];

/** Mutating tools that may overwrite or delete existing state. */
export const DESTRUCTIVE = [
  "apply_approval_connector",
  "apply_identity_provider",
  "apply_plan",
  "apply_policy",
  "create_tool",
  "delete_approval_connector",
  "delete_identity_provider",
  "delete_policy",
  "deploy_agent",
  "deploy_catalog_agent",
  "set_approval_connector_defaults",
  "update_agent_config",
];

/** Tools that reach beyond the platform: agent code, or a connector's real endpoint. */
export const OPEN_WORLD = ["deploy_agent", "deploy_catalog_agent", "invoke_agent", "test_approval_connector"];

/** Tools whose repetition has a further effect (another invocation, message or decision attempt). */
export const NOT_IDEMPOTENT = [
  "approve_request",
  "invoke_agent",
  "reject_request",
  "test_approval_connector",
];

/** Every declared default, as `tool.parameter`. */
export const DEFAULTS: Record<string, unknown> = {
  "create_tool.auth_type": "None",
  "create_tool.description": "",
  "create_tool.port": 443,
  "create_tool.scheme": "HTTPS",
  "get_agent_logs.tail": 100,
  "get_run_events.limit": 0,
  "list_approval_connector_activity.limit": 50,
  "list_catalog_agents.page": 1,
  "list_catalog_agents.page_size": 24,
  "list_runs.limit": 20,
  "wait_for_run.interval_seconds": 2,
  "wait_for_run.timeout_seconds": 300,
};

/** A listed tool, as the MCP SDK's Client returns it. */
export interface ListedTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema: { type: string; properties?: Record<string, object>; required?: string[] };
  annotations?: Record<string, unknown>;
}

/** Check a `tools/list` answer against the catalogue above; returns every mismatch. */
export function catalogueProblems(tools: readonly ListedTool[]): string[] {
  const problems: string[] = [];
  const defaults: Record<string, unknown> = {};
  for (const tool of tools) {
    const expected = PARAMETERS[tool.name];
    if (expected === undefined) {
      problems.push(`unexpected tool ${tool.name}`);
      continue;
    }
    const properties = tool.inputSchema.properties ?? {};
    const required = new Set(tool.inputSchema.required ?? []);
    const params = Object.keys(properties)
      .map((name) => (required.has(name) ? `${name}*` : name))
      .join(" ");
    if (params !== expected) problems.push(`${tool.name}: parameters "${params}", expected "${expected}"`);
    if (tool.inputSchema.type !== "object") problems.push(`${tool.name}: input schema is not an object`);
    if ((tool.description ?? "").length < 40) problems.push(`${tool.name}: description too short`);
    if (!tool.title) problems.push(`${tool.name}: no title`);
    for (const [name, schema] of Object.entries(properties) as [string, Record<string, unknown>][]) {
      if (typeof schema.description !== "string" || schema.description.length < 5) {
        problems.push(`${tool.name}.${name}: no description`);
      }
      if (typeof schema.type !== "string") problems.push(`${tool.name}.${name}: no type`);
      if (schema.default !== undefined) defaults[`${tool.name}.${name}`] = schema.default;
    }
    const hints = tool.annotations ?? {};
    const want = {
      readOnlyHint: READ_ONLY.includes(tool.name),
      destructiveHint: DESTRUCTIVE.includes(tool.name),
      idempotentHint: !NOT_IDEMPOTENT.includes(tool.name),
      openWorldHint: OPEN_WORLD.includes(tool.name),
    };
    for (const [hint, value] of Object.entries(want)) {
      if (hints[hint] !== value || typeof hints[hint] !== "boolean") {
        problems.push(`${tool.name}: ${hint} is ${String(hints[hint])}, expected ${String(value)}`);
      }
    }
  }
  const names = tools.map((t) => t.name).sort();
  const missing = Object.keys(PARAMETERS).filter((name) => !names.includes(name));
  if (missing.length > 0) problems.push(`missing tools: ${missing.join(", ")}`);
  if (new Set(names).size !== names.length) problems.push("duplicate tool names");
  const sorted = (o: Record<string, unknown>) =>
    JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  if (sorted(defaults) !== sorted(DEFAULTS)) problems.push(`defaults ${sorted(defaults)}`);
  return problems;
}
