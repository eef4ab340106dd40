/**
 * @module
 * The playground model's answer in the OpenAI chat-completions wire format: a whole completion,
 * or the chunks of a streamed one (see the rules in `model.ts`).
 */

import { randomBytes } from "node:crypto";
import { type PlaygroundAnswer, type PlaygroundRequest, playgroundAnswer } from "./model.js";

export interface PlaygroundCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: { index: number; message: PlaygroundAnswer["message"]; finish_reason: string }[];
  usage: PlaygroundAnswer["usage"];
}

export interface PlaygroundChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: {
    index: number;
    delta: {
      role?: string;
      content?: string | null;
      tool_calls?: {
        index: number;
        id?: string;
        type?: "function";
        function?: { name?: string; arguments?: string };
      }[];
    };
    finish_reason: string | null;
  }[];
  usage?: PlaygroundAnswer["usage"];
}

const completionId = (): string => `chatcmpl-playground-${randomBytes(8).toString("hex")}`;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function playgroundCompletion(request: PlaygroundRequest): PlaygroundCompletion {
  const answer = playgroundAnswer(request);
  return {
    id: completionId(),
    object: "chat.completion",
    created: nowSeconds(),
    model: request.model,
    choices: [{ index: 0, message: answer.message, finish_reason: answer.finish_reason }],
    usage: answer.usage,
  };
}

/** The streamed answer: a role chunk, the content word by word (or the tool call), finish, usage. */
export function* playgroundChunks(request: PlaygroundRequest): Generator<PlaygroundChunk> {
  const answer = playgroundAnswer(request);
  const id = completionId();
  const created = nowSeconds();
  const model = request.model;
  const chunk = (delta: PlaygroundChunk["choices"][number]["delta"], finish: string | null = null) =>
    ({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    }) satisfies PlaygroundChunk;
  yield chunk({ role: "assistant", content: "" });
  const call = answer.message.tool_calls?.[0];
  if (call) yield chunk({ tool_calls: [{ index: 0, ...call }] });
  else
    for (const word of (answer.message.content ?? "").match(/\S+\s*/g) ?? []) yield chunk({ content: word });
  yield chunk({}, answer.finish_reason);
  yield { id, object: "chat.completion.chunk", created, model, choices: [], usage: answer.usage };
}
