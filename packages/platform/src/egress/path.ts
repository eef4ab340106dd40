/**
 * @module egress/path
 * The one canonical form of the path an agent asks the egress for. Policy, capabilities and the
 * forwarded request all use it, so an upstream that decodes and normalises paths (nginx does)
 * cannot be steered somewhere the policy did not look:
 *
 * - refused (400): `.` / `..` segments, plain or percent-encoded, also with a `;` parameter
 *   (`..;/`, which Tomcat reads as `..`); an encoded `/` or `\` (`%2f`, `%5c`, any case); a raw
 *   `\`; an encoded NUL; and double encoding (`%25` followed by two hex digits, e.g. `%252f`);
 * - normalised: percent-encoded unreserved characters (`%61` → `a`, RFC 3986 §6.2.2.2), so
 *   `/%61dmin` is matched by a rule about `/admin`.
 *
 * Everything else (`%20`, `%3F`, ...) is forwarded as the agent wrote it: it decodes to a byte
 * that is not a separator, so the path the upstream resolves has the segments the policy saw.
 * The common case (no `%`, no `\`, no dot) costs three `indexOf` calls.
 */
import { HttpError } from "../errors.js";

const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(;[^/]*|%3b[^/]*)?(\/|$)/i;
const ENCODED_SEPARATOR = /%(2f|5c|00)/i;
const DOUBLE_ENCODED = /%25[0-9a-f]{2}/i;
const UNRESERVED_ESCAPE = /%(4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a]|3[0-9]|2d|2e|5f|7e)/gi;

export const DOT_SEGMENT_ERROR = "the tool path must not contain . or .. segments";

/** The canonical form of `path` (the part after `/egress/<token>/<tool>`), or a 400. */
export function canonicalToolPath(path: string): string {
  const hasPercent = path.indexOf("%") !== -1;
  if (path.indexOf("\\") !== -1) throw new HttpError(400, "the tool path must not contain a backslash (\\)");
  if (!hasPercent) {
    if (path.indexOf(".") !== -1 && DOT_SEGMENT.test(path)) throw new HttpError(400, DOT_SEGMENT_ERROR);
    return path;
  }
  if (ENCODED_SEPARATOR.test(path))
    throw new HttpError(
      400,
      "the tool path must not contain an encoded slash, backslash or NUL (%2F, %5C, %00)",
    );
  if (DOUBLE_ENCODED.test(path))
    throw new HttpError(400, "the tool path must not be double percent-encoded (%25 followed by hex digits)");
  if (DOT_SEGMENT.test(path)) throw new HttpError(400, DOT_SEGMENT_ERROR);
  return path.replace(UNRESERVED_ESCAPE, (hex) => String.fromCharCode(Number.parseInt(hex.slice(1), 16)));
}
