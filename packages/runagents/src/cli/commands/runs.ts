/**
 * @module
 * `runagents runs list|get|events|timeline|wait|export`. With `-o json` these print the runs and
 * events as the REST API sent them (snake_case); `timeline` and `export` add the timeline the CLI
 * builds from them.
 */

import { RUN_STATUSES, type Run, type RunTimelineEntry } from "../../client/governance-types.js";
import { urlPath } from "../../client/http.js";
import { listOf } from "../../client/parse.js";
import { toRun, toRunEvent } from "../../client/parse-governance.js";
import { MAX_RUNS_LIMIT } from "../../client/runs.js";
import { buildTimeline, summarizeEvent } from "../../client/timeline.js";
import { RunAgentsTimeoutError } from "../../errors.js";
import { CliError, duration, type Group, int, str, UsageError } from "../args.js";
import type { Ctx } from "../context.js";

function printRun(ctx: Ctx, run: Run): void {
  ctx.out.labels([
    ["ID", run.id],
    ["Agent", run.agentId],
    ["User", run.userId || "-"],
    ["Status", ctx.out.status(run.status)],
    ["Namespace", run.namespace || undefined],
    ["Conversation", run.conversationId || undefined],
    ["Blocked Action", run.blockedActionId || undefined],
    ["Surface Turn", run.surfaceTurnId || undefined],
    ["Invoke URL", run.invokeUrl || undefined],
    ["Created", run.createdAt],
    ["Updated", run.updatedAt],
  ]);
  const message = run.initialMessage || run.message;
  if (message) {
    ctx.out.line();
    ctx.out.line("Initial Message:");
    ctx.out.line(`  ${message}`);
  }
}

/** The run and its events as the API sent them, and the timeline built from them. */
async function runWithEvents(
  ctx: Ctx,
  id: string,
): Promise<{ run: unknown; events: unknown; timeline: RunTimelineEntry[] }> {
  const client = ctx.client();
  const run = await client.get(urlPath`/runs/${id}`);
  const events = await client.get(urlPath`/runs/${id}/events`);
  return { run, events, timeline: buildTimeline(toRun(run), listOf(events, toRunEvent)) };
}

export const runs: Group = {
  name: "runs",
  summary: "Inspect and wait for runs",
  commands: [
    {
      name: "list",
      summary: "List runs, newest first",
      options: {
        agent: { type: "string", value: "<name>", help: "only this agent's runs" },
        status: {
          type: "string",
          value: "<status>",
          help: `${RUN_STATUSES.join(", ")} (PAUSED: every PAUSED_*)`,
        },
        user: { type: "string", value: "<id>", help: "only this end user's runs" },
        conversation: { type: "string", value: "<id>", help: "only this conversation's runs" },
        limit: {
          type: "string",
          value: "<n>",
          help: `at most n runs (up to ${MAX_RUNS_LIMIT}), 0 for all (default 50)`,
        },
      },
      async run(ctx, parsed) {
        const limit = int(parsed, "limit", 50);
        if (limit > MAX_RUNS_LIMIT) {
          throw new UsageError(`--limit must be at most ${MAX_RUNS_LIMIT} (0 for all)`);
        }
        const list = await ctx.client().runs.list({
          agent: str(parsed, "agent"),
          status: str(parsed, "status")?.toUpperCase(),
          user: str(parsed, "user"),
          conversation: str(parsed, "conversation"),
          limit,
        });
        if (ctx.printedRaw()) return;
        if (list.length === 0) return ctx.out.line("No runs found.");
        ctx.out.table(
          ["ID", "AGENT", "USER", "STATUS", "UPDATED"],
          list.map((r) => [r.id, r.agentId, r.userId || "-", r.status, r.updatedAt || r.createdAt]),
          3,
        );
      },
    },
    {
      name: "get",
      summary: "Show one run",
      args: "<run-id>",
      min: 1,
      async run(ctx, { positionals: [id = ""] }) {
        const run = await ctx.client().runs.get(id);
        if (ctx.printedRaw()) return;
        printRun(ctx, run);
      },
    },
    {
      name: "events",
      summary: "List a run's events",
      args: "<run-id>",
      min: 1,
      options: {
        type: { type: "string", value: "<type>", help: "only events of this type (e.g. TOOL_REQUEST)" },
        limit: { type: "string", value: "<n>", help: "the last n events, 0 for all (default 100)" },
      },
      async run(ctx, parsed) {
        const id = parsed.positionals[0] ?? "";
        const events = await ctx.client().runs.events(id, {
          type: str(parsed, "type"),
          limit: int(parsed, "limit", 100),
        });
        if (ctx.printedRaw()) return;
        if (events.length === 0) return ctx.out.line("No run events found.");
        ctx.out.table(
          ["SEQ", "TYPE", "ACTOR", "DETAIL", "TIMESTAMP"],
          events.map((e) => [String(e.sequence), e.type, e.actor || "-", summarizeEvent(e), e.timestamp]),
        );
      },
    },
    {
      name: "timeline",
      summary: "Show a run's timeline",
      args: "<run-id>",
      min: 1,
      async run(ctx, { positionals: [id = ""] }) {
        const { run, timeline } = await runWithEvents(ctx, id);
        if (ctx.json) return ctx.out.json({ run, timeline });
        if (timeline.length === 1 && timeline[0]?.sequence === 0) {
          return ctx.out.line(`Run "${id}" has no events yet; it is currently ${toRun(run).status}.`);
        }
        ctx.out.table(
          ["SEQ", "TYPE", "DETAIL", "TIMESTAMP"],
          timeline.map((t) => [String(t.sequence), t.type, t.summary, t.timestamp]),
        );
      },
    },
    {
      name: "wait",
      summary: "Wait until a run is COMPLETED or FAILED (paused runs keep waiting)",
      args: "<run-id>",
      min: 1,
      options: {
        timeout: { type: "string", value: "<duration>", help: "give up after this long (default 5m)" },
        interval: { type: "string", value: "<duration>", help: "time between polls (default 2s)" },
      },
      async run(ctx, parsed) {
        const id = parsed.positionals[0] ?? "";
        const timeoutMs = duration(parsed, "timeout", 300_000);
        const intervalMs = duration(parsed, "interval", 2_000);
        if (intervalMs <= 0) throw new UsageError("--interval must be greater than 0");
        let run: Run;
        try {
          run = await ctx.client().runs.wait(id, { timeoutMs, intervalMs });
        } catch (error) {
          if (error instanceof RunAgentsTimeoutError) {
            throw new CliError(`timed out waiting for run "${id}" to finish`);
          }
          throw error;
        }
        if (ctx.printedRaw()) return;
        ctx.out.line(`Run "${id}" reached terminal status ${ctx.out.status(run.status)}.`);
        ctx.out.line();
        printRun(ctx, run);
      },
    },
    {
      name: "export",
      summary: "Export a run with its events and timeline as JSON",
      args: "<run-id>",
      min: 1,
      details:
        "Full event data, for reading and tooling. For the tamper-evident audit trail (hash-chained,\n" +
        'payload hashes only) use "runagents audit export --run <run-id>".',
      async run(ctx, { positionals: [id = ""] }) {
        ctx.out.json(await runWithEvents(ctx, id), !ctx.json);
      },
    },
  ],
};
