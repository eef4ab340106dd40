/**
 * @module
 * Help text for the root, for a command group and for a leaf command.
 */

import { type Command, GLOBAL_OPTIONS, type Group, isGroup, type Options } from "./args.js";

export interface FamilyInfo {
  name: string;
  summary: string;
}

function optionLines(options: Options): string[] {
  const rows = Object.entries(options).map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : "    ";
    const value = spec.type === "string" ? ` ${spec.value ?? "<value>"}` : "";
    const repeat = spec.multiple ? " (repeatable)" : "";
    return [`${short}--${name}${value}`, `${spec.help}${repeat}`] as const;
  });
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

function listLines(items: readonly FamilyInfo[]): string[] {
  const width = Math.max(0, ...items.map((i) => i.name.length));
  return items.map((i) => `  ${i.name.padEnd(width)}  ${i.summary}`);
}

export function rootHelp(families: readonly FamilyInfo[], version: string): string {
  return [
    `runagents ${version}: build, run, deploy and govern AI agents.`,
    "",
    "Usage:",
    "  runagents <command> [subcommand] [flags]",
    "",
    "Commands:",
    ...listLines(families),
    "",
    "Talk to a deployed agent:",
    '  runagents invoke my-agent "Hello"   one run: the reply, its run id and status',
    "  runagents chat my-agent             a conversation, one line per turn",
    "  runagents agents logs my-agent -f   its log lines as they are written",
    "",
    "Global flags:",
    ...optionLines({ ...GLOBAL_OPTIONS, version: { type: "boolean", help: "print the version" } }),
    "",
    'Run "runagents <command> --help" for more about a command.',
    "",
  ].join("\n");
}

export function groupHelp(path: string, group: Group): string {
  return [
    group.summary,
    "",
    "Usage:",
    `  ${path} <command> [flags]`,
    "",
    "Commands:",
    ...listLines(group.commands.map((c) => ({ name: c.name, summary: c.summary }))),
    "",
    "Global flags:",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    `Run "${path} <command> --help" for more about a command.`,
    "",
  ].join("\n");
}

export function commandHelp(path: string, command: Command): string {
  const lines = [command.summary, "", "Usage:", `  ${path}${command.args ? ` ${command.args}` : ""} [flags]`];
  if (command.options && Object.keys(command.options).length > 0) {
    lines.push("", "Flags:", ...optionLines(command.options));
  }
  lines.push("", "Global flags:", ...optionLines(GLOBAL_OPTIONS));
  if (command.details) lines.push("", command.details);
  lines.push("");
  return lines.join("\n");
}

/** Help for any node. */
export function nodeHelp(path: string, node: Command | Group): string {
  return isGroup(node) ? groupHelp(path, node) : commandHelp(path, node);
}
