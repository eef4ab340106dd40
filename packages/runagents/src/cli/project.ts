/**
 * @module
 * The agent project on disk: `runagents.yaml`, and the source files `deploy` and `analyze --dir`
 * upload (what `.gitignore` and the usual build folders leave, never dotfiles such as `.env`).
 */

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, isAbsolute, join, relative, resolve, sep } from "node:path";
import { CliError } from "./args.js";
import { parseYaml } from "./yaml.js";

export interface ProjectConfig {
  /** The file it was read from. */
  file: string;
  name: string;
  tools: string[];
  model: { provider: string; model: string } | undefined;
  systemPrompt: string;
  entryPoint: string;
  policies: string[];
  identityProvider: string;
}

const SKIP_DIRS = new Set(["node_modules", "dist", "build", "coverage", "out"]);
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|json|ya?ml|txt)$/i;
const LOCK_FILES = new Set(["package-lock.json", "yarn.lock", "pnpm-lock.yaml", "npm-shrinkwrap.json"]);
/** The platform's limits (POST /deploy `source_files`). */
export const MAX_FILES = 200;
export const MAX_BYTES = 5 * 1024 * 1024;

const asString = (value: unknown): string => (typeof value === "string" ? value.trim() : "");

function names(value: unknown, what: string, file: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new CliError(`${file}: ${what} must be a list`);
  return value
    .map((item) =>
      typeof item === "object" && item !== null
        ? asString((item as { name?: unknown }).name)
        : asString(item),
    )
    .filter((n) => n !== "");
}

/** Reads `runagents.yaml` (or `.yml`) in `dir`. */
export async function readProject(dir: string): Promise<ProjectConfig> {
  const file = ["runagents.yaml", "runagents.yml"].find((f) => existsSync(join(dir, f)));
  if (!file) throw new CliError("runagents.yaml not found. Run 'runagents init' first.");
  const doc = await parseYaml(readFileSync(join(dir, file), "utf8"), file);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new CliError(`${file} must be a YAML mapping`);
  }
  const d = doc as Record<string, unknown>;
  let model: ProjectConfig["model"];
  if (typeof d.model === "string" && d.model.trim() !== "") {
    const [provider = "", ...rest] = d.model.trim().split("/");
    model = rest.length > 0 ? { provider, model: rest.join("/") } : { provider: "openai", model: provider };
  } else if (d.model && typeof d.model === "object") {
    const m = d.model as Record<string, unknown>;
    if (asString(m.model)) model = { provider: asString(m.provider) || "openai", model: asString(m.model) };
  }
  return {
    file,
    name: asString(d.name),
    tools: names(d.tools, "tools", file),
    model,
    systemPrompt: typeof d.system_prompt === "string" ? d.system_prompt.trim() : "",
    entryPoint: asString(d.entry_point) || "agent.ts",
    policies: names(d.policies, "policies", file),
    identityProvider: asString(d.identity_provider),
  };
}

/** `.gitignore` lines as predicates on a relative path (`/`-separated) and whether it is a dir. */
function ignoreRules(dir: string): ((path: string, isDir: boolean) => boolean)[] {
  let text = "";
  try {
    text = readFileSync(join(dir, ".gitignore"), "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("!"))
    .map((line) => {
      const dirOnly = line.endsWith("/");
      const pattern = line.replace(/\/+$/, "");
      const anchored = pattern.startsWith("/") || pattern.includes("/");
      const source = pattern
        .replace(/^\//, "")
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*\*/g, "\u0000")
        .replace(/\*/g, "[^/]*")
        .replace(/\?/g, "[^/]")
        .replaceAll("\u0000", ".*");
      const regex = new RegExp(anchored ? `^${source}$` : `(^|/)${source}$`);
      return (path: string, isDir: boolean) => (!dirOnly || isDir) && regex.test(path);
    });
}

/**
 * The project's source files, `{relative/path: content}`, sorted: source extensions only, skipping
 * dotfiles, `node_modules`, `dist`, `build`, `coverage`, `out`, lock files and `.gitignore` matches.
 */
export function collectSources(dir: string): Record<string, string> {
  const rules = ignoreRules(dir);
  const ignored = (path: string, isDir: boolean) => rules.some((rule) => rule(path, isDir));
  const found: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.name.startsWith(".")) continue;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name) && !ignored(path, true)) walk(path);
      } else if (
        entry.isFile() &&
        SOURCE.test(entry.name) &&
        !LOCK_FILES.has(entry.name) &&
        !ignored(path, false)
      ) {
        found.push(path);
      }
    }
  };
  walk("");
  found.sort();
  if (found.length > MAX_FILES) {
    throw new CliError(
      `the project has ${found.length} source files; the platform accepts at most ${MAX_FILES}`,
    );
  }
  const files: Record<string, string> = {};
  let total = 0;
  for (const path of found) {
    const content = readFileSync(join(dir, path), "utf8");
    total += Buffer.byteLength(content);
    if (total > MAX_BYTES) throw new CliError(`the project's source files exceed 5 MiB (at ${path})`);
    files[path] = content;
  }
  return files;
}

/**
 * The `source_files` key for a `--file` path: relative paths lose `./` and use `/`; absolute paths
 * inside `cwd` become relative; paths outside `cwd` collapse to their base name.
 */
export function sourceKey(cwd: string, path: string): string {
  const absolute = isAbsolute(path) ? path : resolve(cwd, path);
  const rel = relative(cwd, absolute);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return basename(path);
  return rel.split(sep).join("/");
}

/** `{key: content}` for `--file` paths; two paths with the same key are an error. */
export function readFiles(cwd: string, paths: readonly string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of paths) {
    const key = sourceKey(cwd, path);
    if (key in files) throw new CliError(`duplicate source file key "${key}" (from ${path})`);
    const absolute = resolve(cwd, path);
    if (!existsSync(absolute) || !statSync(absolute).isFile())
      throw new CliError(`cannot read ${path}: no such file`);
    files[key] = readFileSync(absolute, "utf8");
  }
  return files;
}
