/**
 * @module
 * Validation of a `files` map (`POST /analyze`, `POST /requirements`, `source_files` of `POST /deploy`).
 */

/** At most this many files. */
export const MAX_SOURCE_FILES = 200;
/** At most this many UTF-8 bytes of content in total. */
export const MAX_SOURCE_BYTES = 5 * 1024 * 1024;
/** At most this many characters per path. */
export const MAX_PATH_LENGTH = 255;

/**
 * Returns an error message naming the problem, or null when `files` is an object mapping relative
 * paths (non-empty, ≤ 255 characters, no leading `/`, no `\`, no drive letter, no NUL or other
 * control characters, no `.` or `..` segment, no trailing `/`) to string contents, with at most
 * 200 entries and 5 MiB of content in total.
 */
export function validateSourceFiles(files: unknown): string | null {
  if (typeof files !== "object" || files === null || Array.isArray(files)) {
    return "files must be an object mapping relative file paths to file contents";
  }
  const record = files as Record<string, unknown>;
  const paths = Object.keys(record);
  if (paths.length === 0) return "files must contain at least one file";
  if (paths.length > MAX_SOURCE_FILES) {
    return `files has ${paths.length} entries; at most ${MAX_SOURCE_FILES} are allowed`;
  }
  let total = 0;
  for (const path of paths) {
    const problem = pathProblem(path);
    if (problem !== null) return path === "" ? `file path ${problem}` : `file path ${quote(path)} ${problem}`;
    const content = record[path];
    if (typeof content !== "string") {
      return `file ${quote(path)} content must be a string, got ${describe(content)}`;
    }
    total += Buffer.byteLength(content, "utf8");
    if (total > MAX_SOURCE_BYTES) {
      return `files exceed ${MAX_SOURCE_BYTES / (1024 * 1024)} MiB in total (limit reached at ${quote(path)})`;
    }
  }
  return null;
}

function pathProblem(path: string): string | null {
  if (path.length === 0) return "must not be empty";
  if (path.length > MAX_PATH_LENGTH) return `is longer than ${MAX_PATH_LENGTH} characters`;
  if (path.includes("\u0000")) return "must not contain NUL characters";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0001-\u001f\u007f]/.test(path)) return "must not contain control characters";
  if (path.includes("\\")) return 'must use "/" as the separator, not "\\"';
  if (/^[A-Za-z]:/.test(path)) return "must not start with a drive letter";
  if (path.startsWith("/")) return 'must be relative (no leading "/")';
  if (path.endsWith("/")) return 'must name a file (no trailing "/")';
  const segments = path.split("/");
  if (segments.includes("..")) return 'must not contain ".." segments';
  if (segments.includes(".")) return 'must not contain "." segments';
  if (segments.includes("")) return 'must not contain empty segments ("//")';
  return null;
}

/** A JSON-quoted path, shortened to 80 characters so a message stays readable. */
function quote(path: string): string {
  return JSON.stringify(path.length > 80 ? `${path.slice(0, 77)}...` : path);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
