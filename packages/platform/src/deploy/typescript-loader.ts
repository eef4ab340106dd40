/**
 * @module deploy/typescript-loader
 * Loads the `typescript` compiler once per process, fast. `typescript.js` is one ~9 MB CommonJS
 * file: `import()` spends over a second on it (parse, compile, and the named-export scan), a plain
 * `require` about half that. Here it is compiled through `vm.Script` with a V8 code cache kept in
 * the data dir (`<dataDir>/cache/typescript-<version>-<node>-<arch>.v8cache`, written after the
 * first transpile so the functions it used are in it), which brings later platform starts down
 * to tens of milliseconds. V8 checks the cache against the source and the engine flags and
 * ignores it when they differ; any failure falls back to `require`.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Script } from "node:vm";
import type * as TS from "typescript";

export type TypeScriptApi = typeof TS;

let loaded: { ts: TypeScriptApi; saveCache: () => void } | undefined;

/** The compiler; `cacheDir` is where the code cache lives (created when needed). */
export function loadTypeScript(cacheDir: string | undefined): TypeScriptApi {
  if (loaded) return loaded.ts;
  const require = createRequire(import.meta.url);
  const file = require.resolve("typescript");
  try {
    loaded = cacheDir
      ? loadWithCache(file, cacheDir)
      : { ts: require(file) as TypeScriptApi, saveCache() {} };
  } catch {
    loaded = { ts: require(file) as TypeScriptApi, saveCache() {} };
  }
  return loaded.ts;
}

/** Writes the code cache once, after the compiler has done real work. */
export function saveTypeScriptCache(): void {
  const current = loaded;
  if (!current) return;
  current.saveCache();
  current.saveCache = () => {};
}

function loadWithCache(file: string, cacheDir: string): { ts: TypeScriptApi; saveCache: () => void } {
  const manifest = JSON.parse(readFileSync(join(dirname(file), "..", "package.json"), "utf8")) as {
    version?: string;
  };
  const cachePath = join(
    cacheDir,
    `typescript-${manifest.version ?? "unknown"}-${process.version}-${process.arch}.v8cache`,
  );
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cachePath);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(Module.wrap(readFileSync(file, "utf8")), {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
  });
  const wrapper = script.runInThisContext() as (
    exports: object,
    require: NodeJS.Require,
    module: { exports: object },
    filename: string,
    dirname: string,
  ) => void;
  const mod = { exports: {} };
  wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  const fresh = cachedData === undefined || script.cachedDataRejected === true;
  return {
    ts: mod.exports as TypeScriptApi,
    saveCache() {
      if (!fresh) return;
      try {
        mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
        const tmp = `${cachePath}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cachePath);
      } catch {
        // a cache is an optimisation only
      }
    },
  };
}
