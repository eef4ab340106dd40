/**
 * @module
 * Running a TypeScript entry point on a plain `node`, keeping the package free of required
 * dependencies. In order of preference:
 * 1. Node's own type stripping, when it is on (`process.features.typescript`, Node ≥ 22.6 with the
 *    flag, on by default from 22.18 / 23.6); a resolve hook still maps `./x.js` → `./x.ts`.
 * 2. The optional peer dependency `typescript` (found next to the user's code, else next to this
 *    package), used by the loader hook in `ts-hook.ts` (`module.register()`, Node ≥ 20.6).
 * 3. Neither: {@link TypeScriptUnavailable} says exactly what to install.
 */

import { createRequire, register } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { TsHookData } from "./ts-hook.js";

export type TsSupport = { kind: "native" } | { kind: "typescript"; path: string } | { kind: "none" };

export const TS_ENTRY = /\.m?ts$/;

/** No way to run TypeScript was found. */
export class TypeScriptUnavailable extends Error {
  readonly code = "TYPESCRIPT_UNAVAILABLE";

  constructor(entry: string, userDir: string) {
    super(
      `Cannot load ${entry}: a TypeScript entry point needs the optional peer dependency "typescript" ` +
        `(run \`npm install --save-dev typescript\` in ${userDir}) or Node.js >= 22.6 with type stripping ` +
        `(on by default from 22.18; earlier: NODE_OPTIONS=--experimental-strip-types); ` +
        `or compile it and set USER_ENTRY_POINT to the .js file`,
    );
    this.name = "TypeScriptUnavailable";
  }
}

/** How `.ts` can be run here: natively, through `typescript` found from `searchDirs`, or not at all. */
export function detectTsSupport(searchDirs: readonly string[]): TsSupport {
  const features = process.features as { typescript?: unknown };
  if (features.typescript) return { kind: "native" };
  for (const dir of [...searchDirs, undefined]) {
    try {
      const require = createRequire(dir === undefined ? import.meta.url : join(dir, "__runagents__.js"));
      return { kind: "typescript", path: require.resolve("typescript") };
    } catch {
      // not installed there
    }
  }
  return { kind: "none" };
}

let registered: TsSupport["kind"] | undefined;

/** Makes `import()` of a `.ts` entry work, or throws {@link TypeScriptUnavailable}. Idempotent. */
export function enableTypeScript(entry: string, userDir: string, support: TsSupport): void {
  if (support.kind === "none") throw new TypeScriptUnavailable(entry, userDir);
  if (registered !== undefined) return;
  const data: TsHookData = {
    typescript: support.kind === "typescript" ? pathToFileURL(support.path).href : null,
  };
  register(new URL("./ts-hook.js", import.meta.url), { data });
  registered = support.kind;
}
