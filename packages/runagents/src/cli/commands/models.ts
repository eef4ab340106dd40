/**
 * @module
 * `runagents models list|get|create|delete|spend` (model providers and this month's spend).
 */

import { buildModelProviderBody } from "../../client/models.js";
import { toModelProvider } from "../../client/parse.js";
import type { ModelSpendItem } from "../../client/types.js";
import { type Group, list, type Parsed, str, UsageError } from "../args.js";
import type { Ctx } from "../context.js";
import { joined, usd } from "../output.js";
import { readDocument } from "../yaml.js";

async function createBody(ctx: Ctx, parsed: Parsed): Promise<Record<string, unknown>> {
  const file = str(parsed, "file");
  const flagged = ["name", "provider", "models", "provider-endpoint", "api-key-secret"].filter(
    (f) => parsed.values[f] !== undefined,
  );
  if (file !== undefined) {
    if (flagged.length > 0) throw new UsageError(`--file cannot be combined with --${flagged[0]}`);
    return readDocument(ctx.cwd, file);
  }
  const name = str(parsed, "name")?.trim();
  const provider = str(parsed, "provider")?.trim();
  const models = list(parsed, "models");
  if (!name || !provider || models.length === 0) {
    throw new UsageError("provide --file, or --name, --provider and --models");
  }
  return buildModelProviderBody({
    name,
    provider,
    models,
    endpoint: str(parsed, "provider-endpoint"),
    apiKey: str(parsed, "api-key-secret"),
  });
}

function spendRows(items: readonly ModelSpendItem[]): string[][] {
  return items.map((i) => [
    i.agentName,
    i.label,
    i.model,
    usd(i.estimatedSpendUsd),
    usd(i.monthlyBudgetUsd),
    usd(i.remainingBudgetUsd),
    i.status,
  ]);
}

const SPEND_HEADERS = ["AGENT", "LABEL", "MODEL", "SPEND", "BUDGET", "REMAINING", "STATUS"];

export const models: Group = {
  name: "models",
  summary: "Manage model providers and spend",
  commands: [
    {
      name: "list",
      summary: "List model providers",
      async run(ctx) {
        const providers = await ctx.client().models.list();
        if (ctx.printedRaw()) return;
        if (providers.length === 0) return ctx.out.line("No model providers found.");
        ctx.out.table(
          ["NAME", "PROVIDER", "MODELS", "STATUS"],
          providers.map((p) => [p.name, p.provider, p.models.join(", "), p.status || "-"]),
          3,
        );
      },
    },
    {
      name: "get",
      summary: "Show one model provider",
      args: "<name>",
      min: 1,
      async run(ctx, { positionals: [name = ""] }) {
        const p = await ctx.client().models.get(name);
        if (ctx.printedRaw()) return;
        ctx.out.labels([
          ["Name", p.name],
          ["Provider", p.provider],
          ["Models", joined(p.models)],
          ["Status", ctx.out.status(p.status || "-")],
          ["Endpoint", p.endpoint || "-"],
        ]);
      },
    },
    {
      name: "create",
      summary: "Create or update a model provider from a file or from flags",
      options: {
        file: { type: "string", short: "f", value: "<file>", help: "provider document (JSON or YAML)" },
        name: { type: "string", value: "<name>", help: "provider name" },
        provider: { type: "string", value: "<kind>", help: "openai, anthropic, bedrock or ollama" },
        models: { type: "string", multiple: true, value: "<model,...>", help: "model names" },
        "provider-endpoint": { type: "string", value: "<url>", help: "the provider's API base URL" },
        "api-key-secret": { type: "string", value: "<key>", help: "provider API key (stored encrypted)" },
      },
      async run(ctx, parsed) {
        const body = await createBody(ctx, parsed);
        const provider = toModelProvider(await ctx.client().post("/model-providers", body));
        if (ctx.printedRaw()) return;
        const verb = ctx.lastStatus() === 201 ? "created" : "updated";
        ctx.out.line(`Model provider "${provider.name || String(body.name ?? "")}" ${verb} successfully.`);
      },
    },
    {
      name: "delete",
      summary: "Delete a model provider",
      args: "<name>",
      min: 1,
      async run(ctx, { positionals: [name = ""] }) {
        await ctx.client().models.delete(name);
        ctx.out.line(`Model provider "${name}" deleted.`);
      },
    },
    {
      name: "spend",
      summary: "Show this month's model spend and budgets",
      async run(ctx) {
        const spend = await ctx.client().modelSpend.get();
        if (ctx.printedRaw()) return;
        const s = spend.summary;
        ctx.out.labels([
          ["Period", s.periodStart ? `${s.periodStart} to ${s.periodEnd}` : undefined],
          ["Estimated spend", usd(s.totalEstimatedSpendUsd)],
          ["Configured budget", usd(s.totalBudgetUsd)],
          ["Remaining budget", usd(s.remainingBudgetUsd)],
          ["Budgeted models", String(s.budgetedModelCount)],
          ["Near budget", String(s.nearBudgetCount)],
          ["Budget reached", String(s.blockedCount)],
          ["Uncapped spend", s.uncappedSpendUsd > 0 ? usd(s.uncappedSpendUsd) : undefined],
        ]);
        for (const [title, items] of [
          ["Warnings", spend.warnings],
          ["Top models", spend.topModels],
        ] as const) {
          ctx.out.line();
          ctx.out.line(title);
          if (items.length === 0) ctx.out.line("  (none)");
          else ctx.out.table(SPEND_HEADERS, spendRows(items), 6);
        }
      },
    },
  ],
};
