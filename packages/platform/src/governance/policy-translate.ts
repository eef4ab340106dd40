/**
 * @module
 * Offline plain-English → policy rules (`POST /policies/translate`). Deterministic, no model call.
 *
 * The text is split into sentences at `;`, newlines and `.` followed by a space or the end (so
 * URLs keep their dots); each sentence yields one rule per resource it names.
 * - Permission, first that applies: approval (`approve`, `approval`: "require approval",
 *   "needs approval", "require human approval"; but not "without approval") → `approval_required`;
 *   `block`, `deny`, `forbid`, `never`, `disallow`, `reject`, `prohibit`, `prevent`, `do not allow`,
 *   `not allowed` → `deny`; `allow`, `permit`, `let`, `grant`, `enable` → `allow`.
 * - Operations: method words (`GET`, `post`, `deletes`, …); `reads` = GET, HEAD, OPTIONS;
 *   `writes` = POST, PUT, PATCH, DELETE; in the order GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE.
 *   No method word = every method (`[]`), e.g. "all requests".
 * - Resource: each http(s) URL as written; else the word(s) after a preposition (`to`, `on`, `for`,
 *   `from`, `against`, `at`, `of`, `via`, `using`, `calling`; "the"/"tool" skipped, lists joined by
 *   `and`/`or`/`,`): a host such as `api.stripe.com` becomes `https://api.stripe.com/*`, any other
 *   name is a tool name kept as is (`stripe-api`), which the egress matches against the called tool
 *   (see `resourceMatches`). Nothing named = `"*"`.
 *   Without a preposition, a leading name is the resource ("stripe-api writes need approval").
 * - Tags: `tagged x` / `with tag x and y` → `tags`.
 * A sentence needs a permission and at least a method, "all"/"everything", a resource or a tag;
 * otherwise the result is `{error}` naming the sentence. Never throws.
 */

import { HTTP_METHODS, type Permission, type PolicyRule } from "./policy.js";

export type TranslateResult = { rules: PolicyRule[] } | { error: string };

/** Longest accepted text. */
export const MAX_TRANSLATE_CHARS = 20_000;

const READS = ["GET", "HEAD", "OPTIONS"];
const WRITES = ["POST", "PUT", "PATCH", "DELETE"];
const METHOD_WORDS: Readonly<Record<string, readonly string[]>> = {
  get: ["GET"],
  gets: ["GET"],
  head: ["HEAD"],
  options: ["OPTIONS"],
  post: ["POST"],
  posts: ["POST"],
  put: ["PUT"],
  puts: ["PUT"],
  patch: ["PATCH"],
  patches: ["PATCH"],
  delete: ["DELETE"],
  deletes: ["DELETE"],
  deleting: ["DELETE"],
  deletion: ["DELETE"],
  deletions: ["DELETE"],
  read: READS,
  reads: READS,
  reading: READS,
  "read-only": READS,
  write: WRITES,
  writes: WRITES,
  writing: WRITES,
};
const ALL_WORDS = new Set(["all", "any", "every", "everything", "anything", "everywhere"]);
const PREPOSITIONS = new Set([
  "to",
  "on",
  "for",
  "from",
  "against",
  "at",
  "of",
  "via",
  "using",
  "calling",
  "towards",
]);
const FILLERS = new Set([
  "the",
  "a",
  "an",
  "tool",
  "tools",
  "service",
  "endpoint",
  "requests",
  "request",
  "calls",
]);
const SENTENCE_STARTERS = new Set(
  "require requires required need needs only please always do don't dont must should can cannot may we i you no".split(
    " ",
  ),
);
const LIST_JOINERS = new Set(["and", "or", "&"]);
const NOT_NAMES = new Set([
  ...Object.keys(METHOD_WORDS),
  ...ALL_WORDS,
  ...PREPOSITIONS,
  ...FILLERS,
  ...LIST_JOINERS,
  "approval",
  "approvals",
  "human",
  "agent",
  "agents",
  "it",
  "them",
  "this",
  "that",
  "tagged",
  "tag",
  "tags",
  "with",
  "without",
  "methods",
  "operations",
  "call",
]);

const URL_TOKEN = /\bhttps?:\/\/[^\s,;"'()<>]+/gi;
const TOOL_NAME = /^[a-z0-9][a-z0-9_-]*\*?$/;
const HOST_NAME = /^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d{1,5})?(?:\/\S*)?$/;
const APPROVAL = /\bapprov\w*|\bsign[- ]?off\b/;
const NO_APPROVAL = /\b(?:without|no)\s+(?:\w+\s+)?approval\b/;
const DENY =
  /\b(?:block\w*|deny|denies|denied|forbid\w*|never|disallow\w*|reject\w*|prohibit\w*|prevent\w*|refuse\w*)\b|\b(?:do not|don't|dont|must not|cannot|can't|may not) allow\b|\bnot allowed\b/;
const ALLOW = /\b(?:allow\w*|permit\w*|let|lets|grant\w*|enable\w*)\b/;

/** Turns plain sentences into policy rules, or `{error}` naming the first sentence it cannot read. */
export function translatePolicyText(text: string): TranslateResult {
  if (typeof text !== "string") return { error: "text must be a string" };
  if (text.length > MAX_TRANSLATE_CHARS)
    return { error: `text is longer than ${MAX_TRANSLATE_CHARS} characters` };
  const sentences = text
    .split(/[;\n\r]+|\.(?=\s|$)/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== "");
  if (sentences.length === 0)
    return {
      error: 'text is empty: describe at least one rule, e.g. "allow GET on https://api.example.com/*"',
    };
  const rules: PolicyRule[] = [];
  for (const sentence of sentences) {
    const result = translateSentence(sentence);
    if (typeof result === "string")
      return { error: `could not understand "${shorten(sentence)}": ${result}` };
    rules.push(...result);
  }
  return { rules };
}

/** The rules of one sentence, or the reason it could not be read. */
function translateSentence(sentence: string): PolicyRule[] | string {
  const urls = [...sentence.matchAll(URL_TOKEN)].map((match) => match[0].replace(/[.,:!?]+$/, ""));
  const words = sentence
    .replace(URL_TOKEN, " ")
    .toLowerCase()
    .replace(/["`]/g, " ")
    .replace(/,/g, " , ")
    .split(/\s+/)
    .map((word) => word.replace(/^[("']+|[)"'!?:]+$/g, ""))
    .filter((word) => word !== "");
  const plain = words.join(" ");
  const permission = permissionOf(plain);
  if (permission === null) return "no permission verb (allow, deny/block, or require approval)";

  const methods = new Set<string>();
  for (const word of words) for (const method of METHOD_WORDS[word] ?? []) methods.add(method);
  const operations = HTTP_METHODS.filter((method) => methods.has(method));
  const tags = tagsOf(words);
  const named = namesOf(words, new Set(tags));
  const names = named.length > 0 || urls.length > 0 ? named : leadingName(words, new Set(tags));
  const resources: string[] = [...urls, ...names.map(toResource)];
  for (const resource of resources) {
    const star = resource.indexOf("*");
    if (star >= 0 && star !== resource.length - 1)
      return `"*" is only supported at the end of a resource (${resource})`;
  }
  const saysAll = words.some((word) => ALL_WORDS.has(word));
  if (operations.length === 0 && resources.length === 0 && tags.length === 0 && !saysAll) {
    return "say which requests it covers (a method such as GET, reads, writes, or all requests) or a resource";
  }
  return (resources.length > 0 ? resources : ["*"]).map((resource) => ({
    permission,
    operations: [...operations],
    resource,
    tags: [...tags],
  }));
}

function permissionOf(plain: string): Permission | null {
  if (APPROVAL.test(plain) && !NO_APPROVAL.test(plain)) return "approval_required";
  if (DENY.test(plain)) return "deny";
  if (ALLOW.test(plain)) return "allow";
  return null;
}

/** Tags after `tagged` / `tag` / `tags`, joined by and/or/commas. */
function tagsOf(words: readonly string[]): string[] {
  const tags: string[] = [];
  words.forEach((word, i) => {
    if (word !== "tagged" && word !== "tag" && word !== "tags") return;
    for (const next of words.slice(i + 1)) {
      if (LIST_JOINERS.has(next) || next === ",") continue;
      if (!TOOL_NAME.test(next) || NOT_NAMES.has(next)) break;
      if (!tags.includes(next)) tags.push(next);
    }
  });
  return tags;
}

/** Tool names or hosts named after a preposition (fillers and method words skipped). */
function namesOf(words: readonly string[], tags: ReadonlySet<string>): string[] {
  const names: string[] = [];
  words.forEach((word, i) => {
    if (!PREPOSITIONS.has(word)) return;
    let expectName = true;
    for (const next of words.slice(i + 1)) {
      if (LIST_JOINERS.has(next) || next === ",") {
        expectName = true;
        continue;
      }
      if (FILLERS.has(next) || METHOD_WORDS[next] !== undefined || ALL_WORDS.has(next)) continue;
      const isName =
        (TOOL_NAME.test(next) || HOST_NAME.test(next)) && !NOT_NAMES.has(next) && !tags.has(next);
      if (!isName || !expectName) break;
      if (!names.includes(next)) names.push(next);
      expectName = false;
    }
  });
  return names;
}

/** A sentence-initial subject such as "stripe-api writes need approval" (verbs and keywords excluded). */
function leadingName(words: readonly string[], tags: ReadonlySet<string>): string[] {
  const first = words[0] ?? "";
  if (NOT_NAMES.has(first) || SENTENCE_STARTERS.has(first) || tags.has(first)) return [];
  if (!TOOL_NAME.test(first) && !HOST_NAME.test(first)) return [];
  return permissionOf(first) === null ? [first] : [];
}

/** A host (has a dot) becomes an https URL pattern; anything else is a tool name. */
function toResource(name: string): string {
  if (!HOST_NAME.test(name)) return name;
  return name.includes("/") ? `https://${name}` : `https://${name}/*`;
}

function shorten(sentence: string): string {
  return sentence.length > 120 ? `${sentence.slice(0, 117)}...` : sentence;
}
