/**
 * @module api/schema
 * The one description of a route's request and answers: a small JSON Schema (2020-12) subset
 * that the front door validates request bodies and query strings with, and that the OpenAPI
 * document publishes (`api/openapi-doc`). Messages match `validate.ts` (`<field> is required`,
 * `<field> must be a string`, `query parameter <key> must be an integer >= <n>`...), so a route
 * moving its checks into a schema answers bad input exactly as before.
 *
 * Named schemas (`component(name, schema)`) become `#/components/schemas/<name>`.
 */
import { HttpError } from "../errors.js";

export type JsonType = "object" | "string" | "integer" | "number" | "boolean" | "array" | "null";

export interface Schema {
  type?: JsonType | JsonType[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: readonly (string | number | boolean | null)[];
  const?: string | number | boolean;
  pattern?: string;
  format?: string;
  minLength?: number;
  minimum?: number;
  maximum?: number;
  oneOf?: Schema[];
  anyOf?: Schema[];
  $ref?: string;
  default?: unknown;
}

/** What a route declares about itself: documented in OpenAPI, and (body, query) checked on entry. */
export interface RouteSchema {
  /** Query parameters, as an object schema whose properties are the parameters. */
  query?: Schema;
  /** The JSON body, checked before the handler runs (the handler may still normalise it). */
  body?: Schema;
  /**
   * The body is only described: the handler parses it itself (aliases, flat and nested forms,
   * messages naming the field its own way). The front door does not check it.
   */
  bodyParsedByHandler?: boolean;
  /** Likewise for the query: described here, parsed (with its own messages) by the handler. */
  queryParsedByHandler?: boolean;
  /** Answers by status. A JSON body by default; `stream` answers name their media type. */
  responses: Record<number, Schema | StreamReply>;
}

/** A non-JSON answer: server-sent events, NDJSON, or a JSON-RPC stream. */
export interface StreamReply {
  mediaType: string;
  schema?: Schema;
}

/** An answer without a body (202 for a JSON-RPC notification, 204). */
export const noBody = (): StreamReply => ({ mediaType: "" });

export const isStreamReply = (value: Schema | StreamReply): value is StreamReply =>
  typeof (value as StreamReply).mediaType === "string";

// ---------------------------------------------------------------------------------------------
// Builders

const OPTIONAL = Symbol("optional");
type Optional = { [OPTIONAL]: Schema };
type Property = Schema | Optional;

/** An object property that may be absent. */
export const optional = (schema: Schema): Optional => ({ [OPTIONAL]: schema });

/** An object; every property is required unless wrapped in `optional()`. Extra keys are allowed. */
export function object(props: Record<string, Property> = {}, extra?: Pick<Schema, "description">): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [key, value] of Object.entries(props)) {
    if (OPTIONAL in value) properties[key] = value[OPTIONAL];
    else {
      properties[key] = value;
      required.push(key);
    }
  }
  return {
    type: "object",
    ...extra,
    properties,
    ...(required.length > 0 ? { required } : {}),
  };
}

/** An object with any keys, each value of `values`. */
export const record = (values: Schema = {}): Schema => ({ type: "object", additionalProperties: values });
export const string = (extra: Omit<Schema, "type"> = {}): Schema => ({ type: "string", ...extra });
/** A string that must hold a non-blank value (`requireString`). */
export const text = (extra: Omit<Schema, "type"> = {}): Schema => ({
  type: "string",
  minLength: 1,
  ...extra,
});
export const integer = (extra: Omit<Schema, "type"> = {}): Schema => ({ type: "integer", ...extra });
export const number = (extra: Omit<Schema, "type"> = {}): Schema => ({ type: "number", ...extra });
export const boolean = (extra: Omit<Schema, "type"> = {}): Schema => ({ type: "boolean", ...extra });
export const array = (items: Schema = {}, extra: Omit<Schema, "type" | "items"> = {}): Schema => ({
  type: "array",
  items,
  ...extra,
});
export const oneOf = <T extends string>(values: readonly T[], extra: Omit<Schema, "enum"> = {}): Schema => ({
  type: "string",
  enum: values,
  ...extra,
});
/** The value, or JSON null. */
export const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: "null" }] });
/** Anything JSON. */
export const any = (description?: string): Schema => (description ? { description } : {});
/** RFC 3339 timestamp. */
export const timestamp = (): Schema => ({ type: "string", format: "date-time" });

const components = new Map<string, Schema>();

/** A named schema, published under `#/components/schemas/<name>`; returns the reference. */
export function component(name: string, schema: Schema): Schema {
  const known = components.get(name);
  if (known && JSON.stringify(known) !== JSON.stringify(schema)) {
    throw new Error(`schema component ${name} defined twice with different content`);
  }
  components.set(name, schema);
  return { $ref: `#/components/schemas/${name}` };
}

/** Every named schema, by name. */
export const schemaComponents = (): Record<string, Schema> =>
  Object.fromEntries([...components].sort(([a], [b]) => a.localeCompare(b)));

const resolve = (schema: Schema): Schema => {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace("#/components/schemas/", "");
  const target = components.get(name);
  if (!target) throw new Error(`unknown schema reference ${schema.$ref}`);
  return resolve(target);
};

// ---------------------------------------------------------------------------------------------
// Validation: the first problem, as the message the API answers with.

/** Check a JSON value; throws `HttpError(400)` naming the first field that does not fit. */
export function checkBody(schema: Schema, body: Record<string, unknown>): void {
  const problem = firstProblem(schema, body, "", true);
  if (problem) throw new HttpError(400, problem);
}

/** The first problem with `value` against `schema`, or undefined when it fits. */
export function firstProblem(
  schema: Schema,
  value: unknown,
  path: string,
  required: boolean,
): string | undefined {
  const s = resolve(schema);
  const name = path || "request body";
  if (value === undefined || value === null) {
    if (value === null && allowsNull(s)) return undefined;
    return required ? `${name} is required` : undefined;
  }
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) {
    const problems = alternatives.map((alt) => firstProblem(alt, value, path, required));
    return problems.includes(undefined) ? undefined : problems[0];
  }
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  if (types.length > 0 && !types.some((t) => hasType(t, value))) {
    return wrongType(types, name, required, s);
  }
  if (s.enum && !s.enum.includes(value as string)) return `${name} must be one of ${s.enum.join(", ")}`;
  if (s.const !== undefined && value !== s.const) return `${name} must be ${s.const}`;
  if (typeof value === "string") {
    if (s.minLength !== undefined && value.trim().length < s.minLength) {
      return s.minLength <= 1 ? `${name} is required` : `${name} must be at least ${s.minLength} characters`;
    }
    if (s.pattern !== undefined && !new RegExp(s.pattern, "u").test(value)) return `${name} is not valid`;
  }
  if (typeof value === "number") {
    const outside =
      (s.minimum !== undefined && value < s.minimum) || (s.maximum !== undefined && value > s.maximum);
    if (outside) return `${name} must be ${types.includes("integer") ? "an integer" : "a number"}${range(s)}`;
  }
  if (Array.isArray(value) && s.items) {
    for (const [i, item] of value.entries()) {
      const problem = firstProblem(s.items, item, `${path}[${i}]`, true);
      if (problem) return isStringList(s) ? `${name} must be a list of strings` : problem;
    }
  }
  if (isObject(value)) {
    const keys = new Set([...Object.keys(s.properties ?? {}), ...(s.required ?? [])]);
    for (const key of keys) {
      const child = s.properties?.[key] ?? {};
      const problem = firstProblem(
        child,
        value[key],
        path ? `${path}.${key}` : key,
        s.required?.includes(key) ?? false,
      );
      if (problem) return problem;
    }
    if (typeof s.additionalProperties === "object") {
      for (const [key, child] of Object.entries(value)) {
        if (s.properties && key in s.properties) continue;
        const problem = firstProblem(s.additionalProperties, child, path ? `${path}.${key}` : key, false);
        if (problem) return problem;
      }
    }
  }
  return undefined;
}

/** Numbers' messages always state the allowed range: ` >= 1`, ` from 1 to 100`, or nothing. */
function range(s: Schema): string {
  if (s.minimum !== undefined && s.maximum !== undefined) return ` from ${s.minimum} to ${s.maximum}`;
  if (s.minimum !== undefined) return ` >= ${s.minimum}`;
  return s.maximum === undefined ? "" : ` <= ${s.maximum}`;
}

function wrongType(types: JsonType[], name: string, required: boolean, s: Schema): string {
  const [type] = types;
  if (type === "string") return required ? `${name} is required` : `${name} must be a string`;
  if (type === "integer") return `${name} must be an integer${range(s)}`;
  if (type === "number") return `${name} must be a number${range(s)}`;
  if (type === "boolean") return `${name} must be true or false`;
  if (type === "array") return `${name} must be a list`;
  return `${name} must be an object`;
}

const isStringList = (s: Schema): boolean => s.type === "array" && resolve(s.items ?? {}).type === "string";

const allowsNull = (s: Schema): boolean =>
  s.type === "null" ||
  (Array.isArray(s.type) && s.type.includes("null")) ||
  (s.anyOf ?? s.oneOf ?? []).some((alt) => allowsNull(resolve(alt)));

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function hasType(type: JsonType, value: unknown): boolean {
  switch (type) {
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "null":
      return value === null;
    default:
      return typeof value === type;
  }
}

/**
 * Check a query string against the declared parameters. Integers and booleans are written as
 * decimal digits and `true`/`false`/`1`/`0`; an empty value counts as absent.
 */
export function checkQuery(schema: Schema, query: URLSearchParams): void {
  const s = resolve(schema);
  for (const [key, param] of Object.entries(s.properties ?? {})) {
    const p = resolve(param);
    const raw = query.get(key);
    if (raw === null || raw === "") {
      if (s.required?.includes(key)) throw new HttpError(400, `query parameter ${key} is required`);
      continue;
    }
    const problem = queryProblem(p, raw);
    if (problem) throw new HttpError(400, `query parameter ${key} ${problem}`);
  }
}

function queryProblem(p: Schema, raw: string): string | undefined {
  const type = Array.isArray(p.type) ? p.type[0] : p.type;
  if (type === "integer" || type === "number") {
    const valid = type === "integer" ? /^-?\d+$/.test(raw) : Number.isFinite(Number(raw));
    const n = Number(raw);
    if (!valid || (p.minimum !== undefined && n < p.minimum) || (p.maximum !== undefined && n > p.maximum)) {
      return `must be ${type === "integer" ? "an integer" : "a number"}${range(p)}`;
    }
  }
  if (type === "boolean" && !["true", "false", "1", "0"].includes(raw)) return "must be true or false";
  if (p.enum && !p.enum.includes(raw)) return `must be one of ${p.enum.join(", ")}`;
  return undefined;
}

/** The front door's check of a request against its route's schema (query first, then body). */
export function checkRequest(
  schema: RouteSchema | undefined,
  body: Record<string, unknown>,
  query: URLSearchParams,
): void {
  if (!schema) return;
  if (schema.query && !schema.queryParsedByHandler) checkQuery(schema.query, query);
  if (schema.body && !schema.bodyParsedByHandler) checkBody(schema.body, body);
}
