/**
 * @module api/routes/analyze
 * Source analysis: `POST /analyze {files}` → 201 AnalysisResult (id `analysis-<hex>`, kept for
 * one hour as kind `analysis`), `GET /analysis/{id}` (404 `analysis not found` once expired),
 * and `POST /requirements {files}` → `{requirements[], entry_point}`. A missing or invalid
 * `files` is a 400 naming the problem. Expired analyses are purged on each new analysis.
 */
import { randomBytes } from "node:crypto";
import { analyzeSources, detectRequirements, validateSourceFiles } from "../../deploy/analyze.js";
import { HttpError, notFound } from "../../errors.js";
import { created, ok, type RequestContext, type RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { ANALYZE_ROUTES } from "../schemas/deploy.js";

export const ANALYSIS_TTL_MS = 60 * 60 * 1000;

export function registerAnalyzeRoutes(api: Router<RouteDef>): void {
  api.add("POST", "/analyze", { schema: ANALYZE_ROUTES.analyze, permission: "develop", handler: analyze });
  api.add("GET", "/analysis/:id", { schema: ANALYZE_ROUTES.get, permission: "read", handler: getAnalysis });
  api.add("POST", "/requirements", {
    schema: ANALYZE_ROUTES.requirements,
    permission: "develop",
    handler: requirements,
  });
}

function requireFiles(body: Record<string, unknown>): Record<string, string> {
  if (body.files === undefined || body.files === null) throw new HttpError(400, "files is required");
  const problem = validateSourceFiles(body.files);
  if (problem) throw new HttpError(400, problem);
  return body.files as Record<string, string>;
}

async function analyze(ctx: RequestContext) {
  const files = requireFiles(ctx.body);
  const id = `analysis-${randomBytes(8).toString("hex")}`;
  const result = { id, ...analyzeSources(files) };
  await purgeExpired(ctx);
  const expiresAt = new Date(Date.now() + ANALYSIS_TTL_MS).toISOString();
  await ctx.store.putResource(ctx.workspace, "analysis", id, { result, expires_at: expiresAt });
  return created(result);
}

async function getAnalysis(ctx: RequestContext) {
  const id = ctx.params.id as string;
  const record = await ctx.store.getResource(ctx.workspace, "analysis", id);
  if (!record || isExpired(record.doc.expires_at)) {
    if (record) await ctx.store.deleteResource(ctx.workspace, "analysis", id);
    throw notFound("analysis not found");
  }
  return ok(record.doc.result);
}

function requirements(ctx: RequestContext) {
  return ok(detectRequirements(requireFiles(ctx.body)));
}

const isExpired = (expiresAt: unknown): boolean =>
  typeof expiresAt !== "string" || !(Date.parse(expiresAt) > Date.now());

async function purgeExpired(ctx: RequestContext): Promise<void> {
  for (const record of await ctx.store.listResources(ctx.workspace, "analysis")) {
    if (isExpired(record.doc.expires_at))
      await ctx.store.deleteResource(ctx.workspace, "analysis", record.name);
  }
}
