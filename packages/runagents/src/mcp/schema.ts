/**
 * @module
 * The JSON Schemas of the MCP tool inputs, written as plain objects (no zod: `runagents` keeps zero
 * dependencies), the builders that keep them short, and the validator that checks a `tools/call`'s
 * arguments against them before anything is sent to the platform.
 */

/** The subset of JSON Schema the tool inputs use. */
export interface JsonSchema {
  type: "string" | "integer" | "number" | "boolean" | "object" | "array";
  description?: string;
  enum?: readonly string[];
  default?: string | number | boolean;
  /** For strings: the minimum length after trimming (so `" "` is empty). */
  minLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  /** `false`: only `properties`; a schema: every other value; absent: anything. */
  additionalProperties?: boolean | JsonSchema;
}

/** A tool's `inputSchema`: always an object; unknown top-level arguments are refused. */
export interface ToolInputSchema {
  type: "object";
  properties: Record<string, JsonSchema>;
  required: readonly string[];
  additionalProperties: false;
}

type Extra = Omit<JsonSchema, "type" | "description">;

/** A non-empty string (an id or a name). */
export const id = (description: string): JsonSchema => ({ type: "string", description, minLength: 1 });
export const str = (description: string, extra: Extra = {}): JsonSchema => ({
  type: "string",
  description,
  ...extra,
});
export const int = (description: string, extra: Extra = {}): JsonSchema => ({
  type: "integer",
  description,
  ...extra,
});
export const bool = (description: string, extra: Extra = {}): JsonSchema => ({
  type: "boolean",
  description,
  ...extra,
});
export const strList = (description: string): JsonSchema => ({
  type: "array",
  description,
  items: { type: "string" },
});
export const strMap = (description: string): JsonSchema => ({
  type: "object",
  description,
  additionalProperties: { type: "string" },
});
/** A free-form JSON object (a document, a plan). */
export const doc = (description: string, extra: Extra = {}): JsonSchema => ({
  type: "object",
  description,
  ...extra,
});
export const list = (description: string, items: JsonSchema): JsonSchema => ({
  type: "array",
  description,
  items,
});

/** The input schema of a tool; `required` names properties that must be present. */
export function input(
  properties: Record<string, JsonSchema> = {},
  required: readonly string[] = [],
): ToolInputSchema {
  return { type: "object", properties, required, additionalProperties: false };
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function check(schema: JsonSchema, value: unknown, path: string, problems: string[]): void {
  const actual = typeOf(value);
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") break;
      if (schema.minLength !== undefined && value.trim().length < schema.minLength) {
        problems.push(`${path} must be a non-empty string`);
      }
      if (schema.enum && !schema.enum.includes(value)) {
        problems.push(`${path} must be one of ${schema.enum.join(", ")}; got "${value}"`);
      }
      return;
    case "integer":
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) break;
      if (schema.type === "integer" && !Number.isInteger(value)) break;
      if (schema.minimum !== undefined && value < schema.minimum) {
        problems.push(`${path} must be at least ${schema.minimum}; got ${value}`);
      }
      if (schema.maximum !== undefined && value > schema.maximum) {
        problems.push(`${path} must be at most ${schema.maximum}; got ${value}`);
      }
      return;
    case "boolean":
      if (typeof value !== "boolean") break;
      return;
    case "array":
      if (!Array.isArray(value)) break;
      if (schema.items) {
        const items = schema.items;
        value.forEach((item, i) => {
          check(items, item, `${path}[${i}]`, problems);
        });
      }
      return;
    case "object":
      if (actual !== "object") break;
      checkObject(schema, value as Record<string, unknown>, path, problems);
      return;
  }
  const expected =
    schema.type === "integer" ? "an integer" : `a${/^[aeiou]/.test(schema.type) ? "n" : ""} ${schema.type}`;
  problems.push(`${path} must be ${expected}; got ${actual === "number" ? value : actual}`);
}

function checkObject(
  schema: JsonSchema,
  value: Record<string, unknown>,
  path: string,
  problems: string[],
): void {
  const prefix = path === "" ? "" : `${path}.`;
  for (const name of schema.required ?? []) {
    if (value[name] === undefined) problems.push(`${prefix}${name} is required`);
  }
  const known = schema.properties ?? {};
  for (const [name, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const property = known[name];
    if (property) check(property, item, `${prefix}${name}`, problems);
    else if (schema.additionalProperties === false) {
      const names = Object.keys(known);
      const expected = names.length === 0 ? "none" : names.join(", ");
      problems.push(
        `unknown ${path === "" ? "argument" : `key in ${path}`} "${name}" (expected: ${expected})`,
      );
    } else if (typeof schema.additionalProperties === "object") {
      check(schema.additionalProperties, item, `${prefix}${name}`, problems);
    }
  }
}

/**
 * Check `args` against `schema` and return them with the schema defaults filled in. Top-level `null`
 * values count as absent (assistants often send `null` for an optional argument). Throws an `Error`
 * listing every problem, e.g. `name is required; limit must be an integer; got 2.5`.
 */
export function validateArguments(schema: ToolInputSchema, args: unknown): Record<string, unknown> {
  if (args !== undefined && args !== null && typeOf(args) !== "object") {
    throw new Error(`arguments must be an object; got ${typeOf(args)}`);
  }
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries((args ?? {}) as Record<string, unknown>)) {
    if (value !== null && value !== undefined) values[name] = value;
  }
  const problems: string[] = [];
  checkObject(schema, values, "", problems);
  if (problems.length > 0) throw new Error(problems.join("; "));
  for (const [name, property] of Object.entries(schema.properties)) {
    if (values[name] === undefined && property.default !== undefined) values[name] = property.default;
  }
  return values;
}
