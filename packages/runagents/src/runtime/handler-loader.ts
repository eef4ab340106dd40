/**
 * @module
 * Finds and imports the user's module (`USER_ENTRY_POINT`, TypeScript or JavaScript) and picks its
 * handler: the named export `handler`, else a default-exported function, else `main` (a CommonJS
 * module's `module.exports.handler` / `.main` count too). Import failures are not hidden: the caller
 * reports them on `/healthz` and `/invoke` instead of falling back to the built-in loop.
 */

import { existsSync, statSync } from "node:fs";
import { extname, isAbsolute, resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { type Callable, type HandlerShape, handlerShape } from "./handler-params.js";
import { detectTsSupport, enableTypeScript, TS_ENTRY, type TsSupport } from "./ts-loader.js";

export interface LoadedHandler {
  readonly fn: Callable;
  readonly shape: HandlerShape;
  /** Which export was used: `handler`, `default`, `main`, or `function` (passed to `serve()`). */
  readonly source: string;
}

/** The user module could not be found or imported, or has no handler. */
export class HandlerLoadError extends Error {
  readonly code = "HANDLER_LOAD_ERROR";

  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "HandlerLoadError";
  }
}

export interface LoadOptions {
  /** `RUNAGENTS_USER_CODE_DIR`: searched first for a relative entry point. */
  userCodeDir?: string;
  /** Default `process.cwd()`. */
  cwd?: string;
  /** Injectable for tests: how TypeScript can be run. */
  detectTs?: (searchDirs: readonly string[]) => TsSupport;
}

/** A handler given directly (e.g. `serve({ handler })`). */
export function describeHandler(fn: Callable, source = "function"): LoadedHandler {
  return { fn, shape: handlerShape(fn), source };
}

export async function loadUserHandler(entry: string, options: LoadOptions = {}): Promise<LoadedHandler> {
  const cwd = options.cwd ?? process.cwd();
  const dirs = [...new Set([options.userCodeDir, cwd, "/app"].filter((d): d is string => !!d))];
  const path = findEntry(entry, dirs);
  if (path === undefined) {
    throw new HandlerLoadError(`entry point ${entry} not found (looked in ${dirs.join(", ")})`);
  }
  if (TS_ENTRY.test(path)) {
    const userDir = resolvePath(path, "..");
    enableTypeScript(entry, userDir, (options.detectTs ?? detectTsSupport)([userDir, ...dirs]));
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new HandlerLoadError(`failed to import ${entry}: ${reason}`, error);
  }
  const picked = pickHandler(mod);
  if (!picked) {
    throw new HandlerLoadError(
      `no handler in ${entry}: export a function named "handler", a default function, or "main"`,
    );
  }
  return describeHandler(picked.fn, picked.source);
}

function pickHandler(mod: Record<string, unknown>): { fn: Callable; source: string } | undefined {
  const fromExports = (exports: Record<string, unknown>): { fn: Callable; source: string } | undefined => {
    if (typeof exports.handler === "function") return { fn: exports.handler as Callable, source: "handler" };
    if (typeof exports.default === "function") return { fn: exports.default as Callable, source: "default" };
    if (typeof exports.main === "function") return { fn: exports.main as Callable, source: "main" };
    return undefined;
  };
  const direct = fromExports(mod);
  if (direct) return direct;
  const cjs = mod.default;
  if (cjs !== null && typeof cjs === "object") return fromExports(cjs as Record<string, unknown>);
  return undefined;
}

const EXTENSIONS = [".ts", ".mts", ".js", ".mjs", ".cjs"];

function findEntry(entry: string, dirs: readonly string[]): string | undefined {
  const bases = isAbsolute(entry) ? [entry] : dirs.map((dir) => resolvePath(dir, entry));
  for (const base of bases) {
    const tries = extname(base) === "" ? EXTENSIONS.map((ext) => base + ext) : [base];
    for (const candidate of tries) {
      if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
    }
  }
  return undefined;
}
