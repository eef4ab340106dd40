/**
 * @module governance/catalog/types
 * The catalog manifest as served by `GET /catalog/{id}` (camelCase, api-contract §3.16).
 */

export interface CatalogPrompt {
  title: string;
  content: string;
}

export interface CatalogDeploymentTemplate {
  agentName: string;
  systemPrompt: string;
  requiredTools: string[];
  recommendedTools: string[];
  policies: string[];
  accessMode: "open" | "authenticated";
  identityProvider: string;
  sourceType: string;
  /** path → file content; inlined so `catalog.deploy` can send it as `source_files`. */
  sourceFiles: Record<string, string>;
  workflowRef?: string;
  artifactId?: string;
  workflowJson?: Record<string, unknown>;
}

export interface CatalogManifest {
  id: string;
  version: string;
  name: string;
  summary: string;
  description: string;
  category: string;
  tags: string[];
  /** Bare model name; the clients prefix `openai/` when deploying. */
  defaultModel: string;
  requiredIntegrations: string[];
  defaultPolicies: string[];
  governanceTraits: string[];
  accessRecommendations: string[];
  useCases: string[];
  prompts: CatalogPrompt[];
  deploymentTemplate: CatalogDeploymentTemplate;
  metadata: Record<string, unknown>;
  changelog: string;
  publishedAt: string;
}

/** One published version of an entry: what changed relative to the entry's base manifest. */
export interface CatalogRelease {
  version: string;
  publishedAt: string;
  changelog: string;
  summary?: string;
  sourceFiles?: Record<string, string>;
}

/** An entry: its fields shared by every version, and its releases (any order). */
export interface CatalogEntry {
  base: Omit<CatalogManifest, "version" | "publishedAt" | "changelog">;
  releases: CatalogRelease[];
}
