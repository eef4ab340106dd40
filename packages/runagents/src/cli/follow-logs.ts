/**
 * @module
 * `runagents agents logs <name> --follow`: prints the agent's log lines as the platform streams
 * them (`GET /agents/{name}/logs?follow=true`) until Ctrl-C or SIGTERM (exit 0). When the
 * platform ends the stream (the agent was deleted, the platform is shutting down) or goes away,
 * one line says so and the exit status is 1. `-o json` prints each event as one JSON line
 * (`{"type": "line", "line"}`, `{"type": "end", "reason"}`).
 */

import { APIError } from "../errors.js";
import { CliError } from "./args.js";
import type { Ctx } from "./context.js";

export async function followLogs(ctx: Ctx, name: string, tail: number): Promise<void> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const endpoint = ctx.config().endpoint;
  try {
    const events = ctx.streamingClient().agents.followLogs(name, { tail }, { signal: stop.signal });
    for await (const event of events) {
      if (ctx.json) ctx.out.json(event);
      else if (event.type === "line") ctx.out.line(event.line);
      if (event.type === "end")
        throw new CliError(
          `stopped following ${name}'s logs: ${event.reason || "the platform ended the stream"}`,
        );
    }
    if (!stop.signal.aborted)
      throw new CliError(`stopped following ${name}'s logs: the platform at ${endpoint} went away`);
  } catch (error) {
    if (stop.signal.aborted) return;
    if (error instanceof CliError || error instanceof APIError) throw error;
    throw new CliError(
      `stopped following ${name}'s logs: lost the connection to the platform at ${endpoint}`,
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
