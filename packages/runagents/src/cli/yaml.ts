/**
 * @module
 * YAML through the optional peer dependency `yaml` (loaded on first use), and reading JSON or YAML
 * documents given with `--file`.
 */

import { readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { CliError } from "./args.js";

interface YamlModule {
  parse(text: string): unknown;
}

let loaded: YamlModule | undefined;

/** The `yaml` package, or a {@link CliError} saying how to install it. */
export async function loadYaml(): Promise<YamlModule> {
  if (loaded) return loaded;
  const specifier = "yaml";
  try {
    const mod = (await import(specifier)) as Partial<YamlModule> & { default?: Partial<YamlModule> };
    const parse = mod.parse ?? mod.default?.parse;
    if (typeof parse !== "function") throw new Error("yaml has no parse()");
    loaded = { parse };
    return loaded;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new CliError("reading YAML needs the optional dependency yaml: npm install yaml");
    }
    throw error;
  }
}

export async function parseYaml(text: string, name: string): Promise<unknown> {
  const yaml = await loadYaml();
  try {
    return yaml.parse(text);
  } catch (error) {
    const first = ((error as Error).message ?? "").split("\n")[0];
    throw new CliError(`${name} is not valid YAML: ${first}`);
  }
}

/** The text of `path` (relative to `cwd`), or a one-line error naming it. */
export function readText(cwd: string, path: string): string {
  try {
    return readFileSync(resolve(cwd, path), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : (error as Error).message;
    throw new CliError(`cannot read ${path}: ${why}`);
  }
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${name} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * A JSON or YAML document: `.yaml`/`.yml` are YAML, `.json` is JSON, anything else is tried as JSON
 * and then as YAML. With `jsonOnly`, the file must be JSON. The result must be an object.
 */
export async function readDocument(
  cwd: string,
  path: string,
  options: { jsonOnly?: boolean } = {},
): Promise<Record<string, unknown>> {
  const text = readText(cwd, path);
  const ext = extname(path).toLowerCase();
  let value: unknown;
  if (options.jsonOnly || ext === ".json") value = parseJson(text, path);
  else if (ext === ".yaml" || ext === ".yml") value = await parseYaml(text, path);
  else {
    try {
      value = JSON.parse(text);
    } catch {
      value = await parseYaml(text, path);
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CliError(`${path} must contain a JSON${options.jsonOnly ? "" : " or YAML"} object`);
  }
  return value as Record<string, unknown>;
}
