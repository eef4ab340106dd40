/**
 * @module deploy/transpile
 * TypeScript to JavaScript for a materialised agent: every `.ts`/`.mts`/`.cts` source (not
 * `.d.ts`, not tests' type-only files) is transpiled with `ts.transpileModule` (no type check,
 * like the runtime's own loader) into a `.js`/`.mjs`/`.cjs` beside it, so the runtime runs plain
 * JavaScript and starts without loading a compiler. A JavaScript file the user uploaded under the
 * same name wins. `.ts` files become ES modules unless the project's package.json says
 * `"type": "commonjs"`. Syntax errors fail the build, one line each: `agent.ts(3,7): error
 * TS1005: ',' expected.`
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadTypeScript, saveTypeScriptCache, type TypeScriptApi } from "./typescript-loader.js";

const TS_SOURCE = /\.(c|m)?ts$/;
const DECLARATION = /\.d\.(c|m)?ts$/;

export interface TranspileOutcome {
  /** Relative paths of the JavaScript files written. */
  outputs: string[];
  /** One line per syntax error; empty when the build succeeded. */
  errors: string[];
}

export const isTypeScriptSource = (path: string): boolean => TS_SOURCE.test(path) && !DECLARATION.test(path);

/** `agent.ts` → `agent.js`, `x.mts` → `x.mjs`, `x.cts` → `x.cjs`; other paths unchanged. */
export function javaScriptPath(path: string): string {
  if (!isTypeScriptSource(path)) return path;
  return path.replace(TS_SOURCE, (_m, kind: string | undefined) => (kind ? `.${kind}js` : ".js"));
}

export function transpileSources(
  dir: string,
  paths: readonly string[],
  options: { commonjs: boolean; cacheDir: string | undefined },
): TranspileOutcome {
  const sources = paths.filter(isTypeScriptSource);
  if (sources.length === 0) return { outputs: [], errors: [] };
  const ts = loadTypeScript(options.cacheDir);
  const uploaded = new Set(paths);
  const outputs: string[] = [];
  const errors: string[] = [];
  for (const path of sources) {
    const target = javaScriptPath(path);
    if (uploaded.has(target)) continue;
    const commonjs = path.endsWith(".cts") || (path.endsWith(".ts") && options.commonjs);
    const result = ts.transpileModule(readFileSync(join(dir, path), "utf8"), {
      fileName: path,
      reportDiagnostics: true,
      compilerOptions: {
        module: commonjs ? ts.ModuleKind.CommonJS : ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        experimentalDecorators: true,
        useDefineForClassFields: true,
        sourceMap: false,
        inlineSourceMap: false,
      },
    });
    const problems = (result.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (problems.length > 0) {
      errors.push(...problems.map((d) => describe(ts, path, d)));
      continue;
    }
    writeFileSync(join(dir, target), result.outputText);
    outputs.push(target);
  }
  saveTypeScriptCache();
  return { outputs, errors };
}

function describe(ts: TypeScriptApi, path: string, d: import("typescript").Diagnostic): string {
  const text = ts.flattenDiagnosticMessageText(d.messageText, " ");
  if (d.file && d.start !== undefined) {
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${path}(${line + 1},${character + 1}): error TS${d.code}: ${text}`;
  }
  return `${path}: error TS${d.code}: ${text}`;
}
