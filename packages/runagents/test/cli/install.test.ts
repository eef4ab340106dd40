/**
 * docs/install.md: the CLI on PATH from a clone with `npm install -g ./packages/runagents
 * ./packages/platform` (here into a temporary prefix), used from a folder outside the clone.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { npmEnv } from "../helpers/npm-env.js";

const REPO = fileURLToPath(new URL("../../../../../", import.meta.url));
const VERSION = (
  JSON.parse(readFileSync(join(REPO, "packages", "runagents", "package.json"), "utf8")) as {
    version: string;
  }
).version;

async function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
  const { stdout, stderr } = await promisify(execFile)(command, args, options);
  return { stdout, stderr };
}

let root: string;
let prefix: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), "runagents-install-test-"));
  prefix = join(root, "prefix");
  const env = npmEnv([join(prefix, "bin")]);
  await run(
    "npm",
    [
      "install",
      "-g",
      "--prefix",
      prefix,
      join(REPO, "packages", "runagents"),
      join(REPO, "packages", "platform"),
    ],
    { cwd: root, env },
  );
});
after(() => rmSync(root, { recursive: true, force: true }));

describe("the CLI installed from a clone, used outside it", () => {
  it("puts runagents, runagents-mcp, runagents-runtime and runagents-platform on PATH", async () => {
    const env = npmEnv([join(prefix, "bin")]);
    for (const bin of ["runagents", "runagents-mcp", "runagents-platform"]) {
      const { stdout } = await run(bin, ["--version"], { cwd: root, env });
      assert.match(stdout, new RegExp(`${VERSION.replaceAll(".", "\\.")}`), bin);
    }
    accessSync(join(prefix, "bin", "runagents-runtime"), constants.X_OK);
  });

  it("init scaffolds a project that installs runagents from the clone and starts its own MCP server", async () => {
    const env = npmEnv([join(prefix, "bin")]);
    await run("runagents", ["init", "outside"], { cwd: root, env });
    const pkg = JSON.parse(readFileSync(join(root, "outside", "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.equal(pkg.dependencies.runagents, `file:${realpathSync(join(REPO, "packages", "runagents"))}`);
    assert.ok(pkg.devDependencies["@modelcontextprotocol/sdk"]);
    const mcp = JSON.parse(readFileSync(join(root, "outside", ".mcp.json"), "utf8")) as {
      mcpServers: { runagents: { command: string; args: string[] } };
    };
    assert.deepEqual(mcp.mcpServers.runagents, {
      command: "npx",
      args: ["--no-install", "runagents-mcp"],
      env: {},
    });
  });
});
