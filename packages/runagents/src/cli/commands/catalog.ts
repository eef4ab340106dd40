/**
 * @module
 * `runagents catalog list|show|versions|init|deploy`.
 */

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { urlPath } from "../../client/http.js";
import { isObject, obj, text, texts } from "../../client/parse.js";
import { CliError, checkDnsName, duration, flag, type Group, int, list, str, UsageError } from "../args.js";
import type { Ctx } from "../context.js";
import { reportDeploy, WAIT_OPTIONS } from "../deploy-outcome.js";
import { joined } from "../output.js";

async function manifest(ctx: Ctx, id: string, version: string | undefined): Promise<Record<string, unknown>> {
  return obj(await ctx.client().get(urlPath`/catalog/${id}`, version ? { version } : undefined));
}

function sourceFiles(m: Record<string, unknown>, id: string): Record<string, string> {
  const files = obj(m.deploymentTemplate).sourceFiles;
  if (!isObject(files) || Object.keys(files).length === 0) {
    throw new CliError(`catalog agent "${id}" has no deploymentTemplate.sourceFiles`);
  }
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, text(v)]));
}

/** The `POST /deploy` body for a catalog manifest and the deploy flags. */
export function catalogDeployBody(
  m: Record<string, unknown>,
  id: string,
  flags: { name?: string; tools: string[]; policies: string[]; model?: string; identityProvider?: string },
): Record<string, unknown> {
  const t = obj(m.deploymentTemplate);
  const name = flags.name?.trim() || text(t.agentName) || id;
  checkDnsName(name);
  const modelText = flags.model?.trim() || text(m.defaultModel);
  const [provider, ...rest] = modelText.includes("/") ? modelText.split("/") : ["openai", modelText];
  const body: Record<string, unknown> = {
    agent_name: name,
    source_files: sourceFiles(m, id),
    required_tools: flags.tools.length > 0 ? flags.tools : texts(t.requiredTools),
    policies: flags.policies.length > 0 ? flags.policies : texts(t.policies),
  };
  if (text(t.systemPrompt)) body.system_prompt = text(t.systemPrompt);
  const idp = flags.identityProvider?.trim() || text(t.identityProvider);
  if (idp) body.identity_provider = idp;
  if (modelText && provider && rest.join("/"))
    body.llm_configs = [{ provider, model: rest.join("/"), role: "default" }];
  return body;
}

export const catalog: Group = {
  name: "catalog",
  summary: "Browse and deploy catalog agents",
  commands: [
    {
      name: "list",
      summary: "List catalog agents",
      options: {
        search: { type: "string", value: "<text>", help: "free-text search" },
        category: { type: "string", multiple: true, value: "<name>", help: "filter by category" },
        tag: { type: "string", multiple: true, value: "<tag>", help: "filter by tag" },
        integration: { type: "string", multiple: true, value: "<name>", help: "filter by integration" },
        governance: { type: "string", multiple: true, value: "<trait>", help: "filter by governance trait" },
        page: { type: "string", value: "<n>", help: "page (default 1)" },
        "page-size": { type: "string", value: "<n>", help: "items per page (default 24)" },
      },
      async run(ctx, parsed) {
        const body = obj(
          await ctx.client().get("/catalog", {
            search: str(parsed, "search"),
            category: list(parsed, "category"),
            tag: list(parsed, "tag"),
            integration: list(parsed, "integration"),
            governance: list(parsed, "governance"),
            page: int(parsed, "page", 1, 1),
            page_size: int(parsed, "page-size", 24, 1),
          }),
        );
        if (ctx.printedRaw()) return;
        const items = Array.isArray(body.items) ? body.items.filter(isObject) : [];
        if (items.length === 0) return ctx.out.line("No catalog agents found.");
        ctx.out.table(
          ["ID", "NAME", "CATEGORY", "LATEST", "INTEGRATIONS"],
          items.map((i) => [
            text(i.id),
            text(i.name),
            text(i.category),
            text(i.latest_version) || text(i.version),
            texts(i.required_integrations ?? i.integrations).join(", "),
          ]),
        );
      },
    },
    {
      name: "show",
      summary: "Show a catalog agent's manifest",
      args: "<id>",
      min: 1,
      options: {
        version: { type: "string", value: "<version>", help: "a published version (default latest)" },
      },
      async run(ctx, parsed) {
        const id = parsed.positionals[0] ?? "";
        const m = await manifest(ctx, id, str(parsed, "version"));
        if (ctx.json) return ctx.out.json(m, true);
        const t = obj(m.deploymentTemplate);
        ctx.out.labels([
          ["Name", text(m.name)],
          ["ID", text(m.id)],
          ["Version", text(m.version)],
          ["Category", text(m.category)],
          ["Summary", text(m.summary)],
          ["Default Model", text(m.defaultModel) || "-"],
          ["Published", text(m.publishedAt) || "-"],
          ["Integrations", joined(texts(m.requiredIntegrations))],
          ["Governance", joined(texts(m.governanceTraits))],
          ["Identity", text(t.identityProvider) || undefined],
          ["Changelog", text(m.changelog) || undefined],
        ]);
        ctx.out.bullets("Required tools", texts(t.requiredTools));
        ctx.out.bullets("Recommended tools", texts(t.recommendedTools));
        ctx.out.bullets("Policies", texts(t.policies));
        ctx.out.bullets("Source files", Object.keys(obj(t.sourceFiles)));
      },
    },
    {
      name: "versions",
      summary: "List a catalog agent's published versions",
      args: "<id>",
      min: 1,
      async run(ctx, { positionals: [id = ""] }) {
        const body = await ctx.client().get(urlPath`/catalog/${id}/versions`);
        if (ctx.printedRaw()) return;
        const raw = isObject(body) ? body.versions : body;
        const items = Array.isArray(raw) ? raw.filter(isObject) : [];
        ctx.out.table(
          ["VERSION", "PUBLISHED", "SUMMARY"],
          items.map((v) => [text(v.version), text(v.published_at) || text(v.publishedAt), text(v.summary)]),
        );
      },
    },
    {
      name: "init",
      summary: "Write a catalog agent's source files into a folder",
      args: "<id> [dir]",
      min: 1,
      max: 2,
      options: {
        version: { type: "string", value: "<version>", help: "a published version (default latest)" },
        force: { type: "boolean", help: "overwrite existing files" },
      },
      async run(ctx, parsed) {
        const [id = "", dirArg] = parsed.positionals;
        const m = await manifest(ctx, id, str(parsed, "version"));
        const files = sourceFiles(m, id);
        const target = resolve(ctx.cwd, dirArg ?? id);
        const writes = { ...files, "runagents.catalog.json": `${JSON.stringify(m, null, 2)}\n` };
        if (!flag(parsed, "force")) {
          const clash = Object.keys(writes).find((f) => existsSync(join(target, f)));
          if (clash) throw new CliError(`${join(target, clash)} already exists (use --force to overwrite)`);
        }
        for (const [path, content] of Object.entries(writes)) {
          mkdirSync(dirname(join(target, path)), { recursive: true });
          writeFileSync(join(target, path), content);
        }
        if (ctx.json)
          return ctx.out.json({ target_dir: target, manifest: m, source_files: Object.keys(files) }, true);
        ctx.out.line(`Initialized ${text(m.name) || id} in ${target}`);
        ctx.out.line(`Wrote ${Object.keys(files).length} source files and runagents.catalog.json`);
      },
    },
    {
      name: "deploy",
      summary: "Deploy a catalog agent",
      args: "<id>",
      min: 1,
      options: {
        version: { type: "string", value: "<version>", help: "a published version (default latest)" },
        name: { type: "string", value: "<name>", help: "agent name (default: the template's)" },
        tool: {
          type: "string",
          multiple: true,
          value: "<name>",
          help: "required tool (replaces the template's)",
        },
        model: { type: "string", value: "<provider/model>", help: "model (default: the manifest's)" },
        policy: { type: "string", multiple: true, value: "<name>", help: "policy (replaces the template's)" },
        "identity-provider": { type: "string", value: "<name>", help: "identity provider" },
        "dry-run": { type: "boolean", help: "print the deploy request without sending it" },
        ...WAIT_OPTIONS,
      },
      async run(ctx, parsed) {
        const id = parsed.positionals[0] ?? "";
        const model = str(parsed, "model");
        if (model !== undefined && !/^[^/]+\/.+$/.test(model.trim())) {
          throw new UsageError(`invalid --model "${model}": expected provider/model`);
        }
        const m = await manifest(ctx, id, str(parsed, "version"));
        const body = catalogDeployBody(m, id, {
          name: str(parsed, "name"),
          tools: list(parsed, "tool"),
          policies: list(parsed, "policy"),
          model,
          identityProvider: str(parsed, "identity-provider"),
        });
        if (flag(parsed, "dry-run")) return ctx.out.json(body, true);
        duration(parsed, "timeout", 300_000); // a bad --timeout is refused before anything is sent
        await ctx.client().post("/deploy", body);
        await reportDeploy(ctx, text(body.agent_name), ctx.lastBody(), parsed);
      },
    },
  ],
};
