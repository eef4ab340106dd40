/**
 * @module
 * `runagents policies list|get|apply|delete|translate|evaluate`.
 */

import { isObject, text } from "../../client/parse.js";
import { normalizePolicyDocument } from "../../client/policies.js";
import { RunAgentsValidationError } from "../../errors.js";
import { CliError, type Group, str, UsageError } from "../args.js";
import { readDocument } from "../yaml.js";

const yesNo = (value: boolean): string => (value ? "yes" : "no");

export const policies: Group = {
  name: "policies",
  summary: "Manage policies",
  commands: [
    {
      name: "list",
      summary: "List policies",
      async run(ctx) {
        const list = await ctx.client().policies.list();
        if (ctx.printedRaw()) return;
        if (list.length === 0) return ctx.out.line("No policies found.");
        ctx.out.table(
          ["NAME", "READY", "RULES", "APPROVALS", "USED_BY"],
          list.map((p) => [
            p.name,
            yesNo(p.status.ready),
            String(p.spec.policies.length),
            String(p.spec.approvals.length),
            String(p.usedBy.length),
          ]),
          1,
        );
      },
    },
    {
      name: "get",
      summary: "Show one policy with its rules and approval routes",
      args: "<name>",
      min: 1,
      async run(ctx, { positionals: [name = ""] }) {
        const p = await ctx.client().policies.get(name);
        if (ctx.printedRaw()) return;
        ctx.out.labels([
          ["Name", p.name],
          ["Namespace", p.namespace || undefined],
          ["Ready", yesNo(p.status.ready)],
          ["Status", p.status.message || undefined],
          ["Used by", p.usedBy.length === 0 ? "-" : p.usedBy.map((u) => u.name).join(", ")],
        ]);
        ctx.out.line();
        ctx.out.line("Policy rules:");
        if (p.spec.policies.length === 0) ctx.out.line("  (none)");
        p.spec.policies.forEach((r, i) => {
          const tags = r.tags.length > 0 ? ` [tags: ${r.tags.join(", ")}]` : "";
          ctx.out.line(`  ${i + 1}. ${r.permission} ${r.operations.join(",")} ${r.resource}${tags}`);
        });
        ctx.out.line();
        ctx.out.line("Approval routes:");
        if (p.spec.approvals.length === 0) ctx.out.line("  (none)");
        p.spec.approvals.forEach((a, i) => {
          ctx.out.line(
            `  - ${a.name || `approval-${i + 1}`} -> groups: ${a.approvers.groups.join(", ") || "-"}`,
          );
        });
      },
    },
    {
      name: "apply",
      summary: "Create or update a policy from a YAML or JSON file",
      options: {
        file: {
          type: "string",
          short: "f",
          value: "<file>",
          help: "policy document: {name, spec} or a bare spec",
        },
        name: { type: "string", value: "<name>", help: "policy name (required for a bare spec)" },
      },
      async run(ctx, parsed) {
        const file = str(parsed, "file");
        if (!file) throw new UsageError("--file is required");
        const document = await readDocument(ctx.cwd, file);
        let name: string;
        let rules: unknown;
        try {
          const normalized = normalizePolicyDocument(document, str(parsed, "name") ?? "");
          name = normalized.name;
          rules = normalized.spec.policies;
        } catch (error) {
          if (error instanceof RunAgentsValidationError) throw new CliError(`${file}: ${error.message}`);
          throw error;
        }
        if (!Array.isArray(rules) || rules.length === 0) {
          throw new CliError(`${file}: a policy needs at least one rule under spec.policies`);
        }
        const policy = await ctx.client().policies.apply(document, str(parsed, "name") ?? "");
        if (ctx.printedRaw()) return;
        const verb = ctx.lastStatus() === 201 ? "created" : "updated";
        ctx.out.line(`Policy "${name}" ${verb}.`);
        ctx.out.line(`Rules: ${policy.spec.policies.length}, approvals: ${policy.spec.approvals.length}`);
      },
    },
    {
      name: "delete",
      summary: "Delete a policy",
      args: "<name>",
      min: 1,
      async run(ctx, { positionals: [name = ""] }) {
        await ctx.client().policies.delete(name);
        ctx.out.line(`Policy "${name}" deleted.`);
      },
    },
    {
      name: "translate",
      summary: "Turn a sentence into policy rules",
      args: "[text...]",
      max: 100,
      options: { from: { type: "string", value: "<text>", help: "the sentence to translate" } },
      async run(ctx, parsed) {
        const input = (str(parsed, "from") ?? parsed.positionals.join(" ")).trim();
        if (!input) throw new UsageError('provide the text with --from "<text>"');
        const rules = await ctx.client().policies.translate(input);
        if (ctx.printedRaw()) return;
        if (rules.length === 0) return ctx.out.line("No rules generated.");
        ctx.out.table(
          ["PERMISSION", "OPERATIONS", "RESOURCE", "TAGS"],
          rules.map((r) => [r.permission, r.operations.join(","), r.resource, r.tags.join(",")]),
        );
      },
    },
    {
      name: "evaluate",
      summary: "Show the decision the policies bound to an agent make for one call",
      options: {
        agent: { type: "string", value: "<name>", help: "the calling agent (required)" },
        method: { type: "string", value: "<method>", help: "HTTP method (default GET)" },
        url: { type: "string", value: "<url>", help: "the tool URL called (required)" },
      },
      async run(ctx, parsed) {
        const agent = str(parsed, "agent")?.trim();
        const url = str(parsed, "url")?.trim();
        if (!agent || !url) throw new UsageError("--agent and --url are required");
        const method = (str(parsed, "method") ?? "GET").trim().toUpperCase();
        const result = await ctx.client().post("/policies/evaluate", { agent, method, url });
        if (ctx.printedRaw()) return;
        const r = isObject(result) ? result : {};
        ctx.out.labels([
          ["Decision", ctx.out.status(text(r.decision) || text(r.permission) || "-")],
          ["Tool", text(r.tool) || text(r.tool_id) || undefined],
          ["Capability", text(r.capability) || undefined],
          ["Policy", text(r.policy) || undefined],
          [
            "Rule",
            typeof r.rule === "string" ? r.rule : r.rule === undefined ? undefined : JSON.stringify(r.rule),
          ],
          ["Reason", text(r.reason) || text(r.message) || undefined],
        ]);
      },
    },
  ],
};
