/**
 * @module api/schemas/common
 * Schemas several route families share.
 */
import {
  any,
  component,
  object,
  oneOf,
  optional,
  record,
  type Schema,
  string,
  timestamp,
} from "../schema.js";

export const Deleted = component("Deleted", object({ status: oneOf(["deleted"]) }));

/** A resource name in a body: letters, digits, '.', '_', '-' (`checkName`). */
export const resourceName = (description?: string): Schema => ({
  type: "string",
  minLength: 1,
  ...(description ? { description } : {}),
});

/** `status{phase, message}` as the Python SDK reads it; probes add their own keys. */
export const Phase = component(
  "Phase",
  object(
    { phase: string(), message: optional(string()) },
    { description: "Always an object; `phase` names the state." },
  ),
);

/** The time keys every stored resource carries. */
export const stamps = { created_at: timestamp(), updated_at: timestamp() };

export const Json = record(any());
