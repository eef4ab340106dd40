/**
 * @module
 * `runagents approvals list|get|approve|reject` (access requests).
 */

import { normalizeApprovalScope } from "../../client/approvals.js";
import type { ApprovalRequest, ApprovalScope } from "../../client/governance-types.js";
import { RunAgentsValidationError } from "../../errors.js";
import { type Group, str, UsageError } from "../args.js";

/** What was granted, said plainly: `approved once`, `approved for this run`, `approved for alice on echo-tool for 4h`. */
export function approvedMessage(
  id: string,
  granted: Pick<ApprovalRequest, "scope" | "duration" | "subject" | "toolId">,
): string {
  const head = `Access request "${id}" approved`;
  if (granted.scope === "once") return `${head} once.`;
  if (granted.scope === "run") return `${head} for this run.`;
  if (granted.scope === "agent_user_ttl") {
    const who = granted.subject ? ` for ${granted.subject}` : "";
    const on = granted.toolId ? ` on ${granted.toolId}` : "";
    return `${head}${who}${on} for ${granted.duration || "a time window"}.`;
  }
  return `${head} (scope ${granted.scope || "unknown"}).`;
}

export const approvals: Group = {
  name: "approvals",
  summary: "List, approve and reject access requests",
  commands: [
    {
      name: "list",
      summary: "List access requests",
      options: {
        status: { type: "string", value: "<status>", help: "PENDING, APPROVED, REJECTED or EXPIRED" },
      },
      async run(ctx, parsed) {
        const list = await ctx.client().approvals.list({ status: str(parsed, "status")?.toUpperCase() });
        if (ctx.printedRaw()) return;
        if (list.length === 0) return ctx.out.line("No access requests found.");
        ctx.out.table(
          ["ID", "AGENT", "TOOL", "STATUS", "CREATED"],
          list.map((r) => [r.id, r.agentId || "-", r.toolId, r.status, r.createdAt]),
          3,
        );
      },
    },
    {
      name: "get",
      summary: "Show one access request",
      args: "<request-id>",
      min: 1,
      async run(ctx, { positionals: [id = ""] }) {
        const r = await ctx.client().approvals.get(id);
        if (ctx.printedRaw()) return;
        ctx.out.labels([
          ["ID", r.id],
          ["Status", ctx.out.status(r.status)],
          ["Agent", r.agentId || "-"],
          ["Tool", r.toolId],
          ["Method", r.toolMethod || undefined],
          ["URL", r.toolUrl || undefined],
          ["Capability", r.capability || undefined],
          ["Subject", r.subject || "-"],
          ["Run", r.runId || undefined],
          ["Action", r.actionId || undefined],
          ["Scope", r.scope || undefined],
          ["Duration", r.duration || undefined],
          ["Approver", r.approverId || undefined],
          ["Reason", r.reason || undefined],
          ["Created", r.createdAt],
          ["Expires", r.expiresAt || undefined],
        ]);
      },
    },
    {
      name: "approve",
      summary: "Approve an access request",
      args: "<request-id>",
      min: 1,
      options: {
        scope: {
          type: "string",
          value: "once|run|window",
          help: "what the approval covers (default once: this one call)",
        },
        duration: {
          type: "string",
          value: "<duration>",
          help: "window length, e.g. 1h (implies --scope window)",
        },
        reason: { type: "string", value: "<text>", help: "why (recorded with the decision)" },
      },
      async run(ctx, parsed) {
        const id = parsed.positionals[0] ?? "";
        const scope = str(parsed, "scope") ?? "";
        const duration = str(parsed, "duration") ?? "";
        try {
          normalizeApprovalScope(scope, duration);
        } catch (error) {
          if (error instanceof RunAgentsValidationError) throw new UsageError(error.message);
          throw error;
        }
        const request = await ctx.client().approvals.approve(id, {
          scope: (scope || undefined) as ApprovalScope | undefined,
          duration,
          reason: str(parsed, "reason"),
        });
        if (ctx.printedRaw()) return;
        ctx.out.line(approvedMessage(id, request));
      },
    },
    {
      name: "reject",
      summary: "Reject an access request",
      args: "<request-id>",
      min: 1,
      options: { reason: { type: "string", value: "<text>", help: "why (recorded with the decision)" } },
      async run(ctx, parsed) {
        const id = parsed.positionals[0] ?? "";
        await ctx.client().approvals.reject(id, { reason: str(parsed, "reason") });
        if (ctx.printedRaw()) return;
        ctx.out.line(`Access request "${id}" rejected.`);
      },
    },
  ],
};
