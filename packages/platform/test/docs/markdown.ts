/**
 * Reading a Markdown document's fenced code blocks the way the README snippet test needs them:
 * the language, the code, the line it starts on, the section it is in, and the marker comment
 * just above it — `<!-- test: skip (reason) -->` (not run) or `<!-- file: <path> -->` (the block is
 * that repository file, verbatim). Also what a snippet says it prints: the trailing comment of
 * each `console.log(...); // <text>` line, where `...` stands for anything.
 */

export interface CodeBlock {
  /** The fence's info string, lower-cased (`js`, `ts`, `sh`, ...); "" when none. */
  lang: string;
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The nearest heading above the block. */
  section: string;
  /** `<!-- test: skip (reason) -->` just above the block. */
  skip?: string;
  /** `<!-- file: <path> -->` just above the block. */
  file?: string;
}

const FENCE = /^(```+|~~~+)\s*([\w-]*)/;
const SKIP = /^<!--\s*test:\s*skip\s*\((.+)\)\s*-->$/;
const FILE = /^<!--\s*file:\s*(\S+)\s*-->$/;

export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  let section = "";
  let marker = "";
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? "";
    const fence = FENCE.exec(text);
    if (!fence) {
      if (/^#{1,6}\s/.test(text)) section = text.replace(/^#+\s*/, "").trim();
      if (text.trim() !== "") marker = text.trim();
      continue;
    }
    const close = fence[1] as string;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j] ?? "").startsWith(close)) body.push(lines[j++] ?? "");
    const block: CodeBlock = {
      lang: (fence[2] ?? "").toLowerCase(),
      code: `${body.join("\n")}\n`,
      line: i + 1,
      section,
    };
    const skip = SKIP.exec(marker);
    if (skip) block.skip = (skip[1] as string).trim();
    const file = FILE.exec(marker);
    if (file) block.file = file[1] as string;
    blocks.push(block);
    marker = "";
    i = j;
  }
  return blocks;
}

const PRINTS = /console\.log\(.*\);\s*\/\/\s?(.+)$/;

/** The texts a snippet says it prints, in order: `console.log(x); // <text>`. */
export function expectedOutput(code: string): string[] {
  const expected: string[] = [];
  for (const line of code.split("\n")) {
    const match = PRINTS.exec(line);
    if (match) expected.push((match[1] as string).trim());
  }
  return expected;
}

/**
 * The first expected text that `output` does not show, in order, or undefined when it shows them
 * all. Within one text, `...` (or `…`) stands for anything, and the separators around it
 * (`, `) are not required.
 */
export function missingOutput(output: string, expected: readonly string[]): string | undefined {
  let from = 0;
  for (const text of expected) {
    for (const part of text.split(/\.\.\.|…/)) {
      const fragment = part.replace(/^[\s,]+|[\s,]+$/g, "");
      if (fragment === "") continue;
      const at = output.indexOf(fragment, from);
      if (at === -1) return text;
      from = at + fragment.length;
    }
  }
  return undefined;
}

/**
 * The relative link targets of a Markdown document (`[text](target)`, without `#anchor`), outside
 * code blocks and inline code. Absolute URLs (`https:`, `mailto:`, ...) and bare anchors are left out.
 */
export function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/^(```+|~~~+)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
  const links: string[] = [];
  for (const match of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = (match[1] as string).split("#")[0] as string;
    if (target === "" || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    links.push(target);
  }
  return links;
}
