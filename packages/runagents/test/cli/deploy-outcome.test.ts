/**
 * `runagents deploy` and `runagents catalog deploy` against a real platform: success is said only once
 * the deployed version runs, a TypeScript error is the command's error, and both print the
 * platform's warnings.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { cliWithPlatform, runCli } from "./helpers.js";

const env = cliWithPlatform();

const WORKS = 'export async function handler() {\n  return { response: "ok" };\n}\n';
const BROKEN = 'export async function handler() {\n  return { response: "ok" };\n\nexport const x = 1;\n';

/** A project folder `name` holding runagents.yaml and `agent.ts`. */
function project(name: string, source: string): string {
  const dir = join(env.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "runagents.yaml"), `name: ${name}\nentry_point: agent.ts\n`);
  writeFileSync(join(dir, "agent.ts"), source);
  return dir;
}

const deployIn = (dir: string, ...args: string[]) =>
  runCli(["deploy", "--timeout", "60s", ...args], {
    env: { HOME: env.dir, RUNAGENTS_ENDPOINT: env.platform.url, RUNAGENTS_API_KEY: env.platform.adminKey },
    cwd: dir,
  });

const lastLine = (text: string) => text.trimEnd().split("\n").at(-1);

describe("deploy waits for the build's outcome", () => {
  test("a TypeScript error: no success line, the compiler's error and exit 1", async () => {
    const result = await deployIn(project("broken", BROKEN));
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^Last log lines:$/m);
    assert.match(
      lastLine(result.stderr) ?? "",
      /^Error: agent "broken" Failed: version 1 failed to build: agent\.ts\(\d+,\d+\): error TS1005: '}' expected\.$/,
    );
  });

  test("a broken new version over a running one fails, though the old version still serves", async () => {
    const dir = project("app", WORKS);
    const first = await deployIn(dir);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(
      first.stdout,
      'Agent "app" deployed successfully.\nAgent:          app\nVersion:        1\nTools created:  -\nStatus:         Running\n',
    );

    writeFileSync(join(dir, "agent.ts"), BROKEN);
    const second = await deployIn(dir);
    assert.equal(second.code, 1, second.stderr);
    assert.equal(second.stdout, "");
    assert.match(
      lastLine(second.stderr) ?? "",
      /^Error: agent "app" Failed: version 2 failed to build: agent\.ts\(\d+,\d+\): error TS1005: '}' expected\. \(version 1 is still serving requests\)$/,
    );
    assert.doesNotMatch(second.stderr, /building version 1 /, "only this version's log lines");
  });
});

describe("deploy warnings", () => {
  test("deploy and catalog deploy both warn about a tool that is not registered", async () => {
    const warning = 'warning: tool "missing-tool" is not registered\n';
    const direct = await deployIn(project("warned", WORKS), "--tool", "missing-tool", "--no-wait");
    assert.equal(direct.code, 0, direct.stderr);
    assert.ok(direct.stderr.includes(warning), direct.stderr);

    const catalog = await env.cli("catalog", "deploy", "hello-world", "--tool", "missing-tool", "--no-wait");
    assert.equal(catalog.code, 0, catalog.stderr);
    assert.equal(catalog.stderr, warning);
    assert.match(
      catalog.stdout,
      /^Agent "hello-world" deploy accepted; it builds and starts in the background/,
    );
  });

  test("catalog deploy waits until the agent runs, like deploy", async () => {
    const result = await env.cli(
      "catalog",
      "deploy",
      "hello-world",
      "--name",
      "hello-waited",
      "--timeout",
      "60s",
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Agent "hello-waited" deployed successfully\.\n/);
    assert.match(result.stdout, /^Status: +Running$/m);
  });
});
