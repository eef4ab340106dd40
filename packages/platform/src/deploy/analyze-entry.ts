/**
 * @module
 * Entry-point detection.
 *
 * A file qualifies, best first, by what it exports: `handler` (`export function handler`,
 * `export const handler`, `export { x as handler }`, `exports.handler =`; Python a top-level
 * `def handler(`), then a default export that is a function (`export default function`,
 * `export default async (…) =>`, `export default someFunction`, `module.exports = function`),
 * then `main` (`function main`, `const main`, Python `def main(` or `if __name__ == …`), then
 * merely a conventional name. Ties break on the file name (agent, index, main, app, handler,
 * server, then anything), then the folder (root, `src/`, deeper), then the extension (TypeScript,
 * JavaScript, Python), then the path. Tests (`*.test.*`, `*.spec.*`, `test/`, `tests/`,
 * `__tests__/`) and `.d.ts` files never qualify.
 */

import { baseName, type SourceFile } from "./analyze-scan.js";

/** How the runtime invokes the user code: `builtin` means the prebuilt tool loop alone. */
export type Adapter = "handler" | "default-export" | "main" | "builtin";

export interface EntryPoint {
  /** The file path, or "" when no file qualifies. */
  readonly path: string;
  readonly adapter: Adapter;
  readonly language: "js" | "python" | null;
}

const CONVENTIONAL_NAMES = ["agent", "index", "main", "app", "handler", "server"];
const KIND_ORDER: readonly Adapter[] = ["handler", "default-export", "main", "builtin"];

const JS_HANDLER = [
  /^[ \t]*export[ \t]+(?:async[ \t]+)?function\*?[ \t]+handler\b/m,
  /^[ \t]*export[ \t]+(?:const|let|var)[ \t]+handler\b/m,
  /\b(?:module\.)?exports\.handler[ \t]*=/,
  /\bmodule\.exports[ \t]*=[ \t]*\{[^}]{0,2000}?\bhandler\b/,
];
const JS_DEFAULT = [
  /^[ \t]*export[ \t]+default[ \t]+(?!class\b|new\b|[{["'`\d])[\w(]/m,
  /\bmodule\.exports[ \t]*=[ \t]*(?:async[ \t]+)?(?:function\b|\()/,
];
const JS_MAIN = [
  /^[ \t]*(?:export[ \t]+)?(?:async[ \t]+)?function\*?[ \t]+main\b/m,
  /^[ \t]*(?:export[ \t]+)?(?:const|let|var)[ \t]+main\b/m,
];
const JS_EXPORT_LIST = /^[ \t]*export[ \t]*\{([^}]{0,2000})\}/gm;
const PY_HANDLER = [/^(?:async[ \t]+)?def[ \t]+handler[ \t]*\(/m];
const PY_MAIN = [/^(?:async[ \t]+)?def[ \t]+main[ \t]*\(/m, /^if[ \t]+__name__[ \t]*==/m];

const EXCLUDED =
  /(?:^|\/)(?:test|tests|__tests__)\/|\.(?:test|spec)\.[cm]?[jt]sx?$|\.d\.[cm]?ts$|(?:^|\/)test_[^/]*\.py$/;

/** The best entry point among `sources`, with the adapter its exports imply. */
export function findEntryPoint(sources: readonly SourceFile[]): EntryPoint {
  let best: { rank: readonly (number | string)[]; entry: EntryPoint } | null = null;
  for (const file of sources) {
    if (file.language === "other" || EXCLUDED.test(file.path)) continue;
    const adapter = adapterOf(file);
    const stem = stemOf(file.path);
    const nameRank = CONVENTIONAL_NAMES.indexOf(stem);
    if (adapter === "builtin" && nameRank < 0) continue;
    const rank = [
      KIND_ORDER.indexOf(adapter),
      nameRank < 0 ? CONVENTIONAL_NAMES.length : nameRank,
      folderRank(file.path),
      extensionRank(file.path),
      file.path,
    ];
    if (best === null || compareRanks(rank, best.rank) < 0) {
      best = { rank, entry: { path: file.path, adapter, language: file.language } };
    }
  }
  return best?.entry ?? { path: "", adapter: "builtin", language: null };
}

function adapterOf(file: SourceFile): Adapter {
  const code = file.code;
  if (file.language === "python") {
    if (PY_HANDLER.some((re) => re.test(code))) return "handler";
    if (PY_MAIN.some((re) => re.test(code))) return "main";
    return "builtin";
  }
  const listed = exportListNames(code);
  if (listed.has("handler") || JS_HANDLER.some((re) => re.test(code))) return "handler";
  if (listed.has("default") || JS_DEFAULT.some((re) => re.test(code))) return "default-export";
  if (listed.has("main") || JS_MAIN.some((re) => re.test(code))) return "main";
  return "builtin";
}

/** Exported names of `export { a, b as c }` lists (the name after `as` wins). */
function exportListNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const match of code.matchAll(JS_EXPORT_LIST)) {
    for (const part of (match[1] ?? "").split(",")) {
      const words = part.trim().split(/\s+/);
      const exported = words[words.length - 1];
      if (exported) names.add(exported);
    }
  }
  return names;
}

function stemOf(path: string): string {
  const name = baseName(path);
  const dot = name.indexOf(".");
  return (dot < 0 ? name : name.slice(0, dot)).toLowerCase();
}

function folderRank(path: string): number {
  if (!path.includes("/")) return 0;
  return /^src\/[^/]+$/.test(path) ? 1 : 2;
}

function extensionRank(path: string): number {
  if (/\.[cm]?tsx?$/.test(path)) return 0;
  if (/\.[cm]?jsx?$/.test(path)) return 1;
  return 2;
}

function compareRanks(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
