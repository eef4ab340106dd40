/**
 * @module
 * How a handler is called, decided from its parameter list. `fn.length` is not enough in JS: it
 * stops at the first default value and ignores a rest parameter, so the list is read from the
 * function's source. Every parameter counts, including ones with defaults and a `...rest`
 * (which receives the request, like Python's `*args`).
 */

/** Names of a single parameter that receives the message string instead of the request object. */
const MESSAGE_NAMES = new Set([
  "message",
  "msg",
  "text",
  "query",
  "prompt",
  "input",
  "user_input",
  "userInput",
]);

export interface HandlerShape {
  /** 0: `handler()`, 1: `handler(request)` (or the message), 2: `handler(request, ctx)`. */
  arity: 0 | 1 | 2;
  /** The single parameter is named like a message (`message`, `prompt`, ...): pass the string. */
  passMessage: boolean;
}

/** Any function (`never[]` parameters accept every signature). */
export type Callable = (...args: never[]) => unknown;

export function handlerShape(fn: Callable): HandlerShape {
  const params = parameterList(fn);
  const count = params?.length ?? fn.length;
  if (count === 0) return { arity: 0, passMessage: false };
  if (count >= 2) return { arity: 2, passMessage: false };
  const name =
    params?.[0]
      ?.replace(/^\.\.\./, "")
      .split("=")[0]
      ?.trim() ?? "";
  return { arity: 1, passMessage: MESSAGE_NAMES.has(name) };
}

/** The parameters of `fn` as source snippets, or `undefined` when its source is not available. */
export function parameterList(fn: Callable): string[] | undefined {
  const source = Function.prototype.toString.call(fn);
  if (source.includes("[native code]") || /^class\b/.test(source)) return undefined;
  const arrow = source.indexOf("=>");
  const paren = source.indexOf("(");
  if (arrow !== -1 && (paren === -1 || arrow < paren)) {
    const single = source
      .slice(0, arrow)
      .replace(/^async\s+/, "")
      .trim();
    return single === "" ? [] : [single];
  }
  if (paren === -1) return undefined;
  return splitTopLevel(source, paren + 1);
}

/** Splits the text after `(` at top-level commas up to the matching `)`. */
function splitTopLevel(source: string, start: number): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (let i = start; i < source.length; i++) {
    const ch = source.charAt(i);
    if (ch === '"' || ch === "'" || ch === "`") {
      const end = skipString(source, i);
      current += source.slice(i, end);
      i = end - 1;
      continue;
    }
    if (ch === "/" && (source.charAt(i + 1) === "/" || source.charAt(i + 1) === "*")) {
      i = skipComment(source, i) - 1;
      continue;
    }
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === "]" || ch === "}") depth--;
    else if (ch === ")") {
      if (depth === 0) {
        if (current.trim() !== "") parts.push(current.trim());
        return parts;
      }
      depth--;
    } else if (ch === "," && depth === 0) {
      parts.push(current.trim());
      current = "";
      continue;
    }
    current += ch;
  }
  return undefined;
}

function skipString(source: string, start: number): number {
  const quote = source.charAt(start);
  for (let i = start + 1; i < source.length; i++) {
    const ch = source.charAt(i);
    if (ch === "\\") i++;
    else if (ch === quote) return i + 1;
  }
  return source.length;
}

function skipComment(source: string, start: number): number {
  if (source.charAt(start + 1) === "/") {
    const end = source.indexOf("\n", start);
    return end === -1 ? source.length : end;
  }
  const end = source.indexOf("*/", start + 2);
  return end === -1 ? source.length : end + 2;
}
