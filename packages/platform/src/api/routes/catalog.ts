/**
 * @module api/routes/catalog
 * The built-in agent catalog: list with search, filters and pages (snake_case items), one
 * manifest by id and optional version (camelCase, source files inlined), and the versions.
 */
import { HttpError, notFound } from "../../errors.js";
import {
  BUILTIN_CATALOG,
  type CatalogEntry,
  filterCatalog,
  findEntry,
  indexItem,
  manifestAt,
  versionsView,
} from "../../governance/catalog/index.js";
import { nowIso } from "../../time.js";
import { ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { CATALOG_ROUTES, MAX_PAGE_SIZE } from "../schemas/deploy.js";

const CATALOG_ID = /^[a-z0-9]([a-z0-9._-]{0,126}[a-z0-9])?$/i;
const DEFAULT_PAGE_SIZE = 24;

export function registerCatalogRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/catalog", { schema: CATALOG_ROUTES.list, permission: "read", handler: listCatalog });
  api.add("GET", "/catalog/:id", { schema: CATALOG_ROUTES.get, permission: "read", handler: getManifest });
  api.add("GET", "/catalog/:id/versions", {
    schema: CATALOG_ROUTES.versions,
    permission: "read",
    handler: listVersions,
  });
}

function listCatalog(ctx: RequestContext) {
  const page = pageParam(ctx.query, "page", 1, Number.MAX_SAFE_INTEGER);
  const pageSize = pageParam(ctx.query, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const matches = filterCatalog(BUILTIN_CATALOG, {
    search: (ctx.query.get("search") ?? "").trim(),
    categories: listParam(ctx.query, "category"),
    tags: listParam(ctx.query, "tag"),
    integrations: listParam(ctx.query, "integration"),
    governance: listParam(ctx.query, "governance"),
  });
  const start = (page - 1) * pageSize;
  return ok({
    generated_at: nowIso(),
    items: matches.slice(start, start + pageSize).map(indexItem),
    total: matches.length,
    page,
    page_size: pageSize,
  });
}

function getManifest(ctx: RequestContext) {
  const entry = loadEntry(ctx.params.id as string);
  const manifest = manifestAt(entry, ctx.query.get("version") ?? undefined);
  if (!manifest) throw notFound("catalog entry not found");
  return ok(manifest);
}

function listVersions(ctx: RequestContext) {
  return ok(versionsView(loadEntry(ctx.params.id as string)));
}

function loadEntry(id: string): CatalogEntry {
  if (!CATALOG_ID.test(id)) throw new HttpError(400, "invalid catalog path");
  const entry = findEntry(BUILTIN_CATALOG, id);
  if (!entry) throw notFound("catalog entry not found");
  return entry;
}

/** Repeated keys and comma-separated values both work: `?tag=a&tag=b` = `?tag=a,b`. */
function listParam(query: URLSearchParams, key: string): string[] {
  return query
    .getAll(key)
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter(Boolean);
}

function pageParam(query: URLSearchParams, key: string, fallback: number, max: number): number {
  const raw = (query.get(key) ?? "").trim();
  if (raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > max) {
    throw new HttpError(
      400,
      max === MAX_PAGE_SIZE
        ? `query parameter ${key} must be an integer between 1 and ${max}`
        : `query parameter ${key} must be an integer >= 1`,
    );
  }
  return value;
}
