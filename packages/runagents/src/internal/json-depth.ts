/**
 * JSON nesting limit for bodies the runtime parses: 10,000 levels of `[` would otherwise overflow
 * the stack in whatever walks the value next. One linear scan before `JSON.parse`, string contents
 * and escapes skipped.
 */

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
