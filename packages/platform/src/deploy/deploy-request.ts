/**
 * @module deploy/deploy-request
 * Validation of the `POST /deploy` (and `/deploy/preview`) body: every field is checked before
 * anything is written, and each failure is a 400 naming the field.
 *
 * Rules beyond the field types:
 * - exactly one source among `source_files` (a non-empty object; `{}` counts as absent), `image`,
 *   `draft_id`, `artifact_id`; `requirements`, `entry_point` and `framework` only with
 *   `source_files`, and an explicit `entry_point` must be one of the files;
 * - `llm_configs[].role` defaults to `default` and must be unique per agent (it names the
 *   `LLM_MODEL_<ROLE>` variable); `monthly_budget_usd` is a number >= 0 or null;
 * - `env` names are environment-variable names, unique, and not one the platform sets itself
 *   (gateway and tool URLs, identity, `RUNAGENTS_*` except `RUNAGENTS_OUTBOUND_MODE` and
 *   `RUNAGENTS_USER_CODE_DIR`, model-provider keys: an agent never holds a model or tool key);
 *   values are plain configuration (numbers and booleans are turned into strings);
 * - names in `required_tools`, `policies`, `tools_to_create` and `identity_provider` follow the
 *   resource-name rule; they need not exist yet (see the deploy response's `warnings`).
 */

import { HttpError } from "../errors.js";
import type { AgentLlmConfig } from "../gateway/spend.js";
import { checkAgentName, checkName, isObject, type Obj, optionalString } from "../validate.js";
import { validateSourceFiles } from "./analyze.js";

export type DeploySource =
  | { type: "source_files"; files: Record<string, string> }
  | { type: "image"; image: string }
  | { type: "draft"; draftId: string }
  | { type: "artifact"; artifactId: string };

export interface EnvVar {
  name: string;
  value: string;
}

export interface DeployRequest {
  agentName: string;
  source: DeploySource;
  requirements: string;
  entryPoint: string;
  framework: string;
  systemPrompt: string;
  requiredTools: string[];
  toolUrlMappings: Record<string, string>;
  /** Raw tool bodies (flat or nested), already checked by the caller's `checkTool`. */
  toolsToCreate: Obj[];
  llmConfigs: AgentLlmConfig[];
  env: EnvVar[];
  policies: string[];
  identityProvider: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
const ROLE = /^[a-z][a-z0-9_-]{0,62}$/;
const RESERVED_ENV = new Set([
  "AGENT_NAME",
  "SYSTEM_PROMPT",
  "LLM_GATEWAY_URL",
  "LLM_MODEL",
  "LLM_PROVIDER",
  "LLM_PROVIDER_NAME",
  "USER_ENTRY_POINT",
  "TOOL_NAMES",
  "TOOL_DEFINITIONS_JSON",
  "TOOL_ROUTES_JSON",
  "TOOL_URL_REWRITES_JSON",
  "GOVERNANCE_URL",
  "PORT",
  "OPENAI_BASE_URL",
  "OPENAI_API_BASE",
  "OPENAI_API_KEY",
  "ANTHROPIC_BASE_URL",
  "ANTHROPIC_API_KEY",
]);
const RESERVED_ENV_PREFIXES = ["TOOL_URL_", "LLM_MODEL_", "LLM_PROVIDER_", "RUNAGENTS_"];
/** Runtime settings an agent may choose although they carry the platform's prefix. */
const ALLOWED_PREFIXED = new Set(["RUNAGENTS_OUTBOUND_MODE", "RUNAGENTS_USER_CODE_DIR"]);
const SOURCE_ERROR = "provide exactly one deploy source: source_files, image, draft_id, or artifact_id";

/** Parses and validates a deploy body. `checkTool` validates one `tools_to_create` entry. */
export function parseDeployRequest(body: Obj, checkTool: (tool: Obj) => void = () => {}): DeployRequest {
  const agentName = checkAgentName(body.agent_name, "agent_name");
  const source = parseSource(body);
  const files = source.type === "source_files" ? source.files : undefined;
  const extras: Record<string, string> = {};
  for (const key of ["requirements", "entry_point", "framework"]) {
    const value = optionalString(body, key) ?? "";
    const kept = key === "requirements" ? value : value.trim();
    if (kept.trim() !== "" && !files) throw new HttpError(400, `${key} can only be used with source_files`);
    extras[key] = kept;
  }
  const entryPoint = extras.entry_point ?? "";
  if (files && entryPoint && !(entryPoint in files)) {
    throw new HttpError(400, `entry_point "${entryPoint}" is not one of the source_files`);
  }
  return {
    agentName,
    source,
    requirements: extras.requirements ?? "",
    entryPoint,
    framework: extras.framework ?? "",
    systemPrompt: optionalString(body, "system_prompt") ?? "",
    requiredTools: parseNameList(body.required_tools, "required_tools"),
    toolUrlMappings: parseToolUrlMappings(body.tool_url_mappings),
    toolsToCreate: parseToolsToCreate(body.tools_to_create, checkTool),
    llmConfigs: parseLlmConfigs(body.llm_configs, "llm_configs"),
    env: parseEnv(body.env),
    policies: parseNameList(body.policies, "policies"),
    identityProvider: parseOptionalName(body.identity_provider, "identity_provider"),
  };
}

function parseSource(body: Obj): DeploySource {
  const found: DeploySource[] = [];
  const files = body.source_files;
  if (files !== undefined && files !== null && !(isObject(files) && Object.keys(files).length === 0)) {
    const problem = validateSourceFiles(files);
    if (problem) {
      throw new HttpError(
        400,
        problem.startsWith("files ") ? `source_${problem}` : `source_files: ${problem}`,
      );
    }
    found.push({ type: "source_files", files: files as Record<string, string> });
  }
  const image = optionalString(body, "image")?.trim();
  if (image) found.push({ type: "image", image });
  const draftId = optionalString(body, "draft_id")?.trim();
  if (draftId) found.push({ type: "draft", draftId });
  const artifactId = optionalString(body, "artifact_id")?.trim();
  if (artifactId) found.push({ type: "artifact", artifactId });
  const [only] = found;
  if (found.length !== 1 || !only) throw new HttpError(400, SOURCE_ERROR);
  return only;
}

/** A list of resource names: trimmed, blanks dropped, duplicates removed. */
export function parseNameList(value: unknown, path: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new HttpError(400, `${path} must be a list of strings`);
  }
  const names = (value as string[]).map((v) => v.trim()).filter((v) => v !== "");
  return [...new Set(names.map((name, i) => checkName(name, `${path}[${i}]`)))];
}

export function parseOptionalName(value: unknown, path: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new HttpError(400, `${path} must be a string`);
  return value.trim() === "" ? "" : checkName(value, path);
}

function parseToolUrlMappings(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw new HttpError(400, "tool_url_mappings must be an object");
  const out: Record<string, string> = {};
  for (const [url, tool] of Object.entries(value)) {
    if (url.trim() === "") throw new HttpError(400, "tool_url_mappings keys must not be empty");
    if (typeof tool !== "string") throw new HttpError(400, `tool_url_mappings["${url}"] must be a string`);
    out[url] = checkName(tool, `tool_url_mappings["${url}"]`);
  }
  return out;
}

function parseToolsToCreate(value: unknown, checkTool: (tool: Obj) => void): Obj[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new HttpError(400, "tools_to_create must be a list");
  const seen = new Set<string>();
  return value.map((tool, i) => {
    const path = `tools_to_create[${i}]`;
    if (!isObject(tool)) throw new HttpError(400, `${path} must be an object`);
    try {
      checkTool(tool);
    } catch (err) {
      if (err instanceof HttpError) throw new HttpError(400, `${path}: ${err.message}`);
      throw err;
    }
    const name = checkName(tool.name, `${path}.name`);
    if (seen.has(name)) throw new HttpError(400, `${path}.name "${name}" appears more than once`);
    seen.add(name);
    return tool;
  });
}

/** `llm_configs` of a deploy or a config update. */
export function parseLlmConfigs(value: unknown, path: string): AgentLlmConfig[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new HttpError(400, `${path} must be a list`);
  const roles = new Map<string, number>();
  return value.map((item, i) => {
    const at = `${path}[${i}]`;
    if (!isObject(item)) throw new HttpError(400, `${at} must be an object`);
    const provider = requiredText(item, "provider", at);
    const model = requiredText(item, "model", at);
    const role = (optionalString(item, "role", `${at}.role`) ?? "").trim().toLowerCase() || "default";
    if (!ROLE.test(role)) {
      throw new HttpError(400, `${at}.role "${role}" must be lowercase letters, digits, '-' or '_'`);
    }
    const previous = roles.get(role);
    if (previous !== undefined) {
      throw new HttpError(400, `${at}.role "${role}" is already used by ${path}[${previous}]`);
    }
    roles.set(role, i);
    const budget = item.monthly_budget_usd;
    if (budget !== undefined && budget !== null && (typeof budget !== "number" || !(budget >= 0))) {
      throw new HttpError(400, `${at}.monthly_budget_usd must be a number >= 0 or null`);
    }
    return {
      role,
      model_provider: parseOptionalName(item.model_provider, `${at}.model_provider`),
      provider,
      model,
      monthly_budget_usd: typeof budget === "number" && Number.isFinite(budget) ? budget : null,
    };
  });
}

function requiredText(item: Obj, key: string, at: string): string {
  const value = item[key];
  if (value !== undefined && value !== null && typeof value !== "string") {
    throw new HttpError(400, `${at}.${key} must be a string`);
  }
  if (typeof value !== "string" || value.trim() === "") throw new HttpError(400, `${at}.${key} is required`);
  return value.trim();
}

function parseEnv(value: unknown): EnvVar[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new HttpError(400, "env must be a list of {name, value}");
  const seen = new Set<string>();
  return value.map((item, i) => {
    const at = `env[${i}]`;
    if (!isObject(item)) throw new HttpError(400, `${at} must be an object with name and value`);
    const name = item.name;
    if (typeof name !== "string" || !ENV_NAME.test(name)) {
      throw new HttpError(400, `${at}.name must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)`);
    }
    const prefixed = RESERVED_ENV_PREFIXES.some((p) => name.startsWith(p)) && !ALLOWED_PREFIXED.has(name);
    if (RESERVED_ENV.has(name) || prefixed) {
      throw new HttpError(400, `${at}.name "${name}" is set by the platform and cannot be overridden`);
    }
    if (seen.has(name)) throw new HttpError(400, `${at}.name "${name}" appears more than once`);
    seen.add(name);
    const raw = item.value ?? "";
    if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") {
      throw new HttpError(400, `${at}.value must be a string`);
    }
    return { name, value: String(raw) };
  });
}
