/**
 * @module
 * The MCP tool-result envelope (api-contract §4.3): a 2-space JSON text block plus `structuredContent`
 * (always an object: arrays become `{items}`, other non-objects `{value}`). Failures are tool errors
 * (`isError: true`): `{error: "HTTP <status>", detail}` for platform answers >= 400, `{error: message}`
 * for everything else (validation, timeouts, connection failures, configuration).
 */

import { APIError } from "../errors.js";
import { isObject } from "./define.js";

export interface ToolResult {
  content: { type: "text"; text: string }[];
  structuredContent: Record<string, unknown>;
  isError?: boolean;
  [key: string]: unknown;
}

/** The object form of a result value. */
export function toStructured(value: unknown): Record<string, unknown> {
  if (Array.isArray(value)) return { items: value };
  if (isObject(value)) return value;
  return { value: value ?? null };
}

function envelope(value: unknown, isError: boolean): ToolResult {
  const json = value === undefined ? null : value;
  const result: ToolResult = {
    content: [{ type: "text", text: JSON.stringify(json, null, 2) }],
    structuredContent: toStructured(json),
  };
  if (isError) result.isError = true;
  return result;
}

/** A successful result. */
export function toolResult(value: unknown): ToolResult {
  return envelope(value, false);
}

/** The JSON body of a failure: `{error: "HTTP <status>", detail}` or `{error: message}`. */
export function errorBody(error: unknown): Record<string, unknown> {
  if (error instanceof APIError) return { error: `HTTP ${error.status}`, detail: error.detail };
  if (error instanceof Error) return { error: error.message };
  return { error: String(error) };
}

/** A tool error carrying {@link errorBody}. */
export function toolError(error: unknown): ToolResult {
  return envelope(errorBody(error), true);
}
