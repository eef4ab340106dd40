/**
 * @module
 * `runagents tools list|get|create|delete|test`.
 */

import { toTool } from "../../client/parse.js";
import { buildToolCreateBody } from "../../client/tools.js";
import type { ToolAuthType, ToolScheme } from "../../client/types.js";
import { CliError, type Group, int, type Parsed, str, UsageError } from "../args.js";
import type { Ctx } from "../context.js";
import { readDocument } from "../yaml.js";

const CREATE_FLAGS = ["name", "base-url", "description", "auth-type", "port", "scheme", "api-key-secret"];

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flagName: string,
): T | undefined {
  if (value === undefined) return undefined;
  const match = allowed.find((a) => a.toLowerCase() === value.trim().toLowerCase());
  if (!match) throw new UsageError(`invalid value "${value}" for --${flagName}: use ${allowed.join(", ")}`);
  return match;
}

/** The POST /tools body: the file as given, or the flat body built from flags. */
async function createBody(ctx: Ctx, parsed: Parsed): Promise<Record<string, unknown>> {
  const file = str(parsed, "file");
  const flagged = CREATE_FLAGS.filter((f) => parsed.values[f] !== undefined);
  if (file !== undefined) {
    if (flagged.length > 0) throw new UsageError(`--file cannot be combined with --${flagged[0]}`);
    return readDocument(ctx.cwd, file);
  }
  const name = str(parsed, "name")?.trim();
  const baseUrl = str(parsed, "base-url")?.trim();
  if (!name || !baseUrl) throw new UsageError("provide --file, or --name and --base-url");
  const apiKey = str(parsed, "api-key-secret");
  return buildToolCreateBody({
    name,
    baseUrl,
    description: str(parsed, "description") ?? "",
    authType: oneOf<ToolAuthType>(str(parsed, "auth-type"), ["None", "APIKey", "OAuth2"], "auth-type"),
    port: parsed.values.port === undefined ? undefined : int(parsed, "port", 443, 1),
    scheme: oneOf<ToolScheme>(str(parsed, "scheme"), ["HTTPS", "HTTP"], "scheme"),
    ...(apiKey ? { credentials: { apiKey } } : {}),
  });
}

export const tools: Group = {
  name: "tools",
  summary: "Manage tools",
  commands: [
    {
      name: "list",
      summary: "List tools",
      async run(ctx) {
        const list = await ctx.client().tools.list();
        if (ctx.printedRaw()) return;
        if (list.length === 0) return ctx.out.line("No tools found.");
        ctx.out.table(
          ["NAME", "TOPOLOGY", "BASE_URL", "ACCESS", "STATUS"],
          list.map((t) => [t.name, t.topology || "-", t.baseUrl, t.accessMode || "-", t.status || "-"]),
          4,
        );
      },
    },
    {
      name: "get",
      summary: "Show one tool",
      args: "<name>",
      min: 1,
      async run(ctx, { positionals: [name = ""] }) {
        const tool = await ctx.client().tools.get(name);
        if (ctx.printedRaw()) return;
        ctx.out.labels([
          ["Name", tool.name],
          ["Description", tool.description || undefined],
          ["Topology", tool.topology || "-"],
          ["Base URL", tool.baseUrl],
          ["Access", tool.accessMode || "-"],
          ["Status", ctx.out.status(tool.status || "-")],
          ["Auth", tool.authType || "None"],
        ]);
        if (tool.capabilities.length > 0) {
          ctx.out.line();
          ctx.out.table(
            ["CAPABILITY", "METHOD", "PATH", "RISK_TAGS"],
            tool.capabilities.map((c) => [c.name, c.method, c.path, c.riskTags.join(", ")]),
          );
        }
      },
    },
    {
      name: "create",
      summary: "Create or update a tool from a JSON/YAML file or from flags",
      options: {
        file: { type: "string", short: "f", value: "<file>", help: "tool document (JSON or YAML)" },
        name: { type: "string", value: "<name>", help: "tool name" },
        "base-url": { type: "string", value: "<url>", help: "the tool's base URL" },
        description: { type: "string", value: "<text>", help: "description" },
        "auth-type": { type: "string", value: "None|APIKey|OAuth2", help: "authentication (default None)" },
        port: { type: "string", value: "<port>", help: "port (default 443)" },
        scheme: { type: "string", value: "HTTPS|HTTP", help: "scheme (default HTTPS)" },
        "api-key-secret": {
          type: "string",
          value: "<key>",
          help: "API key the platform injects (stored encrypted)",
        },
      },
      async run(ctx, parsed) {
        const body = await createBody(ctx, parsed);
        const tool = toTool(await ctx.client().post("/tools", body));
        if (ctx.printedRaw()) return;
        const verb = ctx.lastStatus() === 201 ? "created" : "updated";
        ctx.out.line(`Tool "${tool.name || String(body.name ?? "")}" ${verb} successfully.`);
      },
    },
    {
      name: "delete",
      summary: "Delete a tool",
      args: "<name>",
      min: 1,
      async run(ctx, { positionals: [name = ""] }) {
        await ctx.client().tools.delete(name);
        ctx.out.line(`Tool "${name}" deleted.`);
      },
    },
    {
      name: "test",
      summary: "Probe a tool's base URL from the platform and record the result",
      args: "<name>",
      min: 1,
      async run(ctx, { positionals: [name = ""] }) {
        const probe = await ctx.client().tools.test(name);
        if (ctx.printedRaw()) return;
        const state = probe.reachable ? ctx.out.status("reachable") : ctx.out.status("unreachable");
        ctx.out.line(`Tool "${name}" is ${state} (HTTP ${probe.statusCode}, ${probe.latencyMs} ms).`);
        if (!probe.reachable) throw new CliError(`tool "${name}" is unreachable`);
      },
    },
  ],
};
