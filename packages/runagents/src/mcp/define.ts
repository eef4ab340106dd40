/**
 * @module
 * What an MCP tool is, independent of any transport: name, description, input schema, annotations and
 * a handler that takes a {@link Client} and validated arguments and returns a JSON value.
 */

import type { Client } from "../client/client.js";
import type { JsonObject } from "../client/types.js";
import type { ToolInputSchema } from "./schema.js";

/** MCP tool annotations (hints assistants use to decide whether to ask before calling). */
export interface ToolAnnotations {
  /** Changes nothing. */
  readOnlyHint: boolean;
  /** May overwrite or delete existing state (only meaningful when not read-only). */
  destructiveHint: boolean;
  /** Calling again with the same arguments has no further effect. */
  idempotentHint: boolean;
  /** Reaches beyond the RunAgents platform (agent code, outside webhooks). */
  openWorldHint: boolean;
}

export interface ToolContext {
  /** Fires when the MCP client cancels the call or disconnects. */
  signal?: AbortSignal;
}

export interface ToolDefinition {
  name: string;
  /** A short human title. */
  title: string;
  /** What the tool does, when to use it, and what it returns: assistants pick tools from this. */
  description: string;
  inputSchema: ToolInputSchema;
  annotations: ToolAnnotations;
  /** Returns the JSON value of the result; throws SDK errors, which become tool errors. */
  handler: (client: Client, args: ToolArgs, context: ToolContext) => Promise<unknown>;
}

/** Reads platform state only. */
export const READ: ToolAnnotations = Object.freeze({
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
});

/** Changes platform state. */
export function write(hints: {
  destructive: boolean;
  idempotent: boolean;
  openWorld?: boolean;
}): ToolAnnotations {
  return {
    readOnlyHint: false,
    destructiveHint: hints.destructive,
    idempotentHint: hints.idempotent,
    openWorldHint: hints.openWorld ?? false,
  };
}

/** Validated tool arguments (defaults applied) with typed accessors; absent values are `undefined`. */
export class ToolArgs {
  readonly values: Readonly<Record<string, unknown>>;

  constructor(values: Record<string, unknown>) {
    this.values = values;
  }

  /** The string value, `""` when absent. */
  string(name: string): string {
    const value = this.values[name];
    return typeof value === "string" ? value : "";
  }

  number(name: string): number | undefined {
    const value = this.values[name];
    return typeof value === "number" ? value : undefined;
  }

  boolean(name: string): boolean | undefined {
    const value = this.values[name];
    return typeof value === "boolean" ? value : undefined;
  }

  strings(name: string): string[] | undefined {
    const value = this.values[name];
    return Array.isArray(value) ? value.map(String) : undefined;
  }

  object(name: string): JsonObject | undefined {
    const value = this.values[name];
    return isObject(value) ? value : undefined;
  }

  objects(name: string): JsonObject[] | undefined {
    const value = this.values[name];
    return Array.isArray(value) ? value.filter(isObject) : undefined;
  }

  stringMap(name: string): Record<string, string> | undefined {
    const value = this.object(name);
    if (value === undefined) return undefined;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
  }
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A string field of a JSON object, `undefined` when it is not a string. */
export function field(object: JsonObject, key: string): string | undefined {
  const value = object[key];
  return typeof value === "string" ? value : undefined;
}

/** A number field of a JSON object, `undefined` when it is not a number. */
export function numberField(object: JsonObject, key: string): number | undefined {
  const value = object[key];
  return typeof value === "number" ? value : undefined;
}
