/**
 * @module api/validate
 * Small checks for request bodies and path names. Each failure is a 400 naming the field.
 */
import { HttpError } from "./errors.js";

export type Obj = Record<string, unknown>;

const RESOURCE_NAME = /^[a-z0-9]([a-z0-9._-]{0,251}[a-z0-9])?$/i;

export const isObject = (value: unknown): value is Obj =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** Names of stored resources: letters, digits, '.', '_', '-'; no path tricks. */
export function checkName(value: unknown, what = "name"): string {
  if (typeof value !== "string" || value.trim() === "") throw new HttpError(400, `${what} is required`);
  const name = value.trim();
  if (!RESOURCE_NAME.test(name) || name.includes("..")) {
    throw new HttpError(
      400,
      `invalid ${what} "${name}": use letters, digits, '.', '_' and '-', starting and ending with a letter or digit (at most 253 characters)`,
    );
  }
  return name;
}

/** DNS-1123 label, as agent names must be (they become hostnames and process names). */
export function checkAgentName(value: unknown, what = "agent name"): string {
  if (typeof value !== "string" || value.trim() === "") throw new HttpError(400, `${what} is required`);
  const name = value.trim();
  if (name.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    throw new HttpError(
      400,
      `invalid ${what} "${name}": use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
  return name;
}

export function requireString(body: Obj, key: string, path = key): string {
  const value = body[key];
  if (typeof value !== "string" || value.trim() === "") throw new HttpError(400, `${path} is required`);
  return value;
}

export function optionalString(body: Obj, key: string, path = key): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new HttpError(400, `${path} must be a string`);
  return value;
}

export function optionalNumber(body: Obj, key: string, path = key): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new HttpError(400, `${path} must be a number`);
  return value;
}

export function optionalBoolean(body: Obj, key: string, path = key): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw new HttpError(400, `${path} must be true or false`);
  return value;
}

export function optionalObject(body: Obj, key: string, path = key): Obj | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new HttpError(400, `${path} must be an object`);
  return value;
}

export function requireObject(body: Obj, key: string, path = key): Obj {
  const value = optionalObject(body, key, path);
  if (!value) throw new HttpError(400, `${path} is required`);
  return value;
}

export function optionalStringArray(body: Obj, key: string, path = key): string[] | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new HttpError(400, `${path} must be a list of strings`);
  }
  return value as string[];
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new HttpError(400, `${path} must be one of ${allowed.join(", ")}`);
  }
  return value as T;
}

/** A positive integer from a query string, or the fallback when absent. */
export function queryInt(
  query: URLSearchParams,
  key: string,
  fallback?: number,
  min = 0,
  max?: number,
): number | undefined {
  const raw = query.get(key);
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || (max !== undefined && Number(raw) > max)) {
    const range = max === undefined ? `>= ${min}` : `from ${min} to ${max}`;
    throw new HttpError(400, `query parameter ${key} must be an integer ${range}`);
  }
  return Number(raw);
}

export function checkHttpUrl(value: unknown, path: string): string {
  if (typeof value !== "string" || value.trim() === "") throw new HttpError(400, `${path} is required`);
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new HttpError(400, `${path} must be an absolute http(s) URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new HttpError(400, `${path} must be an absolute http(s) URL`);
  }
  return value.trim();
}
