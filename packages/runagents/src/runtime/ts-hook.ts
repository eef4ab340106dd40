/**
 * @module
 * Module-loader hooks (`module.register()`, Node 20.6+) that run TypeScript entry points without a
 * build step:
 * - `load` transpiles `.ts` / `.mts` files outside `node_modules` to ESM with the optional peer
 *   dependency `typescript` (`ts.transpileModule`: no type check, just as Node's type stripping);
 * - `resolve` maps `./x.js` to `./x.ts` (and extensionless `./x` to `./x.ts` / `./x/index.ts`) when
 *   only the TypeScript file exists, so sources written for `tsc` + NodeNext import as they are.
 * With `typescript: null` (Node's own type stripping is on) only `resolve` does anything.
 */

import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

interface TypeScriptApi {
  transpileModule(
    input: string,
    options: { fileName: string; compilerOptions: Record<string, unknown>; reportDiagnostics?: boolean },
  ): { outputText: string };
  ModuleKind: { ESNext: number };
  ScriptTarget: { ES2022: number };
}

export interface TsHookData {
  /** `file:` URL of the `typescript` package entry, or `null` to leave `.ts` to Node. */
  typescript: string | null;
}

interface ResolveContext {
  parentURL?: string;
  conditions?: readonly string[];
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}

let ts: TypeScriptApi | undefined;

const TS_FILE = /\.m?ts$/;

export async function initialize(data: TsHookData | undefined): Promise<void> {
  if (!data?.typescript) return;
  const mod = (await import(data.typescript)) as { default?: TypeScriptApi } & Partial<TypeScriptApi>;
  ts = mod.default ?? (mod as TypeScriptApi);
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: (specifier: string, context: ResolveContext) => Promise<ResolveResult>,
): Promise<ResolveResult> {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const parent = context.parentURL;
    if (!parent?.startsWith("file:") || parent.includes("/node_modules/") || !isRelative(specifier))
      throw error;
    for (const candidate of candidates(specifier)) {
      const url = new URL(candidate, parent);
      const path = fileURLToPath(url);
      if (existsSync(path) && statSync(path).isFile()) return { url: url.href, shortCircuit: true };
    }
    throw error;
  }
}

export async function load(
  url: string,
  context: { format?: string | null },
  nextLoad: (url: string, context: { format?: string | null }) => Promise<LoadResult>,
): Promise<LoadResult> {
  if (
    !ts ||
    !url.startsWith("file:") ||
    url.includes("/node_modules/") ||
    !TS_FILE.test(new URL(url).pathname)
  ) {
    return nextLoad(url, context);
  }
  const fileName = fileURLToPath(url);
  const output = ts.transpileModule(await readFile(fileName, "utf8"), {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      isolatedModules: true,
      inlineSourceMap: true,
    },
  });
  return { format: "module", source: output.outputText, shortCircuit: true };
}

function isRelative(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../") || specifier.startsWith("file:");
}

function candidates(specifier: string): string[] {
  if (specifier.endsWith(".js")) return [`${specifier.slice(0, -3)}.ts`];
  if (specifier.endsWith(".mjs")) return [`${specifier.slice(0, -4)}.mts`];
  if (/\.[a-z]+$/i.test(specifier.split("/").pop() ?? "")) return [];
  return [`${specifier}.ts`, `${specifier}/index.ts`, `${specifier}.js`, `${specifier}/index.js`];
}
