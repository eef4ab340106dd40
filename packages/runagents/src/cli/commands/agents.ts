/**
 * @module
 * `runagents agents list|get|config get|config update|delete|logs|invoke` (`invoke` is
 * `runagents invoke`).
 */

import { urlPath } from "../../client/http.js";
import { isObject, text } from "../../client/parse.js";
import { flag, type Group, int, str, UsageError } from "../args.js";
import type { Ctx } from "../context.js";
import { joined, usd } from "../output.js";
import { readDocument } from "../yaml.js";
import { invoke } from "./invoke.js";

/** `[namespace] <name>`: the last positional is the name. */
const nameOf = (positionals: readonly string[]): string => positionals[positionals.length - 1] ?? "";

function llmText(raw: unknown): string | undefined {
  if (!isObject(raw)) return undefined;
  const configs = Array.isArray(raw.llm_configs) ? raw.llm_configs.filter(isObject) : [];
  const list = configs.length > 0 ? configs : isObject(raw.llm_config) ? [raw.llm_config] : [];
  if (list.length === 0) return undefined;
  return list.map((c) => [text(c.provider), text(c.model)].filter(Boolean).join("/")).join(", ");
}

/** Log lines from whatever shape the logs endpoint answers with. */
export function logLines(body: unknown): string[] {
  const items = isObject(body) ? (body.lines ?? body.logs ?? body.entries) : body;
  if (typeof items === "string") return items.split("\n").filter((l) => l !== "");
  if (!Array.isArray(items)) return typeof body === "string" ? body.split("\n").filter(Boolean) : [];
  return items.map((item) => {
    if (!isObject(item)) return String(item);
    const line = text(item.line) || text(item.message) || text(item.text) || JSON.stringify(item);
    const stamp = text(item.timestamp) || text(item.time);
    const stream = text(item.stream);
    return [stamp, stream && `[${stream}]`, line].filter(Boolean).join(" ");
  });
}

/** The last `tail` log lines of an agent: `GET /agents/{name}/logs?tail=N`. */
export async function fetchLogs(ctx: Ctx, name: string, tail: number): Promise<string[]> {
  return logLines(await ctx.client().get(urlPath`/agents/${name}/logs`, { tail }));
}

async function showConfig(ctx: Ctx, name: string): Promise<void> {
  const config = await ctx.client().agents.getConfig(name);
  if (ctx.printedRaw()) return;
  ctx.out.labels([
    ["Agent", config.agentName],
    ["Namespace", config.namespace],
    ["Image", config.image || "-"],
    ["Prompt", config.systemPrompt || undefined],
    ["Identity", config.identityProvider || undefined],
    ["Tools", joined(config.requiredTools)],
    ["Policies", joined(config.policies)],
  ]);
  ctx.out.line();
  ctx.out.line("Model configuration");
  ctx.out.table(
    ["ROLE", "PROVIDER", "MODEL", "BUDGET"],
    config.llmConfigs.map((c) => [c.role, c.modelProvider || c.provider, c.model, usd(c.monthlyBudgetUsd)]),
  );
  ctx.out.line();
  ctx.out.line("Current model usage");
  ctx.out.table(
    ["LABEL", "MODEL", "SPEND", "BUDGET", "REMAINING", "STATUS"],
    config.modelUsage.map((u) => [
      u.label,
      u.model,
      usd(u.estimatedSpendUsd),
      usd(u.monthlyBudgetUsd),
      usd(u.remainingBudgetUsd),
      u.status,
    ]),
    5,
  );
}

export const agents: Group = {
  name: "agents",
  summary: "Manage deployed agents",
  commands: [
    {
      name: "list",
      summary: "List agents",
      async run(ctx) {
        const list = await ctx.client().agents.list();
        if (ctx.printedRaw()) return;
        if (list.length === 0) return ctx.out.line("No agents found.");
        ctx.out.table(
          ["NAME", "STATUS", "IMAGE"],
          list.map((a) => [a.name, a.status, a.image || "-"]),
          1,
        );
      },
    },
    {
      name: "get",
      summary: "Show one agent",
      args: "[namespace] <name>",
      min: 1,
      max: 2,
      async run(ctx, { positionals }) {
        const agent = await ctx.client().agents.get(nameOf(positionals));
        if (ctx.printedRaw()) return;
        ctx.out.labels([
          ["Name", agent.name],
          ["Namespace", agent.namespace],
          ["Status", ctx.out.status(agent.status)],
          ["Image", agent.image || "-"],
          ["Tools", agent.requiredTools.length > 0 ? agent.requiredTools.join(", ") : undefined],
          ["LLM", llmText(ctx.lastBody())],
          ["Created", agent.createdAt || undefined],
        ]);
      },
    },
    {
      name: "config",
      summary: "Show or update an agent's configuration",
      commands: [
        {
          name: "get",
          summary: "Show an agent's model configuration and usage",
          args: "[namespace] <name>",
          min: 1,
          max: 2,
          run: (ctx, { positionals }) => showConfig(ctx, nameOf(positionals)),
        },
        {
          name: "update",
          summary: "Update an agent's configuration from a JSON file (PUT, fields as given)",
          args: "[namespace] <name>",
          min: 1,
          max: 2,
          options: {
            file: { type: "string", short: "f", value: "<file>", help: "configuration JSON (required)" },
          },
          async run(ctx, parsed) {
            const file = str(parsed, "file");
            if (!file) throw new UsageError("--file is required");
            const name = nameOf(parsed.positionals);
            const body = await readDocument(ctx.cwd, file, { jsonOnly: true });
            await ctx.client().put(urlPath`/agents/${name}/config`, body);
            if (ctx.printedRaw()) return;
            ctx.out.line(`Agent "${name}" configuration updated.`);
          },
        },
      ],
    },
    {
      name: "delete",
      summary: "Delete an agent",
      args: "[namespace] <name>",
      min: 1,
      max: 2,
      async run(ctx, { positionals }) {
        const name = nameOf(positionals);
        await ctx.client().agents.delete(name);
        const ns = positionals.length === 2 ? `${positionals[0]}/` : "";
        ctx.out.line(`Agent ${ns}${name} deleted.`);
      },
    },
    {
      name: "logs",
      summary: "Print an agent's recent log lines (--follow: keep printing new ones)",
      args: "<name>",
      min: 1,
      options: {
        tail: { type: "string", value: "<n>", help: "number of lines (default 100)" },
        follow: {
          type: "boolean",
          short: "f",
          help: "keep printing new lines as the agent writes them, until Ctrl-C",
        },
      },
      details:
        "With --follow the lines of crash restarts and redeploys keep coming (the platform's own\n" +
        "[runagents] lines say what happened). It stops on Ctrl-C or SIGTERM (exit 0), and with a\n" +
        "one-line error (exit 1) when the agent is deleted or the platform goes away.",
      async run(ctx, parsed) {
        if (flag(parsed, "follow")) {
          const { followLogs } = await import("../follow-logs.js");
          return followLogs(ctx, nameOf(parsed.positionals), int(parsed, "tail", 100, 0));
        }
        const lines = await fetchLogs(ctx, nameOf(parsed.positionals), int(parsed, "tail", 100, 1));
        if (ctx.printedRaw()) return;
        if (lines.length === 0) return ctx.out.line("No log lines.");
        for (const line of lines) ctx.out.line(line);
      },
    },
    invoke,
  ],
};
