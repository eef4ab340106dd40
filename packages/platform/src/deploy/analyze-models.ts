/**
 * @module
 * Model providers, model usages, framework and system-prompt detection.
 *
 * - `model_providers`: one `{provider, model}` per model-name string literal (`gpt-…`, `o1`/`o3`/`o4…`,
 *   `chatgpt-…`, `text-embedding-…` → openai; `claude-…` → anthropic; `gemini-…` → google), plus
 *   `{provider, model: ""}` for a provider SDK that is imported with no model literal of its own.
 *   Code that only uses the `runagents` Agent gets the runtime default `{openai, gpt-4o-mini}`
 *   (the runtime's `LLM_MODEL` default). Sorted by provider, then model.
 * - `model_usages`: client constructions (`const client = new OpenAI(…)`, `llm = ChatAnthropic(…)`,
 *   `const agent = new Agent(…)` from runagents) → role `default`; `x.embeddings.create(` and
 *   `new OpenAIEmbeddings(` → `embedding`; `x.chat.completions.create(`, `x.messages.create(` and
 *   runagents `agent.chat(` → `chat`; `LLM_MODEL[_<ROLE>]` env reads → that role.
 * - `framework`: the first imported of langgraph, langchain, crewai, autogen, llamaindex,
 *   runagents, openai, anthropic; otherwise `custom`.
 * - `system_prompt_suggestion`: the first string assigned to a SYSTEM_PROMPT-like name
 *   (`SYSTEM_PROMPT`, `systemPrompt`, `system_prompt`, `SYSTEM_MESSAGE`, `instructions`) or the
 *   content of a `{role: "system", content: "…"}` message; otherwise {@link DEFAULT_SYSTEM_PROMPT}.
 */

import type { ImportRef } from "./analyze-imports.js";
import { MAX_FINDINGS, type SourceFile } from "./analyze-scan.js";

export interface ModelProviderRef {
  provider: string;
  model: string;
}

export interface ModelUsage {
  role: string;
  variable_name: string;
  file: string;
  line: number;
}

/** The runtime's default system prompt (runtime contract: `SYSTEM_PROMPT` default). */
export const DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant.";
/** The runtime's default model (runtime contract: `LLM_MODEL` default). */
export const DEFAULT_RUNTIME_MODEL: ModelProviderRef = { provider: "openai", model: "gpt-4o-mini" };

const MODEL_LITERAL =
  /^(?:(gpt-[\w.:-]{1,60}|chatgpt-[\w.-]{1,60}|o[134](?:-(?:mini|preview|pro))?(?:-\d{4}-\d{2}-\d{2})?|text-embedding-[\w.-]{1,40})|(claude-[\w.@:-]{1,60})|(gemini-[\w.-]{1,60}))$/;

const PROVIDER_MODULES: Readonly<Record<string, readonly string[]>> = {
  openai: ["openai", "@ai-sdk/openai", "@langchain/openai", "langchain_openai"],
  anthropic: [
    "@anthropic-ai/sdk",
    "anthropic",
    "@ai-sdk/anthropic",
    "@langchain/anthropic",
    "langchain_anthropic",
  ],
  google: ["@google/generative-ai", "@google/genai", "@ai-sdk/google", "google.generativeai", "google.genai"],
};

const FRAMEWORKS: readonly [string, RegExp][] = [
  ["langgraph", /^(?:@langchain\/langgraph|langgraph)(?:[/.]|$)/],
  ["langchain", /^(?:langchain|@langchain\/|langchain_)/],
  ["crewai", /^crewai(?:[/.]|$)/],
  ["autogen", /^(?:autogen|autogen_agentchat|autogen_core|@autogen)(?:[/._]|$)/],
  ["llamaindex", /^(?:llamaindex|llama_index)(?:[/.]|$)/],
  ["runagents", /^runagents(?:[/.]|$)/],
  ["openai", /^openai(?:[/.]|$)/],
  ["anthropic", /^(?:@anthropic-ai\/sdk|anthropic)(?:[/.]|$)/],
];

const CLIENTS =
  "OpenAI|AsyncOpenAI|AzureOpenAI|Anthropic|AsyncAnthropic|ChatOpenAI|ChatAnthropic|GoogleGenAI|GoogleGenerativeAI|Agent|OpenAIEmbeddings";
const JS_CLIENT = new RegExp(
  `\\b(?:const|let|var)[ \\t]+(\\w+)[ \\t]*(?::[^=]{1,100})?=[ \\t]*new[ \\t]+(?:\\w+\\.)?(${CLIENTS})[ \\t]*\\(`,
);
const PY_CLIENT = new RegExp(
  `^[ \\t]*(\\w+)[ \\t]*(?::[^=]{1,100})?=[ \\t]*(?:\\w+\\.){0,3}(${CLIENTS})[ \\t]*\\(`,
);
const EMBEDDINGS_CALL = /\b(\w+)(?:\.\w+){0,3}\.embeddings\.create[ \t]*\(/;
const CHAT_CALL = /\b(\w+)(?:\.\w+){0,3}\.(?:chat\.completions|messages)\.create[ \t]*\(/;
const AGENT_CHAT = /\b(\w+)\.chat[ \t]*\(/;
const LLM_MODEL_ENV = /\bLLM_MODEL(?:_(DEFAULT|CHAT|EMBEDDING|CLASSIFY|RERANKING))?\b/;

const PROMPT_NAME =
  "\\b(?:SYSTEM_PROMPT|SYSTEM_MESSAGE|systemPrompt|systemMessage|system_prompt|system_message|INSTRUCTIONS|instructions)\\b[\"']?[ \\t]*(?::[ \\t]*string[ \\t]*)?(?:=|:|\\?\\?|\\|\\|)";
const STRING_VALUE =
  "[ \\t]*(?:\"\"\"([\\s\\S]{1,8000}?)\"\"\"|'''([\\s\\S]{1,8000}?)'''|`([^`]{1,8000})`|\"((?:[^\"\\\\\\n]|\\\\.){1,8000})\"|'((?:[^'\\\\\\n]|\\\\.){1,8000})')";
const PROMPT_ASSIGN = new RegExp(PROMPT_NAME + STRING_VALUE);
const SYSTEM_MESSAGE = new RegExp(
  `\\brole["']?[ \\t]*:[ \\t]*["']system["'][ \\t]*,[ \\t]*["']?content["']?[ \\t]*:${STRING_VALUE}`,
);

/** The modules actually imported, as written. */
function importedModules(imports: readonly ImportRef[]): Set<string> {
  return new Set(imports.map((ref) => ref.module));
}

export function detectFramework(imports: readonly ImportRef[]): string {
  const modules = [...importedModules(imports)];
  for (const [framework, re] of FRAMEWORKS) {
    if (modules.some((module) => re.test(module))) return framework;
  }
  return "custom";
}

export function findModelProviders(
  sources: readonly SourceFile[],
  imports: readonly ImportRef[],
): ModelProviderRef[] {
  const pairs = new Map<string, ModelProviderRef>();
  for (const file of sources) {
    if (file.language === "other") continue;
    for (const line of file.lines) {
      for (const literal of line.literals) {
        const match = MODEL_LITERAL.exec(literal);
        if (match === null || pairs.size >= MAX_FINDINGS) continue;
        const provider = match[1] ? "openai" : match[2] ? "anthropic" : "google";
        pairs.set(`${provider}\u0000${literal}`, { provider, model: literal });
      }
    }
  }
  const modules = importedModules(imports);
  for (const [provider, names] of Object.entries(PROVIDER_MODULES)) {
    const imported = names.some((name) => [...modules].some((m) => m === name || m.startsWith(`${name}/`)));
    const hasModel = [...pairs.values()].some((pair) => pair.provider === provider);
    if (imported && !hasModel) pairs.set(`${provider}\u0000`, { provider, model: "" });
  }
  if (pairs.size === 0 && usesRunagents(imports)) return [{ ...DEFAULT_RUNTIME_MODEL }];
  return [...pairs.values()].sort((a, b) => compare(a.provider, b.provider) || compare(a.model, b.model));
}

export function findModelUsages(sources: readonly SourceFile[], imports: readonly ImportRef[]): ModelUsage[] {
  const runagentsFiles = new Set(imports.filter((ref) => isRunagents(ref.module)).map((ref) => ref.file));
  const usages = new Map<string, ModelUsage>();
  const add = (role: string, variable: string, file: string, line: number): void => {
    const key = `${file}\u0000${line}\u0000${role}\u0000${variable}`;
    if (usages.size < MAX_FINDINGS) usages.set(key, { role, variable_name: variable, file, line });
  };
  for (const file of sources) {
    if (file.language === "other") continue;
    const runagents = runagentsFiles.has(file.path);
    for (const line of file.lines) {
      const code = line.code;
      if (!code.includes("(") && !code.includes("LLM_MODEL")) continue;
      const client = (file.language === "js" ? JS_CLIENT : PY_CLIENT).exec(code);
      if (client !== null && (client[2] !== "Agent" || runagents)) {
        add(
          client[2] === "OpenAIEmbeddings" ? "embedding" : "default",
          client[1] ?? "",
          file.path,
          line.number,
        );
      }
      const embeddings = EMBEDDINGS_CALL.exec(code);
      if (embeddings !== null) add("embedding", embeddings[1] ?? "", file.path, line.number);
      const chat = CHAT_CALL.exec(code);
      if (chat !== null) add("chat", chat[1] ?? "", file.path, line.number);
      const agentChat = runagents ? AGENT_CHAT.exec(code) : null;
      if (agentChat !== null && chat === null) add("chat", agentChat[1] ?? "", file.path, line.number);
      const env = LLM_MODEL_ENV.exec(code);
      if (env !== null) add((env[1] ?? "default").toLowerCase(), env[0], file.path, line.number);
    }
  }
  return [...usages.values()].sort(
    (a, b) => compare(a.file, b.file) || a.line - b.line || compare(a.role, b.role),
  );
}

export function findSystemPrompt(sources: readonly SourceFile[]): string {
  for (const re of [PROMPT_ASSIGN, SYSTEM_MESSAGE]) {
    for (const file of sources) {
      if (file.language === "other") continue;
      const match = re.exec(file.code);
      const raw = match?.slice(1).find((group) => group !== undefined);
      const prompt = raw === undefined ? "" : unescapeLiteral(raw).trim();
      if (prompt !== "") return prompt.slice(0, 4000);
    }
  }
  return DEFAULT_SYSTEM_PROMPT;
}

function usesRunagents(imports: readonly ImportRef[]): boolean {
  return imports.some((ref) => isRunagents(ref.module));
}

function isRunagents(module: string): boolean {
  return module === "runagents" || module.startsWith("runagents/") || module.startsWith("runagents.");
}

function unescapeLiteral(value: string): string {
  return value.replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch === "t" ? "\t" : ch));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
