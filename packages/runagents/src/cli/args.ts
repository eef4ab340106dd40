/**
 * @module
 * The CLI's command model (groups of leaf commands), flag parsing on top of `node:util` `parseArgs`,
 * and the two error kinds the entry point turns into one `Error: ...` line: {@link UsageError}
 * (exit 2) and {@link CliError} (exit 1).
 */

import { parseArgs } from "node:util";
import type { Ctx } from "./context.js";

/** A mistake in how the command was typed: unknown command or flag, missing argument. Exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The command ran and failed; the message is one line for stderr. Exit code 1. */
export class CliError extends Error {
  override name = "CliError";
}

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** Placeholder shown in help, e.g. `<file>`. */
  value?: string;
  help: string;
}

export type Options = Readonly<Record<string, OptionSpec>>;

export interface Parsed {
  values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  positionals: string[];
}

export interface Command {
  name: string;
  summary: string;
  /** Positional arguments as shown in usage, e.g. `<name>` or `[name]`. */
  args?: string;
  /** Positional count bounds. @default 0 and `min` */
  min?: number;
  max?: number;
  options?: Options;
  /** Extra help text printed after the flags. */
  details?: string;
  /** `-o/--output` may also name a file to write to (anything other than table or json). */
  outputFile?: boolean;
  run(ctx: Ctx, parsed: Parsed): Promise<void> | void;
}

export interface Group {
  name: string;
  summary: string;
  commands: (Command | Group)[];
}

export const isGroup = (node: Command | Group): node is Group => "commands" in node;

/** Flags every command accepts. */
export const GLOBAL_OPTIONS: Options = {
  endpoint: {
    type: "string",
    value: "<url>",
    help: "platform URL (overrides config and RUNAGENTS_ENDPOINT)",
  },
  "api-key": { type: "string", value: "<key>", help: "API key (overrides config and RUNAGENTS_API_KEY)" },
  output: { type: "string", short: "o", value: "table|json", help: "output format (default table)" },
  help: { type: "boolean", short: "h", help: "show help for this command" },
};

/** Global flags that take a value (they and their value are skipped when finding the command). */
const VALUE_FLAGS = new Set(["--endpoint", "--api-key", "--output", "-o"]);

/** Indexes of the command words in `argv`: tokens that are neither global flags nor their values. */
export function commandWordIndexes(argv: readonly string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? "";
    if (token === "--") break;
    if (token.startsWith("-")) {
      if (VALUE_FLAGS.has(token)) i++;
      continue;
    }
    out.push(i);
  }
  return out;
}

/** Rewrites parseArgs' messages into short cobra-style ones. */
function usageFromParseError(error: unknown): UsageError {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code ?? "";
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return new UsageError(`unknown flag: ${unknown[1]}`);
  const missing = /Option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(message);
  if (missing) return new UsageError(`flag needs an argument: ${missing[1]}`);
  const takes = /Option '(?:-\w, )?(--[\w-]+)[^']*' does not take an argument/.exec(message);
  if (takes) return new UsageError(`flag ${takes[1]} does not take a value`);
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return new UsageError("unexpected argument");
  return new UsageError(message.split("\n")[0] ?? message);
}

/** Parse `argv` (command words removed) against the command's and the global flags. */
export function parseCommandArgs(argv: string[], options: Options = {}): Parsed {
  const clash = Object.keys(options).find((name) => name in GLOBAL_OPTIONS);
  if (clash) throw new Error(`internal: the command flag --${clash} shadows a global flag`);
  const all = { ...GLOBAL_OPTIONS, ...options };
  const config: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(all)) {
    config[name] = { type: spec.type };
    if (spec.short) config[name].short = spec.short;
    if (spec.multiple) config[name].multiple = true;
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options: config, allowPositionals: true });
    return { values, positionals };
  } catch (error) {
    throw usageFromParseError(error);
  }
}

/** Check the positional count of a leaf command. */
export function checkPositionals(path: string, command: Command, positionals: readonly string[]): void {
  const min = command.min ?? 0;
  const max = command.max ?? min;
  const n = positionals.length;
  if (n < min) {
    const what = command.args ? `: ${command.args}` : "";
    throw new UsageError(`"${path}" requires ${min} argument${min === 1 ? "" : "s"}${what} (got ${n})`);
  }
  if (n > max) {
    const extra = positionals[max] ?? "";
    if (max === 0) throw new UsageError(`"${path}" takes no arguments (got "${extra}")`);
    throw new UsageError(`"${path}" accepts at most ${max} argument${max === 1 ? "" : "s"} (got ${n})`);
  }
}

export function str(parsed: Parsed, name: string): string | undefined {
  const value = parsed.values[name];
  return typeof value === "string" ? value : undefined;
}

export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

/** A repeatable flag; each value may also be a comma-separated list. Trimmed, empties dropped. */
export function list(parsed: Parsed, name: string): string[] {
  const value = parsed.values[name];
  const raw = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return raw
    .flatMap((v) => String(v).split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/** A whole number flag (`>= min`), or `fallback` when absent. */
export function int(parsed: Parsed, name: string, fallback: number, min = 0): number {
  const raw = str(parsed, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min) {
    throw new UsageError(`invalid value "${raw}" for --${name}: expected a whole number >= ${min}`);
  }
  return Number(raw);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style duration (`500ms`, `2s`, `5m`, `1h30m`) in milliseconds; a bare number means seconds. */
export function parseDuration(text: string, flagName: string): number {
  const raw = text.trim();
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000;
  const parts = [...raw.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (raw === "" || parts.map((p) => p[0]).join("") !== raw) {
    throw new UsageError(`invalid duration "${text}" for --${flagName}: use e.g. 500ms, 30s, 5m or 1h`);
  }
  return parts.reduce((total, p) => total + Number(p[1]) * (UNITS[p[2] ?? "s"] ?? 1000), 0);
}

/** A duration flag, or `fallback` ms when absent. */
export function duration(parsed: Parsed, name: string, fallbackMs: number): number {
  const raw = str(parsed, name);
  return raw === undefined ? fallbackMs : parseDuration(raw, name);
}

/** `<name>` must be a DNS-1123 label (lower-case letters, digits, `-`; at most 63 characters). */
export function checkDnsName(name: string, what = "agent name"): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw new CliError(
      `invalid ${what} "${name}": use lower-case letters, digits and "-", start and end with a letter ` +
        "or digit, at most 63 characters",
    );
  }
  return name;
}
