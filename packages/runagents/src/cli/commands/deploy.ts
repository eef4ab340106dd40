/**
 * @module
 * `runagents deploy`: from `runagents.yaml` and the project's sources (no flags), or from flags
 * (`--name` plus exactly one of `--file`, `--draft-id`, `--artifact-id`). Shows progress on stderr
 * and waits until the deployed version is `Running` unless `--no-wait` (see `../deploy-outcome.ts`).
 */

import { buildDeployBody } from "../../client/agents.js";
import type { DeployInput } from "../../client/types.js";
import { RunAgentsValidationError } from "../../errors.js";
import {
  CliError,
  type Command,
  checkDnsName,
  duration,
  list,
  type Parsed,
  str,
  UsageError,
} from "../args.js";
import type { Ctx } from "../context.js";
import { reportDeploy, WAIT_OPTIONS } from "../deploy-outcome.js";
import { collectSources, readFiles, readProject } from "../project.js";
import { readText } from "../yaml.js";

function parseModel(value: string): { provider: string; model: string } {
  const slash = value.indexOf("/");
  const provider = value.slice(0, slash).trim();
  const model = value.slice(slash + 1).trim();
  if (slash < 0 || !provider || !model)
    throw new UsageError(`invalid --model "${value}": expected provider/model`);
  return { provider, model };
}

/** The deploy input from flags only (B7), or from runagents.yaml with flags overriding it. */
async function deployInput(ctx: Ctx, parsed: Parsed): Promise<DeployInput> {
  const files = list(parsed, "file");
  const draftId = str(parsed, "draft-id")?.trim() ?? "";
  const artifactId = str(parsed, "artifact-id")?.trim() ?? "";
  const sources = [files.length > 0, draftId !== "", artifactId !== ""].filter(Boolean).length;
  if (sources > 1)
    throw new UsageError("provide only one deploy source: --file, --draft-id, or --artifact-id");
  const model = str(parsed, "model");
  const common = {
    requiredTools: list(parsed, "tool"),
    policies: list(parsed, "policy"),
    identityProvider: str(parsed, "identity-provider"),
    llmConfigs: model === undefined ? undefined : [parseModel(model)],
    entryPoint: str(parsed, "entry-point"),
    framework: str(parsed, "framework"),
  };
  const requirementsFile = str(parsed, "requirements-file");
  const requirements = requirementsFile === undefined ? undefined : readText(ctx.cwd, requirementsFile);
  if (sources === 1) {
    const name = str(parsed, "name")?.trim();
    if (!name) throw new UsageError("--name is required with --file, --draft-id or --artifact-id");
    if (files.length === 0 && (requirements !== undefined || common.entryPoint || common.framework)) {
      throw new UsageError("--requirements-file, --entry-point and --framework can only be used with --file");
    }
    const sourceFiles = files.length > 0 ? readFiles(ctx.cwd, files) : undefined;
    return { name: checkDnsName(name), sourceFiles, draftId, artifactId, requirements, ...common };
  }
  const project = await readProject(ctx.cwd);
  const name = str(parsed, "name")?.trim() || project.name;
  if (!name) throw new CliError(`${project.file} has no name (or pass --name)`);
  const sourceFiles = collectSources(ctx.cwd);
  const entryPoint = common.entryPoint || project.entryPoint;
  if (!(entryPoint in sourceFiles)) throw new CliError(`entry point ${entryPoint} not found in the project`);
  return {
    ...common,
    name: checkDnsName(name),
    sourceFiles,
    requirements,
    entryPoint,
    systemPrompt: project.systemPrompt || undefined,
    requiredTools: common.requiredTools.length > 0 ? common.requiredTools : project.tools,
    policies: common.policies.length > 0 ? common.policies : project.policies,
    identityProvider: common.identityProvider ?? project.identityProvider,
    llmConfigs: common.llmConfigs ?? (project.model ? [project.model] : undefined),
  };
}

/** Advisory analysis: warns about secrets; a failure only warns. */
async function analyse(ctx: Ctx, files: Record<string, string>): Promise<void> {
  ctx.err.line(`Analyzing ${Object.keys(files).length} source file(s)...`);
  try {
    const result = await ctx.client().analyze(files);
    for (const s of result.secrets) {
      ctx.err.line(ctx.err.paint("yellow", `  warning: possible secret (${s.type}) in ${s.file}:${s.line}`));
    }
  } catch (error) {
    ctx.err.line(`  analysis skipped: ${(error as Error).message}`);
  }
}

export const deploy: Command = {
  name: "deploy",
  summary: "Deploy an agent from runagents.yaml (no flags) or from flags",
  options: {
    name: { type: "string", value: "<name>", help: "agent name (default: runagents.yaml name)" },
    file: { type: "string", short: "f", multiple: true, value: "<path>", help: "a source file to upload" },
    "draft-id": { type: "string", value: "<id>", help: "deploy a deploy draft" },
    "artifact-id": { type: "string", value: "<id>", help: "deploy a workflow artifact" },
    tool: { type: "string", multiple: true, value: "<name>", help: "required tool" },
    model: { type: "string", value: "<provider/model>", help: "the default model" },
    policy: { type: "string", multiple: true, value: "<name>", help: "policy to bind" },
    "identity-provider": { type: "string", value: "<name>", help: "identity provider for end users" },
    "requirements-file": { type: "string", value: "<file>", help: "dependency list sent as requirements" },
    "entry-point": { type: "string", value: "<file>", help: "the entry file (default from runagents.yaml)" },
    framework: { type: "string", value: "<name>", help: "framework hint" },
    ...WAIT_OPTIONS,
  },
  details:
    "Without a source flag, deploy reads runagents.yaml and uploads the project's source files\n" +
    "(skipping dotfiles, node_modules, dist and .gitignore matches).",
  async run(ctx, parsed) {
    duration(parsed, "timeout", 300_000); // a bad --timeout is refused before anything is sent
    const input = await deployInput(ctx, parsed);
    let body: Record<string, unknown>;
    try {
      body = buildDeployBody(input);
    } catch (error) {
      if (error instanceof RunAgentsValidationError) throw new CliError(error.message);
      throw error;
    }
    const files = input.sourceFiles ?? {};
    if (Object.keys(files).length > 0) await analyse(ctx, files);
    const bytes = Object.values(files).reduce((n, c) => n + Buffer.byteLength(c), 0);
    const what =
      Object.keys(files).length > 0
        ? ` (${Object.keys(files).length} files, ${(bytes / 1024).toFixed(1)} KiB)`
        : "";
    ctx.err.line(`Uploading to ${ctx.client().endpoint}${what}...`);
    await ctx.client().post("/deploy", body);
    await reportDeploy(ctx, input.name, ctx.lastBody(), parsed);
  },
};
