/**
 * @module governance/catalog
 * The built-in agent catalog: manifests per version, semver ordering, search, filters and
 * pagination. Entries are data (one module each); nothing here touches the store.
 */
import { expenseReview } from "./expense-review.js";
import { helloWorld } from "./hello-world.js";
import { supportTriage } from "./support-triage.js";
import type { CatalogEntry, CatalogManifest, CatalogRelease } from "./types.js";

export type { CatalogEntry, CatalogManifest } from "./types.js";

/** In listing order. */
export const BUILTIN_CATALOG: readonly CatalogEntry[] = [helloWorld, supportTriage, expenseReview];

type Semver = { core: number[]; pre: string };

function parseSemver(version: string): Semver {
  const [core = "", pre = ""] = version.trim().replace(/^v/i, "").split(/-(.*)/s);
  return { core: core.split(".").map((n) => Number.parseInt(n, 10) || 0), pre };
}

/** Semver order: numeric major.minor.patch; a pre-release sorts before its release. */
export function compareSemver(a: string, b: string): number {
  const x = parseSemver(a);
  const y = parseSemver(b);
  for (let i = 0; i < Math.max(x.core.length, y.core.length, 3); i++) {
    const diff = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  if (x.pre === y.pre) return 0;
  if (!x.pre) return 1;
  if (!y.pre) return -1;
  return x.pre.localeCompare(y.pre, "en", { numeric: true });
}

export const releasesNewestFirst = (entry: CatalogEntry): CatalogRelease[] =>
  [...entry.releases].sort((a, b) => compareSemver(b.version, a.version));

export const findEntry = (entries: readonly CatalogEntry[], id: string): CatalogEntry | undefined =>
  entries.find((e) => e.base.id === id);

/** The manifest of one version (the latest when none is given), or undefined. A fresh copy. */
export function manifestAt(entry: CatalogEntry, version?: string): CatalogManifest | undefined {
  const releases = releasesNewestFirst(entry);
  const wanted = version?.trim().replace(/^v/i, "");
  const release = wanted ? releases.find((r) => r.version === wanted) : releases[0];
  if (!release) return undefined;
  const base = structuredClone(entry.base);
  if (release.sourceFiles) base.deploymentTemplate.sourceFiles = { ...release.sourceFiles };
  return {
    ...base,
    version: release.version,
    summary: release.summary ?? base.summary,
    changelog: release.changelog,
    publishedAt: release.publishedAt,
  };
}

export interface CatalogQuery {
  search: string;
  categories: string[];
  tags: string[];
  integrations: string[];
  governance: string[];
}

const lower = (values: readonly string[]) => values.map((v) => v.toLowerCase());
const anyOf = (wanted: string[], have: readonly string[]) =>
  wanted.length === 0 || lower(have).some((h) => wanted.includes(h));

/**
 * Entries matching every given filter; within one filter any listed value matches (an entry
 * has one category). `search` words must all appear in the id, name, summary, tags or
 * integrations. Matching ignores case.
 */
export function filterCatalog(entries: readonly CatalogEntry[], query: CatalogQuery): CatalogManifest[] {
  const words = query.search.toLowerCase().split(/\s+/).filter(Boolean);
  const [categories, tags, integrations, governance] = [
    query.categories,
    query.tags,
    query.integrations,
    query.governance,
  ].map(lower) as [string[], string[], string[], string[]];
  return entries
    .map((e) => manifestAt(e))
    .filter((m): m is CatalogManifest => m !== undefined)
    .filter((m) => {
      const haystack = [m.id, m.name, m.summary, ...m.tags, ...m.requiredIntegrations]
        .join("\n")
        .toLowerCase();
      return (
        words.every((w) => haystack.includes(w)) &&
        anyOf(categories, [m.category]) &&
        anyOf(tags, m.tags) &&
        anyOf(integrations, m.requiredIntegrations) &&
        anyOf(governance, m.governanceTraits)
      );
    });
}

/** CatalogIndexItem (snake_case) for the list. */
export function indexItem(m: CatalogManifest): Record<string, unknown> {
  return {
    id: m.id,
    name: m.name,
    summary: m.summary,
    description: m.description,
    category: m.category,
    tags: m.tags,
    latest_version: m.version,
    required_integrations: m.requiredIntegrations,
    default_policies: m.defaultPolicies,
    governance_traits: m.governanceTraits,
    complexity: typeof m.metadata.complexity === "string" ? m.metadata.complexity : "",
    metadata: m.metadata,
  };
}

/** CatalogVersionsResponse: newest version first. */
export function versionsView(entry: CatalogEntry): Record<string, unknown> {
  return {
    agent_id: entry.base.id,
    versions: releasesNewestFirst(entry).map((r) => ({
      version: r.version,
      published_at: r.publishedAt,
      summary: r.summary ?? entry.base.summary,
      changelog: r.changelog,
    })),
  };
}
