/**
 * Helpers for tests that run real agent processes: the runtime they run on, a platform wired to
 * it, and polling an agent until its status says what the test waits for.
 *
 * The runtime must exist as compiled JavaScript. In the repository build that is the installed
 * `runagents` package (`packages/runagents/dist`), which the platform finds by itself. When the
 * tests were compiled elsewhere together with the runtime's sources (a single output tree with
 * `runagents/src/runtime/main.js` beside `platform/`), a package directory is staged next to it
 * (`package.json` + `dist` → that tree) and passed as `runagentsDir`, so agents run (and import)
 * the runtime that was just compiled.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { PlatformConfig } from "../../src/config.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

let staged: string | undefined;

/** `runagentsDir` for the platform config, when the runtime was compiled beside these tests. */
export function runtimeConfig(): Partial<PlatformConfig> {
  const tree = new URL("../../../runagents/", import.meta.url);
  if (!existsSync(new URL("src/runtime/main.js", tree))) return {};
  if (!staged) {
    const dir = fileURLToPath(new URL("../../../.runagents-package/", import.meta.url));
    mkdirSync(dir, { recursive: true });
    const manifest = readFileSync(fileURLToPath(import.meta.resolve("runagents/package.json")), "utf8");
    writeFileSync(`${dir}package.json`, manifest);
    if (!existsSync(`${dir}dist`)) symlinkSync(fileURLToPath(tree), `${dir}dist`, "dir");
    staged = dir;
  }
  return { runagentsDir: staged };
}

export function startAgentPlatform(
  options: { dataDir?: string; env?: Record<string, string> } = {},
): Promise<TestPlatform> {
  return startTestPlatform({ ...options, config: runtimeConfig() });
}

type Json = Record<string, any>;

/** Polls `GET /agents/{name}` every 20 ms until `until(agent)` holds; fails after `timeoutMs`. */
export async function waitForAgent(
  platform: TestPlatform,
  name: string,
  until: (agent: Json) => boolean,
  timeoutMs = 20_000,
  workspacePrefix = "",
): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  let last: Json | undefined;
  for (;;) {
    const res = await platform.call("GET", `${workspacePrefix}/agents/${name}`);
    last = res.json as Json;
    if (res.status === 200 && until(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(
        `agent ${name} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const phaseIs =
  (phase: string) =>
  (agent: Json): boolean =>
    agent.status?.phase === phase;
