/**
 * @module
 * What `runagents deploy` and `runagents catalog deploy` do once `POST /deploy` answered: print the
 * platform's warnings (a tool that is not registered, a policy that does not exist), then wait for
 * the build's outcome and only then say the agent was deployed. A version that fails to build or
 * start is the command's error (exit 1), with the agent's last log lines; `--no-wait` says the
 * deploy was accepted, never that it succeeded.
 */

import { setTimeout as sleep } from "node:timers/promises";
import { urlPath } from "../client/http.js";
import { isObject, obj, text, texts } from "../client/parse.js";
import { CliError, duration, flag, type Options, type Parsed, str } from "./args.js";
import { fetchLogs } from "./commands/agents.js";
import type { Ctx } from "./context.js";

const POLL_MS = 1_000;

/** The flags of every command that deploys. */
export const WAIT_OPTIONS: Options = {
  "no-wait": { type: "boolean", help: "return once the deploy is accepted (it builds in the background)" },
  timeout: { type: "string", value: "<duration>", help: "how long to wait for Running (default 5m)" },
};

/** Each of the deploy response's `warnings` as a `warning: ...` line on stderr. */
export function printDeployWarnings(ctx: Ctx, result: Record<string, unknown>): void {
  for (const w of Array.isArray(result.warnings) ? result.warnings : []) {
    ctx.err.line(ctx.err.paint("yellow", `warning: ${typeof w === "string" ? w : JSON.stringify(w)}`));
  }
}

/**
 * After `POST /deploy` answered `raw` for agent `name`: warnings, then (unless `--no-wait`) the
 * wait for the deployed version to run, then the summary (`-o json`: the deploy response).
 */
export async function reportDeploy(ctx: Ctx, name: string, raw: unknown, parsed: Parsed): Promise<void> {
  const result = obj(raw);
  printDeployWarnings(ctx, result);
  const wait = !flag(parsed, "no-wait");
  let phase = text(result.phase) || "Pending";
  if (wait) {
    const version = typeof result.version === "number" ? result.version : 0;
    const timeoutMs = duration(parsed, "timeout", 300_000);
    phase = await waitRunning(ctx, name, version, timeoutMs, str(parsed, "timeout") ?? "5m");
  }
  if (ctx.json) return ctx.out.json(raw);
  ctx.out.line(
    wait
      ? `Agent "${name}" deployed successfully.`
      : `Agent "${name}" deploy accepted; it builds and starts in the background (see "runagents agents get ${name}").`,
  );
  ctx.out.labels([
    ["Agent", text(result.agent_name) || text(result.agent) || name],
    [
      "Version",
      typeof result.version === "number" && result.version > 0 ? String(result.version) : undefined,
    ],
    ["Build ID", text(result.build_id) || undefined],
    ["Tools created", "tools_created" in result ? texts(result.tools_created).join(", ") || "-" : undefined],
    ["Status", ctx.out.status(phase)],
  ]);
}

/**
 * Polls the agent until `version` (or, for 0, any version) is `Running`, and returns that phase;
 * `Failed` or the deadline throw. A `Running` agent still serving an older version is waited on.
 */
async function waitRunning(
  ctx: Ctx,
  name: string,
  version: number,
  timeoutMs: number,
  timeoutText: string,
): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  let last = "";
  for (;;) {
    const agent = obj(await ctx.client().get(urlPath`/agents/${name}`));
    const status = isObject(agent.status) ? agent.status : {};
    const phase = text(agent.phase) || text(status.phase) || "Pending";
    const serving = typeof status.version === "number" ? status.version : 0;
    const progress = text(status.message).split("\n")[0] ?? "";
    if (phase === "Running" && serving >= version) return phase;
    if (phase === "Failed") {
      const lines = thisVersion(await fetchLogs(ctx, name, 20).catch(() => [] as string[]), version);
      if (lines.length > 0) {
        ctx.err.line("Last log lines:");
        for (const line of lines) ctx.err.line(`  ${line}`);
      }
      throw new CliError(`agent "${name}" Failed${progress ? `: ${progress}` : ""}`);
    }
    const shown =
      phase === "Running"
        ? `Deploying version ${version}... (version ${serving} serves until it runs)`
        : `${phase === "Pending" ? "Building" : phase}... (status: ${phase})`;
    if (shown !== last) ctx.err.line(shown);
    last = shown;
    const remaining = deadline - performance.now();
    if (remaining <= 0) {
      throw new CliError(
        `timed out after ${timeoutText} waiting for agent "${name}" to be Running (status: ${phase})`,
      );
    }
    await sleep(Math.min(POLL_MS, remaining));
  }
}

/** The log lines from the start of `version`'s build on (all of them when that start is not among them). */
function thisVersion(lines: readonly string[], version: number): string[] {
  const start = lines.findLastIndex((line) => line.includes(`building version ${version} `));
  return lines.slice(Math.max(start, 0));
}
