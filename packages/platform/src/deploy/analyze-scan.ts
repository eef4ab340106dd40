/**
 * @module
 * Shared scanning helpers for the source analyzer: which files are read, how each line is split
 * into code and string literals (comments removed), and index → line-number lookups.
 *
 * Bounds: at most {@link MAX_FILES} files, each at most {@link MAX_FILE_BYTES} (larger or binary
 * files are skipped), each file up to {@link MAX_LINES} lines, and each line up to
 * {@link MAX_LINE_CHARS} characters. The
 * scanner is a single linear pass per line, so no input can make it slow.
 */

export type SourceLanguage = "js" | "python" | "other";

export interface ScannedLine {
  /** 1-based line number. */
  readonly number: number;
  /** The raw line (truncated to MAX_LINE_CHARS). */
  readonly raw: string;
  /** The line with comments removed; string literals are kept intact. */
  readonly code: string;
  /** Raw contents (escapes not processed) of the string literals on this line. */
  readonly literals: readonly string[];
}

export interface SourceFile {
  readonly path: string;
  readonly language: SourceLanguage;
  readonly lines: readonly ScannedLine[];
  /** All `code` lines joined with "\n": comment-free text with the original line numbering. */
  readonly code: string;
  /** Offsets of each line start in `code`, for {@link lineAt}. */
  readonly lineStarts: readonly number[];
}

export const MAX_FILES = 1000;
export const MAX_FILE_BYTES = 1024 * 1024;
export const MAX_LINE_CHARS = 16 * 1024;
/** Lines past this one are not scanned (a 1 MiB source file has ~30,000). */
export const MAX_LINES = 100_000;
/** Upper bound on the entries of each result list. */
export const MAX_FINDINGS = 500;

const JS_EXTENSION = /\.(?:ts|tsx|mts|cts|js|jsx|mjs|cjs)$/i;
const PY_EXTENSION = /\.pyw?$/i;
const SKIPPED_DIRS = new Set(["node_modules", ".git", "__pycache__", ".venv", "venv", "site-packages"]);

export function languageOf(path: string): SourceLanguage {
  if (JS_EXTENSION.test(path)) return "js";
  if (PY_EXTENSION.test(path)) return "python";
  return "other";
}

/** Reads `files` defensively: sorted by path, vendored folders, non-strings, binary and oversized files skipped. */
export function toSourceFiles(files: unknown): SourceFile[] {
  if (typeof files !== "object" || files === null || Array.isArray(files)) return [];
  const record = files as Record<string, unknown>;
  const out: SourceFile[] = [];
  for (const path of Object.keys(record).sort()) {
    if (out.length >= MAX_FILES) break;
    if (path.split("/").some((segment) => SKIPPED_DIRS.has(segment))) continue;
    const text = record[path];
    if (typeof text !== "string" || text.includes("\u0000")) continue;
    if (text.length > MAX_FILE_BYTES || Buffer.byteLength(text, "utf8") > MAX_FILE_BYTES) continue;
    out.push(scanFile(path, text));
  }
  return out;
}

export function scanFile(path: string, text: string): SourceFile {
  const language = languageOf(path);
  const state: ScanState = { block: false, multi: null };
  const lines: ScannedLine[] = [];
  const lineStarts: number[] = [];
  let offset = 0;
  text.split(/\r\n|\r|\n/, MAX_LINES).forEach((full, index) => {
    const raw = full.length > MAX_LINE_CHARS ? full.slice(0, MAX_LINE_CHARS) : full;
    const scanned = scanLine(raw, language, state);
    lines.push({ number: index + 1, raw, code: scanned.code, literals: scanned.literals });
    lineStarts.push(offset);
    offset += scanned.code.length + 1;
  });
  return { path, language, lines, code: lines.map((line) => line.code).join("\n"), lineStarts };
}

/** The 1-based line number of `index` in `file.code`. */
export function lineAt(file: SourceFile, index: number): number {
  let low = 0;
  let high = file.lineStarts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((file.lineStarts[mid] ?? 0) <= index) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

/** The last path segment. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Shannon entropy of `value` in bits per character. */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

interface ScanState {
  /** Inside a JS block comment. */
  block: boolean;
  /** Inside a multi-line string: "`" (JS template) or a Python triple quote. */
  multi: string | null;
}

const NO_LITERALS: readonly string[] = Object.freeze([]);
const SPECIAL_CHARS = /["'`/#]/;

function scanLine(
  line: string,
  language: SourceLanguage,
  state: ScanState,
): { code: string; literals: readonly string[] } {
  if (!state.block && state.multi === null && !SPECIAL_CHARS.test(line))
    return { code: line, literals: NO_LITERALS };
  const parts: string[] = [];
  const literals: string[] = [];
  const js = language === "js";
  const python = language === "python";
  let i = 0;
  while (i < line.length) {
    if (state.block) {
      const end = line.indexOf("*/", i);
      if (end < 0) return { code: parts.join(""), literals };
      state.block = false;
      i = end + 2;
      continue;
    }
    if (state.multi !== null) {
      const close = findClose(line, i, state.multi);
      const end = close < 0 ? line.length : close;
      literals.push(line.slice(i, end));
      parts.push(line.slice(i, close < 0 ? end : end + state.multi.length));
      if (close < 0) return { code: parts.join(""), literals };
      i = end + state.multi.length;
      state.multi = null;
      continue;
    }
    const ch = line[i];
    const next = line[i + 1];
    if (js && ch === "/" && next === "/") break;
    if (js && ch === "/" && next === "*") {
      state.block = true;
      i += 2;
      continue;
    }
    if (python && ch === "#") break;
    if (python && (line.startsWith('"""', i) || line.startsWith("'''", i))) {
      state.multi = line.slice(i, i + 3);
      parts.push(state.multi);
      i += 3;
      continue;
    }
    if (js && ch === "`") {
      state.multi = "`";
      parts.push(ch);
      i += 1;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const close = findClose(line, i + 1, ch);
      const end = close < 0 ? line.length : close;
      literals.push(line.slice(i + 1, end));
      parts.push(line.slice(i, close < 0 ? end : end + 1));
      i = end + 1;
      continue;
    }
    parts.push(ch ?? "");
    i += 1;
  }
  return { code: parts.join(""), literals };
}

/** Index of the closing `quote` at or after `from`, honouring backslash escapes; -1 if none on the line. */
function findClose(line: string, from: number, quote: string): number {
  let j = from;
  while (j < line.length) {
    if (line[j] === "\\") j += 2;
    else if (line.startsWith(quote, j)) return j;
    else j += 1;
  }
  return -1;
}
