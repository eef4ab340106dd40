/**
 * @module
 * Hard-coded secret detection. Findings carry a type, the file, the line and a severity, and never
 * the value or any part of it.
 *
 * Every text file is scanned, comments included (a key in a comment is still leaked), line by line:
 * 1. Known key shapes, severity `high` unless noted: `private_key` (PEM `-----BEGIN … PRIVATE KEY-----`),
 *    `anthropic_api_key` (`sk-ant-…`), `openai_api_key` (`sk-…`, `sk-proj-…`), `aws_access_key_id`
 *    (`AKIA…`/`ASIA…`), `github_token` (`ghp_…`, `gho_…`, `github_pat_…`), `slack_token` (`xoxb-…`,
 *    `xoxp-…`, …), `stripe_live_key` (`sk_live_…`, `rk_live_…`), `stripe_test_key` (medium),
 *    `google_api_key` (`AIza…`), `jwt` (medium). Matches that look like placeholders (containing
 *    `example` or `xxxx`, no digit, or entropy under 3 bits/char) are ignored.
 * 2. `generic_secret` (medium): a quoted value of 8+ characters assigned to a name ending in
 *    api_key/apikey/secret/secret_key/token/password/passwd/pwd/access_key/private_key/credential(s)
 *    (`=`, `:` or `:=`), or an unquoted `NAME=value` line in a `.env` file. Plain words, `${…}`,
 *    `<…>` and values containing your/xxx/changeme/example/placeholder/dummy/redacted are ignored.
 * 3. `high_entropy_string` (low): a string literal of at least 20 characters from the base64/URL-safe
 *    alphabet with letters and digits and Shannon entropy ≥ 4.5 bits/char, or a hex string of at
 *    least 32 characters with entropy ≥ 3.0 bits/char (hex cannot exceed 4).
 * A line yields at most one finding per type; a known-shape hit suppresses 2 and 3 on that line, and a
 * generic hit suppresses 3.
 */

import { baseName, MAX_FINDINGS, type SourceFile, shannonEntropy } from "./analyze-scan.js";

export type Severity = "high" | "medium" | "low";

export interface SecretFinding {
  type: string;
  file: string;
  line: number;
  severity: Severity;
}

/** Minimum length of a literal checked for entropy. */
export const ENTROPY_MIN_LENGTH = 20;
/** Entropy threshold (bits/char) for base64/URL-safe literals. */
export const ENTROPY_THRESHOLD = 4.5;
/** Entropy threshold (bits/char) for hex literals of at least 32 characters. */
export const HEX_ENTROPY_THRESHOLD = 3.0;

interface KnownPattern {
  readonly type: string;
  readonly severity: Severity;
  readonly re: RegExp;
  readonly tokenLike: boolean;
}

const KNOWN: readonly KnownPattern[] = [
  {
    type: "private_key",
    severity: "high",
    re: /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----/,
    tokenLike: false,
  },
  { type: "anthropic_api_key", severity: "high", re: /\bsk-ant-[A-Za-z0-9_-]{20,}/, tokenLike: true },
  {
    type: "openai_api_key",
    severity: "high",
    re: /\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/,
    tokenLike: true,
  },
  { type: "aws_access_key_id", severity: "high", re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, tokenLike: true },
  {
    type: "github_token",
    severity: "high",
    re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/,
    tokenLike: true,
  },
  { type: "slack_token", severity: "high", re: /\bxox[abeoprs]-[A-Za-z0-9-]{10,}/, tokenLike: true },
  { type: "stripe_live_key", severity: "high", re: /\b[rs]k_live_[A-Za-z0-9]{16,}/, tokenLike: true },
  { type: "stripe_test_key", severity: "medium", re: /\b[rs]k_test_[A-Za-z0-9]{16,}/, tokenLike: true },
  {
    type: "google_api_key",
    severity: "high",
    re: /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/,
    tokenLike: true,
  },
  {
    type: "jwt",
    severity: "medium",
    re: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/,
    tokenLike: true,
  },
];

const ASSIGNMENT =
  /(?<![A-Za-z0-9_-])([A-Za-z][A-Za-z0-9_-]{0,60})["']?[ \t]*(?::=|=|:)[ \t]*["'`]([^"'`\s]{8,512})["'`]/g;
const SECRET_NAME =
  /(?:api[_-]?key|apikey|secret(?:[_-]?key)?|token|passw(?:or)?d|pwd|access[_-]?key|private[_-]?key|credentials?)$/i;
const DOTENV_ASSIGNMENT =
  /^[ \t]*(?:export[ \t]+)?[A-Za-z0-9_]{0,40}?(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|PWD|CREDENTIALS?)[ \t]*=[ \t]*["']?([^"'\s#]{8,512})/i;
const PLACEHOLDER =
  /your|xxx|changeme|change_me|example|placeholder|dummy|redacted|\*\*\*|^\$\{|^\{\{|^<|^%/i;
const PLAIN_WORDS = /^[a-z_.-]+$/;
const BASE64ISH = /^[A-Za-z0-9+/=_-]+$/;
const HEX = /^[0-9a-fA-F]+$/;

export function findSecrets(sources: readonly SourceFile[]): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const file of sources) {
    const dotenv = /^\.env(?:\.|$)|\.env$/.test(baseName(file.path));
    for (const line of file.lines) {
      if (findings.length >= MAX_FINDINGS) return findings;
      if (line.raw.length < 8) continue;
      for (const finding of scanLineForSecrets(line.raw, line.literals, dotenv)) {
        findings.push({ type: finding.type, file: file.path, line: line.number, severity: finding.severity });
      }
    }
  }
  return findings.slice(0, MAX_FINDINGS);
}

function scanLineForSecrets(
  raw: string,
  literals: readonly string[],
  dotenv: boolean,
): { type: string; severity: Severity }[] {
  const found: { type: string; severity: Severity }[] = [];
  for (const pattern of KNOWN) {
    const match = pattern.re.exec(raw);
    if (match !== null && (!pattern.tokenLike || !looksLikePlaceholderToken(match[0]))) {
      found.push({ type: pattern.type, severity: pattern.severity });
    }
  }
  if (found.length > 0) return found;
  const values = [...raw.matchAll(ASSIGNMENT)]
    .filter((match) => SECRET_NAME.test(match[1] ?? ""))
    .map((match) => match[2] ?? "");
  const dotenvValue = dotenv ? DOTENV_ASSIGNMENT.exec(raw)?.[1] : undefined;
  if (dotenvValue !== undefined) values.push(dotenvValue);
  if (values.some((value) => !PLACEHOLDER.test(value) && !PLAIN_WORDS.test(value))) {
    return [{ type: "generic_secret", severity: "medium" }];
  }
  if (literals.some(isHighEntropy)) return [{ type: "high_entropy_string", severity: "low" }];
  return [];
}

function looksLikePlaceholderToken(token: string): boolean {
  return /example|xxxx/i.test(token) || !/\d/.test(token) || shannonEntropy(token) < 3;
}

/** Whether a string literal looks like a random secret (see the module doc for the thresholds). */
export function isHighEntropy(literal: string): boolean {
  if (literal.length < ENTROPY_MIN_LENGTH || literal.length > 1024) return false;
  if (HEX.test(literal)) return literal.length >= 32 && shannonEntropy(literal) >= HEX_ENTROPY_THRESHOLD;
  if (!BASE64ISH.test(literal) || !/\d/.test(literal) || !/[A-Za-z]/.test(literal)) return false;
  return shannonEntropy(literal) >= ENTROPY_THRESHOLD;
}
