/**
 * @module json
 * JSON from outside (request bodies, agent answers) with a nesting limit: 10,000 levels of `[`
 * would otherwise overflow the stack in whatever walks the value next and become a 500. The
 * depth is checked by one linear scan before `JSON.parse` (string contents and escapes skipped).
 */
import { HttpError } from "./errors.js";

export const MAX_JSON_DEPTH = 64;
export const TOO_DEEP = `JSON nesting deeper than ${MAX_JSON_DEPTH} levels`;

/** Whether `text` opens more than `max` nested objects/arrays (invalid JSON is JSON.parse's to judge). */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** `JSON.parse` for a request body: 400 `invalid JSON body: ...` or `JSON nesting deeper than 64 levels`. */
export function parseJsonBody(text: string): unknown {
  if (jsonTooDeep(text)) throw new HttpError(400, TOO_DEEP);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `invalid JSON body: ${(err as Error).message}`);
  }
}

/** `JSON.parse` for text from an agent: undefined when it is not JSON or nests too deep. */
export function parseJsonOrUndefined(text: string): unknown {
  if (!text || jsonTooDeep(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
