/**
 * @module deploy/build
 * The local "build": materialise an agent's source files into
 * `<dataDir>/agents/<ws>/<agent>/v<version>/`, install the npm dependencies the sources declare
 * (only then), transpile TypeScript, and link `node_modules/runagents` to the platform's own
 * copy of the package. The result is a directory the runtime can run with `USER_ENTRY_POINT`
 * set to a plain `.js` file. A finished build leaves `.runagents-build.json` (`{version, digest,
 * entry}`), so a platform restart reuses it instead of building again.
 *
 * Entry point: the explicit `entry_point`, else `runagents.yaml`'s `entry_point` / `entrypoint`,
 * else the analyzer's detection (`""` means no user code: the runtime's built-in tool loop).
 * A Python entry point cannot run here (the runtime is Node.js) and fails the build.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve, sep } from "node:path";
import { type InstallOptions, npmInstall } from "./npm-install.js";
import { javaScriptPath, transpileSources } from "./transpile.js";

export const BUILD_MARKER = ".runagents-build.json";

export class BuildError extends Error {
  override name = "BuildError";
}

export interface BuildInput {
  /** `<dataDir>/agents/<ws>/<agent>` */
  agentDir: string;
  version: number;
  digest: string;
  files: Record<string, string>;
  /** The entry point chosen at deploy (explicit, runagents.yaml or detected); "" for none. */
  entryPoint: string;
  runagentsDir: string;
  /** Where the TypeScript code cache is kept. */
  cacheDir: string | undefined;
  install: Omit<InstallOptions, "cwd">;
}

export interface BuildOutput {
  dir: string;
  /** The JavaScript entry relative to `dir` (`USER_ENTRY_POINT`), or "" for the built-in loop. */
  entry: string;
  /** Whether `npm install` ran. */
  installed: boolean;
}

export const versionDir = (agentDir: string, version: number): string => join(agentDir, `v${version}`);

/** The entry point named by `runagents.yaml` (`entry_point:` or `entrypoint:`), or "". */
export function yamlEntryPoint(files: Record<string, string>): string {
  const yaml = files["runagents.yaml"] ?? files["runagents.yml"];
  if (yaml === undefined) return "";
  const match = /^(?:entry_point|entrypoint)[ \t]*:[ \t]*["']?([^"'#\r\n]*?)["']?[ \t]*(?:#.*)?$/m.exec(yaml);
  return match?.[1]?.trim() ?? "";
}

/** A finished build of this version and digest, if there is one. */
export function existingBuild(agentDir: string, version: number, digest: string): BuildOutput | undefined {
  const dir = versionDir(agentDir, version);
  try {
    const marker = JSON.parse(readFileSync(join(dir, BUILD_MARKER), "utf8")) as Record<string, unknown>;
    if (marker.version !== version || marker.digest !== digest || typeof marker.entry !== "string")
      return undefined;
    return { dir, entry: marker.entry, installed: marker.installed === true };
  } catch {
    return undefined;
  }
}

export async function buildAgent(input: BuildInput): Promise<BuildOutput> {
  const dir = versionDir(input.agentDir, input.version);
  const entry = checkEntry(input.files, input.entryPoint);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = Object.keys(input.files);
  for (const path of paths) {
    const target = resolve(dir, path);
    if (!target.startsWith(dir + sep))
      throw new BuildError(`source file path "${path}" leaves the agent directory`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, input.files[path] as string);
  }
  const manifest = readManifest(input.files);
  const dependencies = Object.keys(manifest.dependencies ?? {}).filter((d) => d !== "runagents");
  writeManifest(dir, manifest, paths);
  const transpiled = transpileSources(dir, paths, {
    commonjs: manifest.type === "commonjs",
    cacheDir: input.cacheDir,
  });
  if (transpiled.errors.length > 0) throw new BuildError(transpiled.errors.join("\n"));
  let installed = false;
  if (dependencies.length > 0) {
    const result = await npmInstall({ ...input.install, cwd: dir });
    if (!result.ok) throw new BuildError(result.message);
    installed = true;
  }
  linkRunagents(dir, input.runagentsDir);
  const jsEntry = entry ? javaScriptPath(entry) : "";
  writeFileSync(
    join(dir, BUILD_MARKER),
    `${JSON.stringify({ version: input.version, digest: input.digest, entry: jsEntry, installed })}\n`,
  );
  return { dir, entry: jsEntry, installed };
}

function checkEntry(files: Record<string, string>, entryPoint: string): string {
  if (!entryPoint) return "";
  if (!(entryPoint in files)) {
    throw new BuildError(`entry point "${entryPoint}" is not one of the source files`);
  }
  if (/\.pyw?$/i.test(entryPoint)) {
    throw new BuildError(
      `entry point "${entryPoint}" is Python: the local platform runs agents on the Node.js runtime (TypeScript or JavaScript)`,
    );
  }
  if (!/\.(c|m)?[jt]s$/.test(entryPoint) || /\.d\.(c|m)?ts$/.test(entryPoint)) {
    throw new BuildError(`entry point "${entryPoint}" must be a .ts, .mts, .cts, .js, .mjs or .cjs file`);
  }
  return entryPoint;
}

interface Manifest {
  [key: string]: unknown;
  type?: unknown;
  dependencies?: Record<string, unknown>;
}

function readManifest(files: Record<string, string>): Manifest {
  const text = files["package.json"];
  if (text === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BuildError(`package.json is not valid JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new BuildError("package.json must be a JSON object");
  }
  const manifest = parsed as Manifest;
  const deps = manifest.dependencies;
  if (deps !== undefined && (deps === null || typeof deps !== "object" || Array.isArray(deps))) {
    throw new BuildError("package.json dependencies must be an object");
  }
  return manifest;
}

/**
 * The package.json the agent runs with: the uploaded one without its `runagents` dependency
 * (linked, never installed), and `"type": "module"` when TypeScript was compiled to ES modules
 * and the project did not choose; a project without one gets a minimal one.
 */
function writeManifest(dir: string, manifest: Manifest, paths: readonly string[]): void {
  const hasTs = paths.some((p) => /\.ts$/.test(p) && !p.endsWith(".d.ts"));
  if (!paths.includes("package.json") && !hasTs) return;
  const out: Manifest = { ...manifest };
  if (out.dependencies) {
    const { runagents: _linked, ...rest } = out.dependencies;
    out.dependencies = rest;
  }
  if (out.type === undefined && hasTs) out.type = "module";
  if (out.private === undefined) out.private = true;
  writeFileSync(join(dir, "package.json"), `${JSON.stringify(out, null, 2)}\n`);
}

/** Points `node_modules/runagents` of a build at the platform's copy of the package. */
export function linkRunagents(dir: string, runagentsDir: string): void {
  const modules = join(dir, "node_modules");
  mkdirSync(modules, { recursive: true });
  const link = join(modules, "runagents");
  rmSync(link, { recursive: true, force: true });
  symlinkSync(runagentsDir, link, "dir");
}
