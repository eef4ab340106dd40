/**
 * The build leaves every bin executable (`scripts/link-bins.mjs` after `tsc -b`): tsc writes files
 * 0644, so after `rm -rf packages/*\/dist && npm run build` the bins would say "Permission denied".
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const LINK_BINS = join(REPO, "scripts", "link-bins.mjs");
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("the workspace bins after a build", () => {
  it("are executable in this repository", () => {
    const bins: string[] = [];
    for (const workspace of ["packages/runagents", "packages/platform"]) {
      const pkg = JSON.parse(readFileSync(join(REPO, workspace, "package.json"), "utf8")) as {
        bin: Record<string, string>;
      };
      for (const file of Object.values(pkg.bin)) bins.push(join(REPO, workspace, file));
    }
    assert.equal(bins.length, 4, "runagents, runagents-mcp, runagents-runtime, runagents-platform");
    for (const bin of bins) accessSync(bin, constants.X_OK);
  });

  it("link-bins makes freshly compiled (0644) bins executable and links them into node_modules/.bin", () => {
    const root = mkdtempSync(join(tmpdir(), "runagents-link-bins-test-"));
    dirs.push(root);
    writeFileSync(join(root, "package.json"), JSON.stringify({ workspaces: ["packages/tool"] }));
    mkdirSync(join(root, "packages", "tool", "dist"), { recursive: true });
    writeFileSync(
      join(root, "packages", "tool", "package.json"),
      JSON.stringify({ name: "@scope/tool", bin: { "my-tool": "./dist/main.js" } }),
    );
    const main = join(root, "packages", "tool", "dist", "main.js");
    writeFileSync(main, "#!/usr/bin/env node\nconsole.log('tool ran');\n", { mode: 0o644 });
    mkdirSync(join(root, "node_modules", "@scope"), { recursive: true });
    symlinkSync(join(root, "packages", "tool"), join(root, "node_modules", "@scope", "tool"));

    const run = spawnSync(process.execPath, [LINK_BINS, root], { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(statSync(main).mode & 0o777, 0o755);
    const link = join(root, "node_modules", ".bin", "my-tool");
    assert.equal(readlinkSync(link), join("..", "@scope", "tool", "dist", "main.js"));
    assert.equal(spawnSync(link, { encoding: "utf8" }).stdout, "tool ran\n");
  });

  it("link-bins names the bins that were not built", () => {
    const root = mkdtempSync(join(tmpdir(), "runagents-link-bins-test-"));
    dirs.push(root);
    writeFileSync(join(root, "package.json"), JSON.stringify({ workspaces: ["packages/tool"] }));
    mkdirSync(join(root, "packages", "tool"), { recursive: true });
    writeFileSync(
      join(root, "packages", "tool", "package.json"),
      JSON.stringify({ name: "tool", bin: { tool: "./dist/main.js" } }),
    );
    const run = spawnSync(process.execPath, [LINK_BINS, root], { encoding: "utf8" });
    assert.equal(run.status, 1);
    assert.equal(run.stderr, `link-bins: not built: ${join("packages", "tool", "dist", "main.js")}\n`);
  });
});
