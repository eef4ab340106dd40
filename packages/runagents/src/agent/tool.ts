/**
 * @module
 * `tool()`: attach a name, a description and JSON Schema parameters to a function, so it can be
 * offered to a model (`toOpenAITools`) and dispatched from the model's tool calls
 * (`executeToolCall`). Metadata only: the runtime itself never reads it.
 */

import { isRecord, type JsonRecord } from "./json.js";
import type { ChatMessage, OpenAITool } from "./llm.js";

/** A JSON Schema object, or a schema with a `toJSONSchema()` method (Zod 4 and similar). */
export type ToolParameters = JsonRecord | { toJSONSchema(): unknown };

export interface ToolOptions {
  /** Default: the function's name in kebab-case (`lookupOrder` → `lookup-order`). */
  name?: string;
  /** Default: `""`. */
  description?: string;
  /** Default: an object schema with no properties. */
  parameters?: ToolParameters;
}

/** Any function: `never[]` parameters accept every signature without `any`. */
type AnyFunction = (...args: never[]) => unknown;

/** A function carrying tool metadata; calling it calls the original function. */
export type ToolFunction<F extends AnyFunction = AnyFunction> = F & {
  readonly toolName: string;
  readonly toolDescription: string;
  readonly parameters: JsonRecord;
};

/** Wraps `fn` as a tool named after the function. */
export function tool<F extends AnyFunction>(fn: F): ToolFunction<F>;
/** Wraps `fn` as a tool with explicit metadata. */
export function tool<F extends AnyFunction>(options: ToolOptions, fn: F): ToolFunction<F>;
export function tool<F extends AnyFunction>(first: F | ToolOptions, second?: F): ToolFunction<F> {
  const [options, fn] = typeof first === "function" ? [{}, first] : [first, second];
  if (typeof fn !== "function") throw new TypeError("tool() needs a function");
  const name = options.name ?? kebabCase(fn.name);
  if (name === "") throw new TypeError("tool() needs a name for an anonymous function");
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    return fn.apply(this, args as never[]);
  };
  Object.defineProperties(wrapper, {
    name: { value: fn.name },
    length: { value: fn.length },
    toolName: { value: name, enumerable: true },
    toolDescription: { value: options.description ?? "", enumerable: true },
    parameters: { value: toJsonSchema(options.parameters), enumerable: true },
  });
  return wrapper as unknown as ToolFunction<F>;
}

/** `myCalculator` / `my_calculator` / `MyCalculator` → `my-calculator`. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/[_\s]+/g, "-")
    .toLowerCase();
}

function toJsonSchema(parameters: ToolParameters | undefined): JsonRecord {
  if (parameters === undefined) return { type: "object", properties: {} };
  let schema: unknown = parameters;
  if (typeof (parameters as { toJSONSchema?: unknown }).toJSONSchema === "function") {
    schema = (parameters as { toJSONSchema(): unknown }).toJSONSchema();
  }
  if (!isRecord(schema)) throw new TypeError("tool() parameters must be a JSON Schema object");
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

/** The OpenAI `tools` array for a list of tools. */
export function toOpenAITools(tools: readonly ToolFunction[]): OpenAITool[] {
  return tools.map((t) => ({
    type: "function",
    function: { name: t.toolName, description: t.toolDescription, parameters: t.parameters },
  }));
}

/** A model's tool call, as found in `choices[0].message.tool_calls`. */
export interface ToolCallRequest {
  id: string;
  function: { name: string; arguments?: string | JsonRecord };
}

/** The `role: "tool"` message answering one tool call, ready to append to the conversation. */
export interface ToolResultMessage extends ChatMessage {
  role: "tool";
  tool_call_id: string;
  content: string;
}

/**
 * Runs the tool a model asked for with its parsed arguments and returns the tool message for the
 * conversation. Mistakes the model can fix (an unknown tool, arguments that are not a JSON object)
 * come back as `{"error": ...}` content; errors thrown by the tool itself propagate, so approval and
 * consent interrupts reach the runtime.
 */
export async function executeToolCall(
  tools: readonly ToolFunction[],
  toolCall: ToolCallRequest,
): Promise<ToolResultMessage> {
  const reply = (content: string): ToolResultMessage => ({
    role: "tool",
    tool_call_id: toolCall.id,
    content,
  });
  const name = toolCall.function.name;
  const target = tools.find((t) => t.toolName === name);
  if (!target) return reply(JSON.stringify({ error: `unknown tool '${name}'` }));
  const raw = toolCall.function.arguments ?? "{}";
  let args: unknown = raw;
  if (typeof raw === "string") {
    try {
      args = raw.trim() === "" ? {} : JSON.parse(raw);
    } catch {
      return reply(JSON.stringify({ error: `arguments for '${name}' are not valid JSON` }));
    }
  }
  if (!isRecord(args)) return reply(JSON.stringify({ error: `arguments for '${name}' must be an object` }));
  const result = await (target as unknown as (input: JsonRecord) => unknown)(args);
  return reply(typeof result === "string" ? result : (JSON.stringify(result) ?? ""));
}
