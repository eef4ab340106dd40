/**
 * @module
 * `runagents approval-connectors list|get|apply|delete|test|defaults get|defaults set|activity`.
 */

import { normalizeConnectorDocument } from "../../client/connectors.js";
import type { ApprovalConnectorDefaultsInput } from "../../client/governance-types.js";
import { RunAgentsValidationError } from "../../errors.js";
import { CliError, type Group, int, str, UsageError } from "../args.js";
import { readDocument } from "../yaml.js";

const yesNo = (value: boolean): string => (value ? "yes" : "no");

export const approvalConnectors: Group = {
  name: "approval-connectors",
  summary: "Manage approval connectors (where approval requests are delivered)",
  commands: [
    {
      name: "list",
      summary: "List approval connectors",
      async run(ctx) {
        const list = await ctx.client().approvalConnectors.list();
        if (ctx.printedRaw()) return;
        if (list.length === 0) return ctx.out.line("No approval connectors found.");
        ctx.out.table(
          ["ID", "NAME", "TYPE", "ENABLED", "TIMEOUT", "ENDPOINT"],
          list.map((c) => [c.id, c.name, c.type, yesNo(c.enabled), `${c.timeoutSeconds}s`, c.endpoint]),
        );
      },
    },
    {
      name: "get",
      summary: "Show one approval connector",
      args: "<id>",
      min: 1,
      async run(ctx, { positionals: [id = ""] }) {
        const c = await ctx.client().approvalConnectors.get(id);
        if (ctx.printedRaw()) return;
        ctx.out.labels([
          ["ID", c.id],
          ["Name", c.name],
          ["Type", c.type],
          ["Endpoint", c.endpoint],
          ["Enabled", yesNo(c.enabled)],
          ["Timeout", `${c.timeoutSeconds}s`],
          ["Security", c.slackSecurityMode || undefined],
          ["Created", c.createdAt],
          ["Updated", c.updatedAt],
        ]);
        const headers = Object.keys(c.headers).sort();
        if (headers.length > 0) {
          ctx.out.line("Headers:");
          for (const h of headers) ctx.out.line(`  ${h}: ${c.headers[h]}`);
        }
      },
    },
    {
      name: "apply",
      summary: "Create or update a connector from a file (matched by id, then by name)",
      options: {
        file: { type: "string", short: "f", value: "<file>", help: "connector document (JSON or YAML)" },
      },
      async run(ctx, parsed) {
        const file = str(parsed, "file");
        if (!file) throw new UsageError("--file is required");
        const document = await readDocument(ctx.cwd, file);
        try {
          normalizeConnectorDocument(document);
          const connector = await ctx.client().approvalConnectors.apply(document);
          if (ctx.printedRaw()) return;
          const verb = ctx.lastStatus() === 201 ? "created" : "updated";
          ctx.out.line(`Approval connector "${connector.name}" ${verb}.`);
          ctx.out.line(`ID: ${connector.id}, type: ${connector.type}, enabled: ${yesNo(connector.enabled)}`);
        } catch (error) {
          if (error instanceof RunAgentsValidationError) throw new CliError(`${file}: ${error.message}`);
          throw error;
        }
      },
    },
    {
      name: "delete",
      summary: "Delete an approval connector",
      args: "<id>",
      min: 1,
      async run(ctx, { positionals: [id = ""] }) {
        await ctx.client().approvalConnectors.delete(id);
        ctx.out.line(`Approval connector "${id}" deleted.`);
      },
    },
    {
      name: "test",
      summary: "Send a test delivery through a connector",
      args: "<id>",
      min: 1,
      async run(ctx, { positionals: [id = ""] }) {
        const result = await ctx.client().approvalConnectors.test(id);
        if (ctx.printedRaw()) return;
        ctx.out.labels([
          ["Connector", id],
          ["Type", result.connectorType],
          ["Endpoint", result.endpoint],
          ["Status", ctx.out.status(result.status)],
        ]);
        ctx.out.table(
          ["CHECK", "STATUS", "DURATION", "MESSAGE"],
          result.checks.map((c) => [c.label || c.id, c.status, `${c.durationMs}ms`, c.message]),
          1,
        );
      },
    },
    {
      name: "defaults",
      summary: "Show or change the delivery defaults",
      commands: [
        {
          name: "get",
          summary: "Show the delivery defaults",
          async run(ctx) {
            const d = await ctx.client().approvalConnectors.defaults();
            if (ctx.printedRaw()) return;
            ctx.out.labels([
              ["Delivery mode", d.defaultDeliveryMode],
              ["Fallback to UI", yesNo(d.defaultFallbackToUi)],
              ["Timeout", `${d.defaultTimeoutSeconds}s`],
              ["Allowed timeout", `${d.minTimeoutSeconds}s-${d.maxTimeoutSeconds}s`],
            ]);
          },
        },
        {
          name: "set",
          summary: "Change the delivery defaults (only the flags given)",
          options: {
            "delivery-mode": { type: "string", value: "first_success|all", help: "how connectors are tried" },
            "fallback-to-ui": {
              type: "string",
              value: "true|false",
              help: "also show requests in the console",
            },
            "timeout-seconds": { type: "string", value: "<n>", help: "delivery timeout" },
          },
          async run(ctx, parsed) {
            const input: ApprovalConnectorDefaultsInput = {};
            const mode = str(parsed, "delivery-mode");
            if (mode !== undefined) {
              if (mode !== "first_success" && mode !== "all") {
                throw new UsageError(`invalid value "${mode}" for --delivery-mode: use first_success or all`);
              }
              input.deliveryMode = mode;
            }
            const fallback = str(parsed, "fallback-to-ui");
            if (fallback !== undefined) {
              if (fallback !== "true" && fallback !== "false") {
                throw new UsageError(`invalid value "${fallback}" for --fallback-to-ui: use true or false`);
              }
              input.fallbackToUi = fallback === "true";
            }
            if (parsed.values["timeout-seconds"] !== undefined)
              input.timeoutSeconds = int(parsed, "timeout-seconds", 0, 1);
            if (Object.keys(input).length === 0) {
              throw new UsageError(
                "set at least one of --delivery-mode, --fallback-to-ui, --timeout-seconds",
              );
            }
            await ctx.client().approvalConnectors.setDefaults(input);
            if (ctx.printedRaw()) return;
            ctx.out.line("Approval connector defaults updated.");
          },
        },
      ],
    },
    {
      name: "activity",
      summary: "Show recent connector deliveries",
      options: { limit: { type: "string", value: "<n>", help: "at most n entries (default 50)" } },
      async run(ctx, parsed) {
        const items = await ctx.client().approvalConnectors.activity({ limit: int(parsed, "limit", 50) });
        if (ctx.printedRaw()) return;
        if (items.length === 0) return ctx.out.line("No connector activity found.");
        ctx.out.table(
          ["TIMESTAMP", "EVENT", "CONNECTOR", "REQUEST", "RESULT", "MESSAGE"],
          items.map((a) => [
            a.timestamp,
            a.event,
            a.connectorName || a.connectorId,
            a.requestId || a.actionId || a.runId,
            a.decision || (a.statusCode ? String(a.statusCode) : "-"),
            a.message,
          ]),
        );
      },
    },
  ],
};
