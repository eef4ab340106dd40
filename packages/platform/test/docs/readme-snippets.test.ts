/**
 * The README's snippets, run as a reader runs them. Each fenced `js` block is written as an `.mjs`
 * file into a git-ignored folder of the repository (`tmp/`, so `import ... from "runagents"`
 * resolves to the workspace package) and run with `node` in a child process from the repository
 * root (so `examples/hello-world/...` paths resolve), against a real platform this test starts,
 * whose endpoint and admin key are in the configuration file `npm start` would have written
 * (a temporary `RUNAGENTS_CONFIG_DIR`). Blocks run in README order on the same platform, as a
 * reader would run them. Each must exit 0 and print, in order, what its
 * `console.log(...); // <text>` comments say. `<!-- test: skip (reason) -->` above a block skips it;
 * a `ts` block must be a repository file shown verbatim (`<!-- file: <path> -->`), since Node 20
 * cannot run a TypeScript snippet as written.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DEFAULT_CONFIG, saveConfig } from "runagents";
import { startAgentPlatform } from "../deploy/helpers.js";
import type { TestPlatform } from "../helpers/platform.js";
import { type CodeBlock, codeBlocks, expectedOutput, missingOutput, relativeLinks } from "./markdown.js";

/** The repository root: looked for above the working directory and above this file. */
function repositoryRoot(): string {
  for (const start of [process.cwd(), dirname(fileURLToPath(import.meta.url))]) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      if (existsSync(join(dir, "README.md")) && existsSync(join(dir, "examples", "hello-world"))) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error("the repository root was not found above the working directory: run the tests from it");
}

const root = repositoryRoot();
const blocks = codeBlocks(readFileSync(join(root, "README.md"), "utf8"));
const snippets = blocks.filter((b) => b.lang === "js" && b.skip === undefined);
const SNIPPET_TIMEOUT_MS = 120_000;

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function runNode(file: string, env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [file], { cwd: root, env, timeout: SNIPPET_TIMEOUT_MS });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", fail);
    child.on("close", (code, signal) => done({ code, signal, stdout, stderr }));
  });
}

const where = (block: CodeBlock): string => `README.md:${block.line} (${block.section})`;

describe("README snippets", () => {
  let platform: TestPlatform;
  let configDir: string;
  let scratch: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    platform = await startAgentPlatform();
    configDir = mkdtempSync(join(tmpdir(), "runagents-readme-config-"));
    saveConfig(
      { ...DEFAULT_CONFIG, endpoint: platform.url, apiKey: platform.adminKey },
      { path: join(configDir, "config.json") },
    );
    mkdirSync(join(root, "tmp"), { recursive: true });
    scratch = mkdtempSync(join(root, "tmp", "readme-snippets-"));
    env = { ...process.env, RUNAGENTS_CONFIG_DIR: configDir };
    // Only the configuration file says where the platform is, as after `npm start`.
    for (const name of Object.keys(env))
      if (name.startsWith("RUNAGENTS_") && name !== "RUNAGENTS_CONFIG_DIR") delete env[name];
    delete env.NODE_TEST_CONTEXT;
  });
  after(async () => {
    await platform?.destroy();
    rmSync(configDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
    if (readdirSync(join(root, "tmp")).length === 0) rmSync(join(root, "tmp"), { recursive: true });
  });

  it("finds the README's JavaScript snippets, each saying what it prints", () => {
    assert.ok(snippets.length >= 5, `only ${snippets.length} js snippets found in README.md`);
    for (const block of snippets) {
      assert.notEqual(
        expectedOutput(block.code).length,
        0,
        `${where(block)} has no "console.log(...); // <output>" line`,
      );
    }
  });

  snippets.forEach((block, index) => {
    it(`runs ${where(block)} with node and prints what it says`, async () => {
      const file = join(scratch, `snippet-${index + 1}.mjs`);
      writeFileSync(file, block.code);
      const run = await runNode(file, env);
      const log = `\n--- stdout\n${run.stdout}--- stderr\n${run.stderr}`;
      assert.equal(run.signal, null, `${where(block)} did not finish in ${SNIPPET_TIMEOUT_MS} ms${log}`);
      assert.equal(run.code, 0, `${where(block)} exited with ${run.code}${log}`);
      const missing = missingOutput(run.stdout, expectedOutput(block.code));
      assert.equal(missing, undefined, `${where(block)} did not print "${missing}"${log}`);
    });
  });

  it("shows TypeScript only as repository files, verbatim", () => {
    const typescript = blocks.filter((b) => b.lang === "ts" || b.lang === "typescript");
    for (const block of typescript) {
      assert.ok(
        block.file,
        `${where(block)}: a TypeScript snippet does not run on Node 20 as written; use js, or mark a repository file with <!-- file: <path> -->`,
      );
      const source = readFileSync(join(root, block.file), "utf8");
      assert.ok(source.includes(block.code), `${where(block)} differs from ${block.file}`);
    }
  });
});

describe("the repository's documents", () => {
  const documents = [
    "README.md",
    "CONTRIBUTING.md",
    ...readdirSync(join(root, "docs")).map((f) => `docs/${f}`),
  ].filter((f) => f.endsWith(".md"));

  it("link only to files inside the repository that exist", () => {
    for (const document of documents) {
      const text = readFileSync(join(root, document), "utf8");
      // The team's notes beside the repository are not part of it: the documents stand alone.
      assert.ok(!text.includes("../shared"), `${document} refers to ../shared, outside the repository`);
      const links = relativeLinks(text);
      for (const link of links) {
        const target = resolve(root, dirname(document), decodeURIComponent(link));
        assert.ok(target.startsWith(`${root}/`), `${document} links outside the repository: ${link}`);
        assert.ok(existsSync(target), `${document} links to ${link}, which does not exist`);
      }
    }
  });
});

describe("README snippet checks", () => {
  it("read fences, sections and markers", () => {
    const markdown = [
      "# Title",
      "## Run me",
      "```js",
      'console.log("a"); // a',
      "```",
      "<!-- test: skip (needs a real IdP) -->",
      "",
      "```js",
      "await fetch(url);",
      "```",
      "<!-- file: examples/x.ts -->",
      "```ts",
      "export {};",
      "```",
    ].join("\n");
    assert.deepEqual(codeBlocks(markdown), [
      { lang: "js", code: 'console.log("a"); // a\n', line: 3, section: "Run me" },
      { lang: "js", code: "await fetch(url);\n", line: 8, section: "Run me", skip: "needs a real IdP" },
      { lang: "ts", code: "export {};\n", line: 12, section: "Run me", file: "examples/x.ts" },
    ]);
  });

  it("find relative links outside code", () => {
    const markdown = [
      "See [the docs](docs/api.md#auth), [a site](https://example.com) and [top](#top).",
      "`[not](a-link.md)`",
      "```md",
      "[inside](code.md)",
      "```",
      '[titled](../shared/ARCHITECTURE.md "notes")',
    ].join("\n");
    assert.deepEqual(relativeLinks(markdown), ["docs/api.md", "../shared/ARCHITECTURE.md"]);
  });

  it("expect the printed texts in order, `...` standing for anything", () => {
    const expected = expectedOutput(
      [
        "console.log(x); // A, B, ..., Z",
        "const y = 1; // not output",
        'console.log("url://x"); // done',
      ].join("\n"),
    );
    assert.deepEqual(expected, ["A, B, ..., Z", "done"]);
    assert.equal(missingOutput("A, B, C, D, Z\ndone\n", expected), undefined);
    assert.equal(missingOutput("A, B, Z\n", expected), "done");
    assert.equal(missingOutput("done\nA, B, Z\n", expected), "done");
    assert.equal(missingOutput("A, C, Z\ndone\n", expected), "A, B, ..., Z");
  });
});
