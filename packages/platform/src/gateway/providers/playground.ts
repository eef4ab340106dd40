/**
 * @module gateway/providers/playground
 * The offline playground model: no key, no network, the same answer for the same request.
 * Demos and tests rely on these rules (also in docs/playground-model.md). "U" is the text of the
 * last `user` message (text parts joined by newlines), trimmed.
 *
 * 1. Summary. When the last message is a `tool` result, the answer is
 *    `[playground] <tool> returned: <result>` — `<tool>` is the function name of the assistant
 *    tool call whose id is the message's `tool_call_id` (else `the tool`), `<result>` the
 *    result's text with runs of whitespace collapsed to one space, cut to 500 characters (plus
 *    `…` when cut). `finish_reason: "stop"`.
 * 2. Tool call. When `tools` are offered and `tool_choice` is not `"none"`, one tool is chosen:
 *    a. `tool_choice: {type: "function", function: {name}}` chooses that tool;
 *    b. else a tool U names: its aliases are its function name and, for `<tool>__<operation>`
 *       names, `<tool>`, each also with `_` written as `-`; an alias is found in U
 *       case-insensitively where no letter, digit or `_` touches it. The alias found earliest
 *       in U wins (then the longer one, then the tool offered first);
 *    c. else, when U has the word `echo`, the first offered tool whose name contains `echo`;
 *    d. else, when `tool_choice` is `"required"`, the first offered tool.
 *    The argument text is what follows the found alias (b) or the first word `echo` (c) in U,
 *    with leading spaces and `:` `,` `-` removed and one pair of surrounding quotes dropped; when
 *    that is empty (and for a, d), U itself. The arguments are `{"<key>": <argument text>}` (a
 *    string) where `<key>` is `message` when the tool's `parameters.properties` has `message` or
 *    declares no properties, else the first string of `parameters.required` that is a property,
 *    else the first property. The answer has `content: null`, one tool call with id
 *    `call_playground_<number of messages in the request>`, `finish_reason: "tool_calls"`.
 * 3. Plain answer. Otherwise `[playground] You said: <U>`, or `[playground] Hello from the
 *    offline playground model.` when there is no user text.
 *
 * Usage: prompt tokens = ceil(characters of every message's text and tool-call arguments / 4),
 * completion tokens = ceil(characters of the answer's content, or of the tool call's arguments,
 * / 4). Priced as free. Streamed, the answer arrives as a role chunk, then the content word by
 * word (each word with the spaces after it) or the whole tool call in one chunk, then the finish
 * chunk and a usage chunk.
 */
import { randomBytes } from "node:crypto";
import { isObject } from "../../validate.js";
import {
  type AssistantMessage,
  type ChatChunk,
  type ChatCompletion,
  type ChatRequest,
  contentText,
  nowSeconds,
  type ProviderAdapter,
  type ToolDef,
  type Usage,
} from "../types.js";
import { estimateTokens, makeUsage, promptChars } from "../usage.js";

const PREFIX = "[playground]";
const RESULT_LIMIT = 500;

export interface PlaygroundAnswer {
  message: AssistantMessage;
  finish_reason: "stop" | "tool_calls";
  usage: Usage;
}

export function playgroundAnswer(request: ChatRequest): PlaygroundAnswer {
  const messages = request.messages;
  const prompt = estimateTokens(promptChars(messages));
  const last = messages.at(-1);
  if (last?.role === "tool") {
    const result = clip(contentText(last.content));
    return plain(`${PREFIX} ${toolNameOf(request, last.tool_call_id)} returned: ${result}`, prompt);
  }
  const user = [...messages].reverse().find((m) => m.role === "user");
  const text = user ? contentText(user.content).trim() : "";
  const chosen = request.tools && request.tool_choice !== "none" ? chooseTool(request, text) : undefined;
  if (chosen) {
    const args = JSON.stringify({ [argumentKey(chosen.tool)]: chosen.argument || text });
    const message: AssistantMessage = {
      role: "assistant",
      content: null,
      tool_calls: [
        {
          id: `call_playground_${messages.length}`,
          type: "function",
          function: { name: chosen.tool.function.name, arguments: args },
        },
      ],
    };
    return { message, finish_reason: "tool_calls", usage: makeUsage(prompt, estimateTokens(args.length)) };
  }
  return plain(
    text ? `${PREFIX} You said: ${text}` : `${PREFIX} Hello from the offline playground model.`,
    prompt,
  );
}

function plain(content: string, prompt: number): PlaygroundAnswer {
  return {
    message: { role: "assistant", content },
    finish_reason: "stop",
    usage: makeUsage(prompt, estimateTokens(content.length)),
  };
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > RESULT_LIMIT ? `${flat.slice(0, RESULT_LIMIT)}…` : flat;
}

function toolNameOf(request: ChatRequest, id: string | undefined): string {
  for (const m of request.messages) {
    const call = m.tool_calls?.find((c) => c.id === id);
    if (call) return call.function.name;
  }
  return "the tool";
}

interface Chosen {
  tool: ToolDef;
  argument: string;
}

function chooseTool(request: ChatRequest, text: string): Chosen | undefined {
  const tools = (request.tools ?? []).filter((t) => typeof t.function?.name === "string");
  const choice = request.tool_choice;
  if (isObject(choice) && isObject(choice.function)) {
    const tool = tools.find((t) => t.function.name === (choice.function as { name?: unknown }).name);
    if (tool) return { tool, argument: "" };
  }
  let best: { tool: ToolDef; at: number; length: number } | undefined;
  for (const tool of tools) {
    for (const alias of aliases(tool.function.name)) {
      const at = findWord(text, alias);
      if (at < 0) continue;
      if (!best || at < best.at || (at === best.at && alias.length > best.length)) {
        best = { tool, at, length: alias.length };
      }
    }
  }
  if (best) return { tool: best.tool, argument: argumentAfter(text, best.at + best.length) };
  const echo = findWord(text, "echo");
  const echoTool = tools.find((t) => t.function.name.toLowerCase().includes("echo"));
  if (echo >= 0 && echoTool) return { tool: echoTool, argument: argumentAfter(text, echo + 4) };
  if (choice === "required" && tools[0]) return { tool: tools[0], argument: "" };
  return undefined;
}

function aliases(name: string): string[] {
  const base = name.includes("__") ? [name, name.slice(0, name.indexOf("__"))] : [name];
  return [...new Set(base.flatMap((a) => [a, a.replaceAll("_", "-")]).filter((a) => a.length > 0))];
}

/** Index of `word` in `text` (case-insensitive) with no letter, digit or `_` touching it; -1 if none. */
function findWord(text: string, word: string): number {
  const hay = text.toLowerCase();
  const needle = word.toLowerCase();
  for (let at = hay.indexOf(needle); at !== -1; at = hay.indexOf(needle, at + 1)) {
    const before = at === 0 ? "" : (hay[at - 1] as string);
    const after = hay[at + needle.length] ?? "";
    if (!/[\p{L}\p{N}_]/u.test(before) && !/[\p{L}\p{N}_]/u.test(after)) return at;
  }
  return -1;
}

function argumentAfter(text: string, from: number): string {
  const rest = text
    .slice(from)
    .replace(/^[\s:,-]+/, "")
    .trim();
  const quoted = /^(["'“])([\s\S]*)(["'”])$/.exec(rest);
  return quoted ? (quoted[2] as string) : rest;
}

function argumentKey(tool: ToolDef): string {
  const params = isObject(tool.function.parameters) ? tool.function.parameters : {};
  const props = isObject(params.properties) ? Object.keys(params.properties) : [];
  if (props.length === 0 || props.includes("message")) return "message";
  const required = Array.isArray(params.required) ? params.required : [];
  const first = required.find((r): r is string => typeof r === "string" && props.includes(r));
  return first ?? (props[0] as string);
}

export const playgroundAdapter: ProviderAdapter = {
  async complete(_target, request) {
    const answer = playgroundAnswer(request);
    const completion: ChatCompletion = {
      id: `chatcmpl-playground-${randomBytes(8).toString("hex")}`,
      object: "chat.completion",
      created: nowSeconds(),
      model: request.model,
      choices: [{ index: 0, message: answer.message, finish_reason: answer.finish_reason }],
      usage: answer.usage,
    };
    return completion;
  },

  async stream(_target, request) {
    return streamAnswer(playgroundAnswer(request), request.model);
  },

  async probe() {
    return { available: true, message: "offline playground model: no network or key needed" };
  },
};

async function* streamAnswer(answer: PlaygroundAnswer, model: string): AsyncGenerator<ChatChunk> {
  const id = `chatcmpl-playground-${randomBytes(8).toString("hex")}`;
  const created = nowSeconds();
  const chunk = (delta: ChatChunk["choices"][number]["delta"], finish: string | null = null): ChatChunk => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  yield chunk({ role: "assistant", content: "" });
  const call = answer.message.tool_calls?.[0];
  if (call) yield chunk({ tool_calls: [{ index: 0, ...call }] });
  else
    for (const word of (answer.message.content ?? "").match(/\S+\s*/g) ?? []) yield chunk({ content: word });
  yield chunk({}, answer.finish_reason);
  yield { id, object: "chat.completion.chunk", created, model, choices: [], usage: answer.usage };
}
