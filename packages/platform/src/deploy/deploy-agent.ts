/**
 * @module deploy/deploy-agent
 * What `POST /deploy` does once the request is valid: record the agent document, its uploaded
 * sources (kind `agent_source`, one per agent, replaced on every deploy) and its policy bindings
 * (the agent's `spec.policies`; bindings are implied by that list); a source deployment also
 * gets the next deployment version (`deploy/supervisor/deployments.ts`). With an
 * {@link AgentBackend}, the agent is then started (or replaced without downtime): the
 * deployment's status is the backend's (`Pending` while it builds and starts). Deployments
 * without source files (an image, a draft or artifact without files) are recorded only: the
 * local platform has no way to run an image, so such an agent is `Failed` with a message saying
 * so.
 *
 * Stored agent document:
 * `{name, labels, spec{image, systemPrompt, requiredTools[{name}], llmConfig{provider, model},
 * llmConfigs[AgentConfigLLM], env[{name, value}], policies[], identityProvider, toolUrlMappings{},
 * source{type, ...}, entryPoint, requirements, detectedRequirements[], framework, runtime},
 * status{phase, message}}`.
 */
import { createHash } from "node:crypto";
import { notFound } from "../errors.js";
import type { AgentLlmConfig } from "../gateway/spend.js";
import type { Doc, ResourceRecord, Store } from "../store/store.js";
import { checkName, isObject, type Obj } from "../validate.js";
import { detectRequirements } from "./analyze.js";
import { yamlEntryPoint } from "./build.js";
import type { DeployRequest } from "./deploy-request.js";
import { nextDeployment, removeDeployment } from "./supervisor/deployments.js";
import type { AgentBackend } from "./supervisor/types.js";

export const PENDING_MESSAGE = "deployment recorded; no agent backend is running it";
export const IDP_LABEL = "platform.ai/identity-provider";

export interface ExecutionPlan {
  execution_mode: string;
  build_required: boolean;
  build_profile: string;
  decision_reason: string;
  execution_kind: string;
  support_level: string;
}

/** How the platform will run the agent: agents run on the prebuilt runtime, never built. */
export function executionPlan(req: DeployRequest): ExecutionPlan {
  const reasons: Record<DeployRequest["source"]["type"], string> = {
    source_files: "source files are overlaid on the prebuilt runtime; no image build is needed",
    image: "the image reference is recorded; local agents run on the prebuilt runtime",
    draft: "the deploy draft's configuration is applied on the prebuilt runtime; no image build is needed",
    artifact: "the artifact is recorded and run on the prebuilt runtime; no image build is needed",
  };
  return {
    execution_mode: "FAST_OVERLAY",
    build_required: false,
    build_profile: "fast_overlay",
    decision_reason: reasons[req.source.type],
    execution_kind: "local_process",
    support_level: req.source.type === "source_files" ? "supported" : "recorded",
  };
}

/**
 * Fills the fields the request left empty from its deploy draft (`draft_id`): system prompt,
 * identity provider, policies, required tools, model mappings; the draft's custom image or
 * artifact, when it has one, becomes the source. Reads only; 404 for an unknown draft.
 */
export async function hydrateFromDraft(store: Store, ws: string, req: DeployRequest): Promise<DeployRequest> {
  if (req.source.type !== "draft") return req;
  const draft = await store.getResource(ws, "deploy_draft", req.source.draftId);
  if (!draft) throw notFound(`deploy draft "${req.source.draftId}" not found`);
  const d = draft.doc;
  const config = isObject(d.agent_config) ? d.agent_config : {};
  const text = (v: unknown) => (typeof v === "string" ? v.trim() : "");
  const names = (v: unknown) => (Array.isArray(v) ? v.filter(isValidName) : []);
  const out: DeployRequest = { ...req };
  if (!out.systemPrompt)
    out.systemPrompt = typeof config.system_prompt === "string" ? config.system_prompt : "";
  if (!out.identityProvider && isValidName(config.identity_provider))
    out.identityProvider = config.identity_provider;
  if (out.policies.length === 0) out.policies = names(d.policies);
  if (out.requiredTools.length === 0) out.requiredTools = names(d.required_tool_names);
  if (out.llmConfigs.length === 0 && isObject(d.model_mappings))
    out.llmConfigs = draftModels(d.model_mappings);
  const image = config.use_custom_image === true ? text(config.custom_image) : "";
  if (image) out.source = { type: "image", image };
  else if (text(d.artifact_id)) out.source = { type: "artifact", artifactId: text(d.artifact_id) };
  return out;
}

function isValidName(value: unknown): value is string {
  try {
    return typeof value === "string" && checkName(value) === value;
  } catch {
    return false;
  }
}

function draftModels(mappings: Obj): AgentLlmConfig[] {
  const out: AgentLlmConfig[] = [];
  for (const [key, value] of Object.entries(mappings)) {
    if (!isObject(value) || typeof value.provider !== "string" || typeof value.model !== "string") continue;
    const wanted = key.toLowerCase();
    const role =
      /^[a-z][a-z0-9_-]{0,62}$/.test(wanted) && !out.some((c) => c.role === wanted)
        ? wanted
        : `model-${out.length}`;
    const budget = value.monthly_budget_usd;
    out.push({
      role,
      model_provider: "",
      provider: value.provider,
      model: value.model,
      monthly_budget_usd: typeof budget === "number" && budget >= 0 ? budget : null,
    });
  }
  return out;
}

/** Referenced resources that do not exist (yet): the agent is recorded anyway and stays Pending. */
export async function deploymentWarnings(store: Store, ws: string, req: DeployRequest): Promise<string[]> {
  const warnings: string[] = [];
  const creating = new Set(req.toolsToCreate.map((t) => String(t.name)));
  const has = async (kind: "tool" | "policy" | "identity_provider", name: string) =>
    (await store.getResource(ws, kind, name)) !== undefined;
  for (const tool of new Set([...req.requiredTools, ...Object.values(req.toolUrlMappings)])) {
    if (!creating.has(tool) && !(await has("tool", tool))) warnings.push(`tool "${tool}" is not registered`);
  }
  for (const policy of req.policies) {
    if (!(await has("policy", policy))) {
      warnings.push(`policy "${policy}" does not exist: until it does, it allows nothing`);
    }
  }
  if (req.identityProvider && !(await has("identity_provider", req.identityProvider))) {
    warnings.push(`identity provider "${req.identityProvider}" does not exist`);
  }
  const providers = await store.listResources(ws, "model_provider");
  for (const cfg of req.llmConfigs) {
    const serving = providers.some((p) => {
      const spec = isObject(p.doc.spec) ? p.doc.spec : {};
      return Array.isArray(spec.models) && spec.models.includes(cfg.model);
    });
    if (cfg.model_provider && !providers.some((p) => p.name === cfg.model_provider)) {
      warnings.push(`model provider "${cfg.model_provider}" does not exist`);
    } else if (!cfg.model_provider && !serving) {
      warnings.push(`no model provider serves model "${cfg.model}"`);
    }
  }
  return warnings;
}

export interface RecordedDeployment {
  record: ResourceRecord;
  created: boolean;
  entryPoint: string;
  /** The deployment version of a source deploy (1, 2, ...); 0 for a deployment that cannot run. */
  version: number;
  /** The agent's status after the deploy (the backend's, else `Pending`). */
  status: { phase: string; message: string; [key: string]: unknown };
}

/**
 * Records a validated deployment (tools from `tools_to_create` already exist) and, given a
 * backend, starts it. The entry point is the request's, else `runagents.yaml`'s, else detected.
 */
export async function recordDeployment(
  store: Store,
  ws: string,
  req: DeployRequest,
  backend?: AgentBackend,
): Promise<RecordedDeployment> {
  const name = req.agentName;
  const source = req.source;
  let entryPoint = "";
  let requirements = "";
  let detected: string[] = [];
  let image = "";
  let sourceRef: Obj;
  if (source.type === "source_files") {
    const detection = detectRequirements(source.files);
    entryPoint = req.entryPoint || yamlEntryPoint(source.files) || detection.entry_point;
    requirements = req.requirements || (source.files["requirements.txt"] ?? "");
    detected = detection.requirements;
    const digest = digestFiles(source.files);
    image = `local://${name}:${digest.slice(0, 12)}`;
    sourceRef = { type: "source_files", digest, file_count: Object.keys(source.files).length };
    await store.putResource(ws, "agent_source", name, {
      agent_name: name,
      files: source.files,
      entry_point: entryPoint,
      requirements,
      framework: req.framework,
      digest,
    });
  } else {
    await store.deleteResource(ws, "agent_source", name);
    if (source.type === "image") image = source.image;
    sourceRef =
      source.type === "image"
        ? { type: "image", image: source.image }
        : source.type === "draft"
          ? { type: "draft", draft_id: source.draftId }
          : { type: "artifact", artifact_id: source.artifactId };
  }
  const requiredTools = [...new Set([...req.requiredTools, ...req.toolsToCreate.map((t) => String(t.name))])];
  const primary = req.llmConfigs.find((c) => c.role === "default") ?? req.llmConfigs[0];
  const doc: Doc = {
    name,
    labels: req.identityProvider ? { [IDP_LABEL]: req.identityProvider } : {},
    spec: {
      image,
      systemPrompt: req.systemPrompt,
      requiredTools: requiredTools.map((tool) => ({ name: tool })),
      ...(primary ? { llmConfig: { provider: primary.provider, model: primary.model } } : {}),
      llmConfigs: req.llmConfigs,
      env: req.env,
      policies: req.policies,
      identityProvider: req.identityProvider,
      toolUrlMappings: req.toolUrlMappings,
      source: sourceRef,
      entryPoint,
      requirements,
      detectedRequirements: detected,
      framework: req.framework,
      runtime: runtimeOf(source.type, entryPoint),
    },
    status: { phase: "Pending", message: backend ? "deployment recorded" : PENDING_MESSAGE },
  };
  const previous = await store.getResource(ws, "agent", name);
  if (backend && isObject(previous?.doc.status)) doc.status = previous.doc.status;
  const { record, created } = await store.putResource(ws, "agent", name, doc);
  const ref = { workspace: ws, name };
  let version = 0;
  if (source.type === "source_files") version = await nextDeployment(store, ref, String(sourceRef.digest));
  else await removeDeployment(store, ref);
  const status = backend ? await backend.start(ref) : { phase: "Pending", message: PENDING_MESSAGE };
  return { record, created, entryPoint, version, status };
}

/** Stops the agent (process, identity, files) and deletes its records; false when unknown. */
export async function removeAgent(
  store: Store,
  ws: string,
  name: string,
  backend?: AgentBackend,
): Promise<boolean> {
  if (!(await store.getResource(ws, "agent", name))) return false;
  await backend?.stop({ workspace: ws, name }, { remove: true });
  await removeDeployment(store, { workspace: ws, name });
  const existed = await store.deleteResource(ws, "agent", name);
  await store.deleteResource(ws, "agent_source", name);
  return existed;
}

function runtimeOf(type: DeployRequest["source"]["type"], entryPoint: string): string {
  if (type === "image") return "container";
  if (type !== "source_files") return "";
  return /\.pyw?$/i.test(entryPoint) ? "python" : "node";
}

function digestFiles(files: Record<string, string>): string {
  const hash = createHash("sha256");
  for (const path of Object.keys(files).sort()) hash.update(`${path}\u0000${files[path]}\u0000`);
  return hash.digest("hex");
}
