/**
 * @module
 * `runagents init [name]`: scaffold a TypeScript agent project in `./<name>` (or in the current
 * folder with `.`). Never overwrites a file.
 */

import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { CliError, type Command, checkDnsName } from "../args.js";
import { packageRoot, packageVersion } from "../package-root.js";
import { renderProject } from "../templates.js";

export const init: Command = {
  name: "init",
  summary: "Create a new agent project (agent.ts, runagents.yaml, package.json, ...)",
  args: "[name]",
  max: 1,
  details: 'The project goes into ./<name> (default my-agent); use "." for the current folder.',
  run(ctx, { positionals: [arg = "my-agent"] }) {
    const here = arg === ".";
    const target = here ? ctx.cwd : resolve(ctx.cwd, arg);
    const name = checkDnsName(here ? basename(ctx.cwd) : basename(target), "project name");
    const files = renderProject({ name, sdkRoot: packageRoot(), sdkVersion: packageVersion() });

    if (existsSync(target)) {
      if (!statSync(target).isDirectory()) throw new CliError(`'${arg}' exists and is not a directory`);
      const clash = Object.keys(files).find((f) => existsSync(join(target, f)));
      if (clash) {
        const shown = here ? clash : `${arg}/${clash}`;
        throw new CliError(`${shown} already exists; refusing to overwrite`);
      }
    }
    mkdirSync(target, { recursive: true });
    for (const [path, content] of Object.entries(files))
      writeFileSync(join(target, path), content, { flag: "wx" });

    const shownDir = here ? "./" : `${arg.replace(/\/+$/, "")}/`;
    ctx.out.line(`Created project '${shownDir}' with:`);
    for (const file of Object.keys(files).sort()) ctx.out.line(`  ${file}`);
    const others = readdirSync(target).filter((f) => !(f in files));
    if (others.length > 0)
      ctx.out.line(`(kept ${others.length} existing file${others.length === 1 ? "" : "s"})`);
    ctx.out.line();
    ctx.out.line("Next steps:");
    if (!here) ctx.out.line(`  cd ${arg}`);
    ctx.out.line("  npm install");
    ctx.out.line("  runagents dev        # agent on :8080, mock tools on :9090");
    ctx.out.line("  runagents deploy     # deploy to the platform (runagents up starts one locally)");
  },
};
