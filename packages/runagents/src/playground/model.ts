/**
 * @module
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
 * / 4). Priced as free. Streamed ({@link playgroundChunks}), the answer arrives as a role chunk,
 * then the content word by word (each word with the spaces after it) or the whole tool call in
 * one chunk, then the finish chunk and a usage chunk.
 *
 * The platform's gateway serves this model as its `playground` provider; `runagents dev` serves
 * it in-process when neither a platform nor a provider key is available.
 */

type Json = Record<string, unknown>;

export interface PlaygroundToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** An OpenAI chat message, as loose as the wire allows (`content` a string, parts, or null). */
export interface PlaygroundMessage {
  role: string;
  content?: unknown;
  tool_calls?: PlaygroundToolCall[];
  tool_call_id?: string;
}

export interface PlaygroundTool {
  type: "function";
  function: { name: string; description?: string; parameters?: Json };
}

/** The parts of an OpenAI chat-completions request the model reads. */
export interface PlaygroundRequest {
  model: string;
  messages: PlaygroundMessage[];
  tools?: PlaygroundTool[];
  tool_choice?: unknown;
}

export interface PlaygroundUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface PlaygroundAnswer {
  message: { role: "assistant"; content: string | null; tool_calls?: PlaygroundToolCall[] };
  finish_reason: "stop" | "tool_calls";
  usage: PlaygroundUsage;
}

const PREFIX = "[playground]";
const RESULT_LIMIT = 500;
const CHARS_PER_TOKEN = 4;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** The text of a message's content: a string, or the text parts of a list joined by newlines. */
export function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  const parts: string[] = [];
  for (const part of content) {
    if (typeof part === "string") parts.push(part);
    else if (isObject(part) && typeof part.text === "string") parts.push(part.text);
  }
  return parts.join("\n");
}

const estimateTokens = (chars: number): number => Math.ceil(chars / CHARS_PER_TOKEN);

function promptChars(messages: readonly PlaygroundMessage[]): number {
  let chars = 0;
  for (const m of messages) {
    chars += contentText(m.content).length;
    for (const call of m.tool_calls ?? []) chars += call.function?.arguments?.length ?? 0;
  }
  return chars;
}

const makeUsage = (prompt: number, completion: number): PlaygroundUsage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});

export function playgroundAnswer(request: PlaygroundRequest): PlaygroundAnswer {
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
    return {
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: `call_playground_${messages.length}`,
            type: "function",
            function: { name: chosen.tool.function.name, arguments: args },
          },
        ],
      },
      finish_reason: "tool_calls",
      usage: makeUsage(prompt, estimateTokens(args.length)),
    };
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

function toolNameOf(request: PlaygroundRequest, id: string | undefined): string {
  for (const m of request.messages) {
    const call = m.tool_calls?.find((c) => c.id === id);
    if (call) return call.function.name;
  }
  return "the tool";
}

interface Chosen {
  tool: PlaygroundTool;
  argument: string;
}

function chooseTool(request: PlaygroundRequest, text: string): Chosen | undefined {
  const tools = (request.tools ?? []).filter((t) => typeof t.function?.name === "string");
  const choice = request.tool_choice;
  if (isObject(choice) && isObject(choice.function)) {
    const tool = tools.find((t) => t.function.name === (choice.function as { name?: unknown }).name);
    if (tool) return { tool, argument: "" };
  }
  let best: { tool: PlaygroundTool; at: number; length: number } | undefined;
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

function argumentKey(tool: PlaygroundTool): string {
  const params = isObject(tool.function.parameters) ? tool.function.parameters : {};
  const props = isObject(params.properties) ? Object.keys(params.properties) : [];
  if (props.length === 0 || props.includes("message")) return "message";
  const required = Array.isArray(params.required) ? params.required : [];
  const first = required.find((r): r is string => typeof r === "string" && props.includes(r));
  return first ?? (props[0] as string);
}
