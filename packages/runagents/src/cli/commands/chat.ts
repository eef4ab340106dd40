/**
 * @module
 * `runagents chat <agent>`: a conversation with a deployed agent, one streamed run per line read.
 * Every turn after the first names the conversation the first one started, so the platform sends
 * the agent the earlier messages as history. Works on a terminal (a `you>` prompt) and with
 * piped stdin (one line = one turn, answers one after the other on stdout). `/exit` or end of
 * input ends it.
 */

import { createInterface } from "node:readline";
import type { InvokeInput } from "../../client/types.js";
import { APIError } from "../../errors.js";
import { type Command, str } from "../args.js";
import type { Ctx } from "../context.js";
import {
  nextSteps,
  outcomeOfError,
  streamTurn,
  TURN_OPTIONS,
  type TurnOutcome,
  turnInput,
} from "./invoke.js";

const EXIT_WORDS = new Set(["/exit", "/quit"]);

/** One turn: the answer streamed to stdout (or its events as JSON lines), then what a pause needs. */
async function turn(ctx: Ctx, agent: string, input: InvokeInput, tty: boolean): Promise<TurnOutcome> {
  let outcome: TurnOutcome;
  let started = false;
  const startLine = (): void => {
    if (started || ctx.json) return;
    started = true;
    if (tty) ctx.out.write(ctx.out.paint("cyan", `${agent}> `));
  };
  try {
    outcome = await streamTurn(ctx, agent, input, {
      onText: (text) => {
        if (ctx.json) return;
        startLine();
        ctx.out.write(text);
      },
      onEvent: (event) => {
        if (ctx.json) ctx.out.json(event);
      },
    });
  } catch (error) {
    if (!(error instanceof APIError)) throw error;
    outcome = outcomeOfError(error);
  }
  if (!ctx.json) {
    startLine();
    ctx.out.line();
  }
  if (outcome.status === "FAILED") ctx.err.line(`Error: ${outcome.error ?? "the run failed"}`);
  for (const line of nextSteps(outcome)) ctx.err.line(line);
  return outcome;
}

export const chat: Command = {
  name: "chat",
  summary: "Talk with a deployed agent, turn by turn, in one conversation",
  args: "<agent>",
  min: 1,
  options: TURN_OPTIONS,
  details:
    "Each line you type (or each line of piped stdin) is one turn: a run whose answer is printed\n" +
    "as it is written. All turns share one conversation, so the agent sees the earlier messages.\n" +
    "/exit or end of input (Ctrl-D) ends the chat and prints the conversation id; pass it to\n" +
    "--conversation to carry on later. A paused run is reported as `runagents invoke` does.\n" +
    "-o json prints every event of every turn as one JSON line.",
  async run(ctx, parsed) {
    const agent = parsed.positionals[0] ?? "";
    // Fail fast (one line, exit 1) for an agent that does not exist, before reading any input.
    await ctx.client().agents.get(agent);
    const tty = Boolean(process.stdin.isTTY);
    const rl = createInterface({
      input: process.stdin,
      output: tty ? process.stdout : undefined,
      terminal: tty,
    });
    rl.setPrompt(ctx.out.paint("bold", "you> "));
    rl.on("SIGINT", () => rl.close());
    let conversationId = str(parsed, "conversation")?.trim() || undefined;
    if (tty) {
      ctx.err.line(`Chatting with ${agent}. Type /exit or press Ctrl-D to end.`);
      rl.prompt();
    }
    try {
      for await (const raw of rl) {
        const line = raw.trim();
        if (EXIT_WORDS.has(line)) break;
        if (line !== "") {
          const outcome = await turn(ctx, agent, turnInput(parsed, line, conversationId), tty);
          conversationId ||= outcome.conversationId || undefined;
        }
        if (tty) rl.prompt();
      }
    } finally {
      rl.close();
    }
    if (conversationId && !ctx.json)
      ctx.err.line(`Conversation: ${conversationId} (continue with --conversation ${conversationId})`);
  },
};
