/**
 * @module api/routes/audit
 * `GET /runs/{id}/audit/export` and `GET /audit/export?from=&to=`: the tamper-evident audit trail
 * as NDJSON (docs/audit.md), streamed a page at a time and written with backpressure.
 */
import type { ServerResponse } from "node:http";
import { type AuditScope, auditExport, parseWindow } from "../../governance/audit-export.js";
import { loadRun } from "../../governance/runs.js";
import type { Store } from "../../store/store.js";
import type { Reply, RequestContext, RouteDef } from "../context.js";
import type { Router } from "../router.js";
import { EXPORT_ROUTES } from "../schemas/platform.js";

export function registerAuditRoutes(api: Router<RouteDef>): void {
  api.add("GET", "/audit/export", {
    schema: EXPORT_ROUTES.audit,
    permission: "read",
    handler: exportWorkspace,
  });
  api.add("GET", "/runs/:id/audit/export", {
    schema: EXPORT_ROUTES.audit,
    permission: "read",
    handler: exportRun,
  });
}

async function exportWorkspace(ctx: RequestContext): Promise<Reply> {
  return ndjson(ctx.store, ctx.workspace, parseWindow(ctx.query));
}

async function exportRun(ctx: RequestContext): Promise<Reply> {
  const window = parseWindow(ctx.query);
  const run = await loadRun(ctx.store, ctx.workspace, ctx.params.id as string);
  return ndjson(ctx.store, ctx.workspace, { ...window, runId: run.id });
}

function ndjson(store: Store, ws: string, scope: AuditScope): Reply {
  return {
    status: 200,
    headers: { "Content-Type": "application/x-ndjson", "Cache-Control": "no-store" },
    stream: (res) => writeChunks(res, auditExport(store, ws, scope)),
  };
}

/** Writes each chunk, waiting for `drain` when the socket's buffer is full; stops if the caller left. */
async function writeChunks(res: ServerResponse, chunks: AsyncGenerator<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (res.destroyed) return void (await chunks.return(undefined));
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
  }
  res.end();
}
