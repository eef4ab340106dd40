#!/usr/bin/env node
/**
 * @module
 * `runagents`: the CLI entry point. Finds the command, parses its flags, runs it, and turns any
 * failure into one `Error: ...` line on stderr (exit 2 for usage errors, 1 otherwise).
 */

import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { APIError, RunAgentsConnectionError } from "../errors.js";
import { exitQuietlyOnBrokenPipe } from "../internal/broken-pipe.js";
import {
  CliError,
  type Command,
  checkPositionals,
  commandWordIndexes,
  type Group,
  isGroup,
  parseCommandArgs,
  str,
  UsageError,
} from "./args.js";
import { ALIASES, FAMILIES } from "./families.js";
import { nodeHelp, rootHelp } from "./help.js";
import type { Writable } from "./output.js";
import { packageVersion } from "./package-root.js";

export interface Io {
  stdout: Writable;
  stderr: Writable;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

const familyList = () => Object.entries(FAMILIES).map(([name, f]) => ({ name, summary: f.summary }));

/** Walk the command words down to a leaf (or a group when the words run out). */
async function resolve(
  argv: readonly string[],
  words: readonly number[],
): Promise<{ node: Command | Group; path: string; used: Set<number> }> {
  const first = argv[words[0] ?? -1] ?? "";
  const name = ALIASES[first] ?? first;
  const family = FAMILIES[name];
  if (!family) throw new UsageError(`unknown command "${first}" for "runagents" (see "runagents --help")`);
  let node = await family.load();
  let path = `runagents ${name}`;
  const used = new Set([words[0] ?? -1]);
  for (let k = 1; isGroup(node); k++) {
    const index = words[k];
    if (index === undefined) break;
    const word = argv[index] ?? "";
    const child: Command | Group | undefined = node.commands.find((c) => c.name === word);
    if (!child) throw new UsageError(`unknown command "${word}" for "${path}" (see "${path} --help")`);
    node = child;
    path += ` ${word}`;
    used.add(index);
  }
  return { node, path, used };
}

/** Runs the CLI; resolves to the exit code, rejects with the error to print. */
export async function main(argv: string[], io: Io): Promise<number> {
  const words = commandWordIndexes(argv);
  if (words.length === 0) {
    const parsed = parseCommandArgs(argv, { version: { type: "boolean", help: "print the version" } });
    if (parsed.values.version === true) io.stdout.write(`runagents ${packageVersion()}\n`);
    else io.stdout.write(rootHelp(familyList(), packageVersion()));
    return 0;
  }
  if (argv[words[0] ?? 0] === "help") {
    const rest = words.slice(1);
    if (rest.length === 0) io.stdout.write(rootHelp(familyList(), packageVersion()));
    else {
      const { node, path } = await resolve(argv, rest);
      io.stdout.write(nodeHelp(path, node));
    }
    return 0;
  }

  const { node, path, used } = await resolve(argv, words);
  const rest = argv.filter((_, i) => !used.has(i));
  if (isGroup(node)) {
    parseCommandArgs(rest);
    io.stdout.write(nodeHelp(path, node));
    return 0;
  }
  const parsed = parseCommandArgs(rest, node.options);
  if (parsed.values.help === true) {
    io.stdout.write(nodeHelp(path, node));
    return 0;
  }
  checkPositionals(path, node, parsed.positionals);
  const requested = str(parsed, "output") ?? "table";
  const toFile = requested !== "table" && requested !== "json" && node.outputFile === true;
  const output = toFile ? "table" : requested;
  if (output !== "table" && output !== "json") {
    throw new UsageError(`invalid output format "${output}": use table or json`);
  }
  const { Ctx } = await import("./context.js");
  const ctx = new Ctx({
    env: io.env,
    cwd: io.cwd,
    stdout: io.stdout,
    stderr: io.stderr,
    flags: {
      endpoint: str(parsed, "endpoint"),
      apiKey: str(parsed, "api-key"),
      output,
      ...(toFile ? { outputFile: requested } : {}),
    },
  });
  try {
    await node.run(ctx, parsed);
  } catch (error) {
    if (error instanceof RunAgentsConnectionError) {
      const endpoint = ctx.config().endpoint;
      throw new CliError(
        `${error.message} (is a platform running at ${endpoint}? start one with "runagents up")`,
      );
    }
    if (error instanceof APIError && error.status === 401) {
      throw new CliError(`${describeError(error)} (${ctx.apiKeyHint()})`);
    }
    throw error;
  }
  return ctx.exitCode;
}

/** The one line printed for an error (without the `Error: ` prefix). */
export function describeError(error: unknown): string {
  if (error instanceof APIError) {
    const detail = error.detail;
    let text: string;
    if (typeof detail === "string") text = detail.trim() || "(empty response)";
    else if (
      detail &&
      typeof detail === "object" &&
      typeof (detail as { error?: unknown }).error === "string"
    )
      text = (detail as { error: string }).error;
    else text = JSON.stringify(detail);
    return `API error (HTTP ${error.status}): ${text}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]?.trim() || "unknown error";
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  exitQuietlyOnBrokenPipe();
  const io: Io = { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
  main(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`Error: ${describeError(error)}\n`);
      if (io.env.RUNAGENTS_DEBUG && error instanceof Error && error.stack)
        process.stderr.write(`${error.stack}\n`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    },
  );
}
