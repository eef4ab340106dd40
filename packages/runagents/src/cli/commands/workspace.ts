/**
 * @module
 * Workspace-wide commands: `analyze`, `starter-kit`, `context export`, `action validate|apply`.
 */

import { isObject, texts } from "../../client/parse.js";
import { APIError } from "../../errors.js";
import { CliError, type Command, flag, type Group, list, str, UsageError } from "../args.js";
import type { Ctx } from "../context.js";
import { collectSources, readFiles } from "../project.js";
import { readDocument } from "../yaml.js";

export const analyze: Command = {
  name: "analyze",
  summary: "Detect tools, models, secrets and requirements in source files",
  options: {
    file: { type: "string", short: "f", multiple: true, value: "<file>", help: "a source file" },
    dir: { type: "string", value: "<dir>", help: "analyze a project folder (as deploy would upload it)" },
  },
  async run(ctx, parsed) {
    const paths = list(parsed, "file");
    const dir = str(parsed, "dir");
    if (paths.length === 0 && dir === undefined)
      throw new UsageError("provide at least one --file, or --dir");
    const files = { ...(dir === undefined ? {} : collectSources(dir)), ...readFiles(ctx.cwd, paths) };
    if (Object.keys(files).length === 0) throw new CliError(`no source files found in ${dir}`);
    const result = await ctx.client().analyze(files);
    if (ctx.printedRaw()) return;
    ctx.out.labels([
      ["Framework", result.framework || "-"],
      ["Runtime", result.runtimeFamily || "-"],
      ["Entry Point", result.entryPoint || "(none)"],
    ]);
    ctx.out.line();
    ctx.out.bullets(
      "Detected Tools",
      result.tools.map((t) => `${t.name || "(unnamed)"} ${t.baseUrl} (${t.file}:${t.line})`),
    );
    ctx.out.line();
    ctx.out.line("Model Usages:");
    if (result.modelUsages.length === 0) ctx.out.line("  (none)");
    else {
      ctx.out.table(
        ["ROLE", "MODEL", "FILE", "LINE"],
        result.modelUsages.map((u) => [u.role, u.variableName, u.file, String(u.line)]),
      );
    }
    ctx.out.line();
    ctx.out.bullets(
      "Secrets Detected",
      result.secrets.map((s) => `${s.file}:${s.line} ${s.type}${s.severity ? ` (${s.severity})` : ""}`),
    );
    ctx.out.line();
    ctx.out.bullets("Detected Requirements", result.detectedRequirements);
    ctx.out.line();
    ctx.out.bullets(
      "Outbound Destinations",
      result.outboundDestinations.map((d) => (typeof d === "string" ? d : JSON.stringify(d))),
    );
  },
};

export const starterKit: Command = {
  name: "starter-kit",
  summary: "Seed the starter kit: echo-tool and playground-llm (idempotent)",
  async run(ctx) {
    const result = await ctx.client().seedStarterKit();
    if (ctx.printedRaw()) return;
    ctx.out.line("Starter kit seeded successfully.");
    const tools = texts(result.tools_created ?? (result.tool_created ? [result.tool_created] : []));
    const models = texts(
      result.model_providers_created ??
        (result.model_provider_created ? [result.model_provider_created] : []),
    );
    if (tools.length > 0) ctx.out.line(`Tools created: ${tools.join(", ")}`);
    if (models.length > 0) ctx.out.line(`Model providers created: ${models.join(", ")}`);
    if (typeof result.message === "string" && result.message) ctx.out.line(`Message: ${result.message}`);
  },
};

const CONTEXT_PARTS: readonly [string, string][] = [
  ["agents", "/agents"],
  ["tools", "/tools"],
  ["model_providers", "/model-providers"],
  ["policies", "/policies"],
  ["identity_providers", "/identity-providers"],
  ["approval_connectors", "/approval-connectors"],
  ["approvals", "/approvals/requests"],
  ["deploy_drafts", "/deploy-drafts"],
];

async function exportContext(ctx: Ctx, strict: boolean): Promise<Record<string, unknown>> {
  const client = ctx.client();
  const errors: Record<string, string> = {};
  let doc: Record<string, unknown>;
  try {
    doc = await client.exportContext();
  } catch (error) {
    if (strict || !(error instanceof APIError)) throw error;
    doc = {};
    errors.context_export = error.message;
  }
  const resources = isObject(doc.resources) ? { ...doc.resources } : {};
  const meta: Record<string, unknown> = isObject(doc.meta) ? { ...doc.meta } : {};
  for (const [key, path] of CONTEXT_PARTS) {
    if (!(key in resources)) {
      try {
        resources[key] = await client.get(path);
      } catch (error) {
        if (strict) throw new CliError(`failed to fetch ${key} from ${path}: ${(error as Error).message}`);
        errors[key] = (error as Error).message;
        continue;
      }
    }
    const value = resources[key];
    if (!(`${key}_count` in meta)) {
      meta[`${key}_count`] = Array.isArray(value)
        ? value.length
        : isObject(value)
          ? Object.keys(value).length
          : 0;
    }
  }
  const out: Record<string, unknown> = {
    generated_at: new Date().toISOString(),
    endpoint: client.endpoint,
    ...doc,
    resources,
  };
  if (Object.keys(meta).length > 0) out.meta = meta;
  const allErrors = { ...(isObject(doc.errors) ? doc.errors : {}), ...errors };
  if (Object.keys(allErrors).length > 0) out.errors = allErrors;
  else delete out.errors;
  return out;
}

export const context: Group = {
  name: "context",
  summary: "Export the workspace context",
  commands: [
    {
      name: "export",
      summary: "Print every resource of the workspace as one JSON document",
      options: { strict: { type: "boolean", help: "fail when any part cannot be fetched" } },
      async run(ctx, parsed) {
        ctx.out.json(await exportContext(ctx, flag(parsed, "strict")), !ctx.json);
      },
    },
  ],
};

async function readPlan(ctx: Ctx, file: string | undefined): Promise<Record<string, unknown>> {
  if (!file) throw new UsageError("--file is required");
  const plan = await readDocument(ctx.cwd, file, { jsonOnly: true });
  if (Object.keys(plan).length === 0) throw new CliError(`${file} is an empty plan`);
  return plan;
}

const FILE_OPTION = {
  file: { type: "string", short: "f", value: "<plan.json>", help: "the action plan (required)" },
} as const;

export const action: Group = {
  name: "action",
  summary: "Validate and apply action plans",
  commands: [
    {
      name: "validate",
      summary: "Check an action plan without changing anything",
      options: FILE_OPTION,
      async run(ctx, parsed) {
        const result = await ctx.client().actions.validate(await readPlan(ctx, str(parsed, "file")));
        if (ctx.printedRaw()) return;
        ctx.out.labels([
          ["Plan", result.planId || "-"],
          ["Namespace", result.namespace || "-"],
          ["Status", ctx.out.status(result.valid ? "VALID" : "INVALID")],
        ]);
        for (const r of result.results) {
          ctx.out.line(`- [${r.valid ? "OK" : "FAIL"}] ${r.id || "(no-id)"} (${r.type})`);
          if (r.resourceRef) ctx.out.line(`  resource: ${r.resourceRef}`);
          if (r.errors.length > 0) ctx.out.line(`  errors: ${r.errors.join("; ")}`);
        }
        if (!result.valid) throw new CliError("the action plan is invalid");
      },
    },
    {
      name: "apply",
      summary: "Apply an action plan",
      options: FILE_OPTION,
      async run(ctx, parsed) {
        const result = await ctx.client().actions.apply(await readPlan(ctx, str(parsed, "file")));
        if (ctx.printedRaw()) return;
        ctx.out.labels([
          ["Plan", result.planId || "-"],
          ["Namespace", result.namespace || "-"],
          ["Status", ctx.out.status(result.applied ? "APPLIED" : "FAILED")],
          ["Applied", String(result.appliedCount)],
          ["Failed", String(result.failedCount)],
        ]);
        for (const r of result.results) {
          ctx.out.line(`- [${r.status.toUpperCase()}] ${r.id || "(no-id)"} (${r.type})`);
          if (r.resourceRef) ctx.out.line(`  resource: ${r.resourceRef}`);
          if (r.error) ctx.out.line(`  error: ${r.error}`);
        }
        if (!result.applied) throw new CliError("the action plan was not fully applied");
      },
    },
  ],
};
