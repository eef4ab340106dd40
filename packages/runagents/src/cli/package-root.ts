/**
 * @module
 * Where the `runagents` package this CLI belongs to lives, and its version: the nearest
 * `package.json` named `runagents` above this file.
 */

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: { root: string; version: string } | undefined;

function find(): { root: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "runagents") return { root: dir, version: pkg.version ?? "0.0.0" };
    } catch {
      // no package.json here
    }
    const parent = dirname(dir);
    if (parent === dir) return { root: "", version: "0.0.0" };
    dir = parent;
  }
}

/** The package directory (`""` when not found). */
export function packageRoot(): string {
  cached ??= find();
  return cached.root;
}

export function packageVersion(): string {
  cached ??= find();
  return cached.version;
}
