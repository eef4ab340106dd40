/**
 * @module
 * Static analysis of uploaded agent sources (`POST /analyze`, `POST /requirements`).
 *
 * Pure and offline: regular expressions over a comment-stripping line scanner, no AST, no network.
 * Never throws, whatever the input; the work is bounded (see `analyze-scan.ts`: 1 MiB per file,
 * 1,000 files, 16 KiB per line, 500 entries per result list). The result uses the snake_case wire
 * keys of api-contract §3.15 minus `id`, which the route assigns. The detection rules are
 * documented in the helper modules: analyze-tools (tools, tool names from hosts, outbound hosts),
 * analyze-models (providers, usages, framework, system prompt), analyze-imports (requirements),
 * analyze-entry (entry point, adapter) and analyze-secrets (secrets, entropy thresholds).
 */

import { type Adapter, findEntryPoint } from "./analyze-entry.js";
import { findImports, toRequirementNames } from "./analyze-imports.js";
import {
  DEFAULT_SYSTEM_PROMPT,
  detectFramework,
  findModelProviders,
  findModelUsages,
  findSystemPrompt,
  type ModelProviderRef,
  type ModelUsage,
} from "./analyze-models.js";
import { type SourceFile, toSourceFiles } from "./analyze-scan.js";
import { findSecrets, type SecretFinding } from "./analyze-secrets.js";
import { findToolsAndHosts, type ToolFinding } from "./analyze-tools.js";

export { validateSourceFiles } from "./analyze-validate.js";
export type { Adapter, ModelProviderRef, ModelUsage, SecretFinding, ToolFinding };

export type RuntimeFamily = "node" | "python";

/** The analysis result (api-contract §3.15 without `id`). */
export interface Analysis {
  /** langgraph | langchain | crewai | autogen | llamaindex | runagents | openai | anthropic | custom */
  framework: string;
  runtime_family: RuntimeFamily;
  /** How the runtime invokes the code: handler | default-export | main | builtin (tool loop only). */
  adapter: Adapter;
  tools: ToolFinding[];
  model_providers: ModelProviderRef[];
  model_usages: ModelUsage[];
  secrets: SecretFinding[];
  /** Hosts (`host[:port]`) of literal http(s) URLs, sorted, unique. */
  outbound_destinations: string[];
  /** Dependency names (npm or pip) the imports need, sorted, unique. */
  detected_requirements: string[];
  /** Path of the entry file, or "" when none qualifies. */
  entry_point: string;
  system_prompt_suggestion: string;
}

export interface RequirementsResult {
  requirements: string[];
  entry_point: string;
}

/** Analyses a `{path: content}` map. Never throws; unreadable entries are skipped. */
export function analyzeSources(files: Record<string, string>): Analysis {
  try {
    const sources = toSourceFiles(files);
    const imports = findImports(sources);
    const entry = findEntryPoint(sources);
    const { tools, outbound_destinations } = findToolsAndHosts(sources);
    return {
      framework: detectFramework(imports),
      runtime_family: runtimeFamily(sources, entry.language),
      adapter: entry.adapter,
      tools,
      model_providers: findModelProviders(sources, imports),
      model_usages: findModelUsages(sources, imports),
      secrets: findSecrets(sources),
      outbound_destinations,
      detected_requirements: toRequirementNames(imports, pathsOf(files)),
      entry_point: entry.path,
      system_prompt_suggestion: findSystemPrompt(sources),
    };
  } catch {
    return emptyAnalysis();
  }
}

/** The lightweight detector behind `POST /requirements`: dependency names and the entry point. */
export function detectRequirements(files: Record<string, string>): RequirementsResult {
  try {
    const sources = toSourceFiles(files);
    return {
      requirements: toRequirementNames(findImports(sources), pathsOf(files)),
      entry_point: findEntryPoint(sources).path,
    };
  } catch {
    return { requirements: [], entry_point: "" };
  }
}

function runtimeFamily(sources: readonly SourceFile[], entryLanguage: "js" | "python" | null): RuntimeFamily {
  if (entryLanguage !== null) return entryLanguage === "python" ? "python" : "node";
  const python = sources.filter((file) => file.language === "python").length;
  const js = sources.filter((file) => file.language === "js").length;
  return python > js ? "python" : "node";
}

function pathsOf(files: unknown): string[] {
  return typeof files === "object" && files !== null ? Object.keys(files) : [];
}

function emptyAnalysis(): Analysis {
  return {
    framework: "custom",
    runtime_family: "node",
    adapter: "builtin",
    tools: [],
    model_providers: [],
    model_usages: [],
    secrets: [],
    outbound_destinations: [],
    detected_requirements: [],
    entry_point: "",
    system_prompt_suggestion: DEFAULT_SYSTEM_PROMPT,
  };
}
