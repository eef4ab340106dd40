/**
 * @module deploy/runtime-location
 * Where the agent runtime lives. Agents run on the `runagents` package the platform itself
 * depends on: its `runagents-runtime` bin is the process entry, and every agent's
 * `node_modules/runagents` links to the package directory, so `import { Agent } from "runagents"`
 * in agent code needs no install.
 *
 * Overrides (PlatformConfig): `runagentsDir` (RUNAGENTS_PACKAGE_DIR) — a directory holding the
 * package's package.json and dist/ — and `runtimeEntry` (RUNAGENTS_RUNTIME_ENTRY) — the entry
 * file, default the package's `bin["runagents-runtime"]` (`dist/src/runtime/main.js`).
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface RuntimeLocation {
  /** The `runagents` package directory (has package.json). */
  packageDir: string;
  /** The runtime's runnable entry (`.../dist/src/runtime/main.js`). */
  entry: string;
}

export function locateRuntime(config: {
  runagentsDir?: string | undefined;
  runtimeEntry?: string | undefined;
}): RuntimeLocation {
  const packageDir = config.runagentsDir ? resolve(config.runagentsDir) : installedPackageDir();
  const entry = config.runtimeEntry ? resolve(config.runtimeEntry) : join(packageDir, binOf(packageDir));
  return { packageDir, entry };
}

/** The installed `runagents` package, resolved from here (its exports map lists package.json). */
function installedPackageDir(): string {
  return dirname(fileURLToPath(import.meta.resolve("runagents/package.json")));
}

function binOf(packageDir: string): string {
  try {
    const parsed = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { bin?: unknown };
    const bin = parsed.bin as Record<string, unknown> | undefined;
    const value = bin?.["runagents-runtime"];
    if (typeof value === "string" && value) return value;
  } catch {
    // fall through to the conventional path
  }
  return "dist/src/runtime/main.js";
}
