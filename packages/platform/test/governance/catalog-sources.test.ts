/**
 * Every catalog agent's TypeScript source type-checks against the real `runagents` API, so a
 * catalog deploy does not fail at its first tool call.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { BUILTIN_CATALOG, releasesNewestFirst } from "../../src/governance/catalog/index.js";

/** The monorepo's node_modules, where `runagents` (the workspace package) resolves to its build. */
const nodeModules = join(dirname(fileURLToPath(import.meta.resolve("typescript"))), "..", "..");

for (const entry of BUILTIN_CATALOG) {
  for (const release of releasesNewestFirst(entry)) {
    it(`catalog ${entry.base.id}@${release.version} type-checks against runagents`, () => {
      const files = release.sourceFiles ?? entry.base.deploymentTemplate.sourceFiles;
      const names = Object.keys(files).filter((f) => f.endsWith(".ts"));
      assert.ok(names.length > 0, "has TypeScript sources");
      const dir = mkdtempSync(join(tmpdir(), "catalog-src-"));
      try {
        writeFileSync(join(dir, "package.json"), '{"type":"module"}');
        symlinkSync(nodeModules, join(dir, "node_modules"));
        for (const name of names) writeFileSync(join(dir, name), files[name] as string);
        const program = ts.createProgram(
          names.map((n) => join(dir, n)),
          {
            strict: true,
            noEmit: true,
            module: ts.ModuleKind.NodeNext,
            moduleResolution: ts.ModuleResolutionKind.NodeNext,
            target: ts.ScriptTarget.ES2022,
            skipLibCheck: true,
            types: [],
          },
        );
        const errors = ts
          .getPreEmitDiagnostics(program)
          .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
        assert.deepEqual(errors, []);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
}
