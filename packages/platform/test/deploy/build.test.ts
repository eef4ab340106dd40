/**
 * The local build: materialised files, TypeScript transpiled to plain JavaScript beside it, the
 * linked runagents package, npm dependencies installed only when declared, and clear failures.
 */
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { BuildError, buildAgent, existingBuild, yamlEntryPoint } from "../../src/deploy/build.js";

describe("building an agent version", () => {
  let root: string;
  let runagentsDir: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "runagents-build-"));
    runagentsDir = join(root, "runagents-package");
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const build = (name: string, files: Record<string, string>, entryPoint = "", version = 1) =>
    buildAgent({
      agentDir: join(root, name),
      version,
      digest: `digest-${version}`,
      files,
      entryPoint,
      runagentsDir,
      cacheDir: join(root, "cache"),
      install: { timeoutMs: 60_000 },
    });

  it("reads the entry point from runagents.yaml", () => {
    assert.equal(
      yamlEntryPoint({ "runagents.yaml": "name: a\nentry_point: src/agent.ts\n" }),
      "src/agent.ts",
    );
    assert.equal(yamlEntryPoint({ "runagents.yml": 'entrypoint: "main.ts"  # the handler\n' }), "main.ts");
    assert.equal(yamlEntryPoint({ "runagents.yaml": "name: a\n" }), "");
    assert.equal(yamlEntryPoint({ "agent.ts": "" }), "");
  });

  it("writes the files, transpiles TypeScript to ES modules beside them and links runagents", async () => {
    const output = await build(
      "ts-bot",
      {
        "agent.ts":
          'import { shout } from "./lib/util.js";\nexport const handler = (r: { message: string }): string => shout(r.message);\n',
        "lib/util.ts": "export function shout(text: string): string {\n  return text.toUpperCase();\n}\n",
        "lib/types.d.ts": "export type X = number;\n",
        "README.md": "# ts-bot\n",
      },
      "agent.ts",
    );
    const dir = join(root, "ts-bot", "v1");
    assert.deepEqual(output, { dir, entry: "agent.js", installed: false });
    assert.equal(
      readFileSync(join(dir, "agent.js"), "utf8"),
      'import { shout } from "./lib/util.js";\nexport const handler = (r) => shout(r.message);\n',
    );
    assert.match(readFileSync(join(dir, "lib/util.js"), "utf8"), /^export function shout\(text\) \{/);
    assert.equal(existsSync(join(dir, "lib/types.d.js")), false);
    assert.equal(readFileSync(join(dir, "README.md"), "utf8"), "# ts-bot\n");
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")), {
      type: "module",
      private: true,
    });
    assert.ok(lstatSync(join(dir, "node_modules/runagents")).isSymbolicLink());
    assert.equal(readlinkSync(join(dir, "node_modules/runagents")), runagentsDir);
    assert.deepEqual(existingBuild(join(root, "ts-bot"), 1, "digest-1"), output);
    assert.equal(existingBuild(join(root, "ts-bot"), 1, "another digest"), undefined);
    assert.equal(existingBuild(join(root, "ts-bot"), 2, "digest-1"), undefined);
  });

  it("follows the project's module type, and keeps an uploaded .js over the transpiled one", async () => {
    const output = await build(
      "cjs-bot",
      {
        "package.json": JSON.stringify({
          name: "cjs-bot",
          type: "commonjs",
          dependencies: { runagents: "^0.1.0" },
        }),
        "agent.ts": "export const handler = (): string => 'cjs';\n",
        "other.ts": "export const x: number = 1;\n",
        "other.js": "// mine\n",
      },
      "agent.ts",
    );
    const dir = output.dir;
    assert.equal(output.installed, false, "runagents alone is linked, not installed");
    assert.match(readFileSync(join(dir, "agent.js"), "utf8"), /exports\.handler = handler;/);
    assert.equal(readFileSync(join(dir, "other.js"), "utf8"), "// mine\n");
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")), {
      name: "cjs-bot",
      type: "commonjs",
      dependencies: {},
      private: true,
    });
  });

  it("installs declared npm dependencies (here a local file: package) with npm", async () => {
    const output = await build(
      "deps-bot",
      {
        "package.json": JSON.stringify({
          type: "module",
          dependencies: { "pad-local": "file:./vendor/pad" },
        }),
        "vendor/pad/package.json": JSON.stringify({
          name: "pad-local",
          version: "1.0.0",
          type: "module",
          main: "index.js",
        }),
        "vendor/pad/index.js": "export const pad = (s) => '[' + s + ']';\n",
        "agent.ts": `import { pad } from "pad-local";\nexport const handler = (): string => pad("x");\n`,
      },
      "agent.ts",
    );
    assert.equal(output.installed, true);
    assert.ok(existsSync(join(output.dir, "node_modules/pad-local/index.js")));
    assert.ok(lstatSync(join(output.dir, "node_modules/runagents")).isSymbolicLink());
  });

  it("refuses what cannot run, with one clear reason", async () => {
    const failure = async (files: Record<string, string>, entry: string) => {
      const err = await build("bad-bot", files, entry).then(
        () => assert.fail("the build succeeded"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof BuildError, String(err));
      return err.message;
    };
    assert.equal(
      await failure({ "agent.py": "def handler(r): return 'x'\n" }, "agent.py"),
      'entry point "agent.py" is Python: the local platform runs agents on the Node.js runtime (TypeScript or JavaScript)',
    );
    assert.equal(
      await failure({ "agent.ts": "" }, "main.ts"),
      'entry point "main.ts" is not one of the source files',
    );
    assert.match(
      await failure({ "agent.ts": "", "package.json": "{" }, "agent.ts"),
      /^package\.json is not valid JSON: /,
    );
    assert.equal(
      await failure({ "agent.ts": "export const handler = () => {\n  return 1 +;\n};\n" }, "agent.ts"),
      "agent.ts(2,13): error TS1109: Expression expected.",
    );
  });
});
