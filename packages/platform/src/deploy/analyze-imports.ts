/**
 * @module
 * Import detection and the import → dependency-name mapping behind `detected_requirements`.
 *
 * JavaScript/TypeScript: `import … from "pkg"`, `export … from "pkg"`, `import "pkg"`,
 * `require("pkg")` and `import("pkg")`. `@scope/name/sub` → `@scope/name`, `pkg/sub` → `pkg`;
 * relative and absolute paths, `#subpath` imports, URL-like specifiers (`node:`, `https:`, …) and
 * Node builtins are skipped. Python: `import a.b, c` and `from a.b import x` → top-level module,
 * minus the standard library and modules present in the upload, mapped to the pip name
 * (`yaml` → `pyyaml`, otherwise lower-cased with `_` → `-`).
 */

import { lineAt, type SourceFile } from "./analyze-scan.js";

export interface ImportRef {
  /** The specifier as written (`@langchain/openai`, `openai`, `langchain_openai.chat`). */
  readonly module: string;
  readonly file: string;
  readonly line: number;
  readonly language: "js" | "python";
}

const JS_FROM = /^[ \t]*(?:import|export)\b[^;'"`]{0,2000}?\bfrom[ \t]*["']([^"'\n]{1,214})["']/gm;
const JS_BARE = /^[ \t]*import[ \t]*["']([^"'\n]{1,214})["']/gm;
const JS_CALL = /\b(?:require|import)[ \t]*\([ \t]*["']([^"'\n]{1,214})["'][ \t]*\)/g;
const PY_IMPORT =
  /^[ \t]*import[ \t]+([A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?(?:[ \t]*,[ \t]*[A-Za-z_][\w.]*(?:[ \t]+as[ \t]+\w+)?)*)/gm;
const PY_FROM = /^[ \t]*from[ \t]+([A-Za-z_][\w.]*)[ \t]+import\b/gm;

const NPM_NAME = /^(?:@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*$/i;

const NODE_BUILTINS = new Set([
  "assert",
  "async_hooks",
  "buffer",
  "child_process",
  "cluster",
  "console",
  "constants",
  "crypto",
  "dgram",
  "diagnostics_channel",
  "dns",
  "domain",
  "events",
  "fs",
  "http",
  "http2",
  "https",
  "inspector",
  "module",
  "net",
  "os",
  "path",
  "perf_hooks",
  "process",
  "punycode",
  "querystring",
  "readline",
  "repl",
  "stream",
  "string_decoder",
  "sys",
  "test",
  "timers",
  "tls",
  "trace_events",
  "tty",
  "url",
  "util",
  "v8",
  "vm",
  "wasi",
  "worker_threads",
  "zlib",
]);

const PYTHON_STDLIB = new Set(
  (
    "__future__ abc argparse array ast asyncio atexit base64 binascii bisect builtins bz2 calendar cmath " +
    "codecs collections colorsys concurrent configparser contextlib contextvars copy csv ctypes dataclasses " +
    "datetime decimal difflib dis email encodings enum errno faulthandler fnmatch fractions functools gc " +
    "getopt getpass gettext glob graphlib gzip hashlib heapq hmac html http imaplib importlib inspect io " +
    "ipaddress itertools json keyword linecache locale logging lzma mailbox math mimetypes multiprocessing " +
    "numbers operator os pathlib pdb pickle pkgutil platform plistlib pprint profile queue random re " +
    "reprlib sched secrets select selectors shelve shlex shutil signal smtplib socket socketserver sqlite3 " +
    "ssl stat statistics string stringprep struct subprocess sys sysconfig tarfile tempfile textwrap " +
    "threading time timeit tokenize tomllib trace traceback tracemalloc types typing unicodedata unittest " +
    "urllib uuid venv warnings wave weakref webbrowser wsgiref xml xmlrpc zipfile zipimport zlib zoneinfo"
  ).split(" "),
);

/** Python import names whose pip distribution is named differently. */
const PYTHON_DISTRIBUTIONS: Readonly<Record<string, string>> = {
  bs4: "beautifulsoup4",
  cv2: "opencv-python",
  dateutil: "python-dateutil",
  dotenv: "python-dotenv",
  jwt: "pyjwt",
  PIL: "pillow",
  sklearn: "scikit-learn",
  yaml: "pyyaml",
};

/** Every import in the JS/TS and Python files, in file then line order. */
export function findImports(sources: readonly SourceFile[]): ImportRef[] {
  const refs: ImportRef[] = [];
  for (const file of sources) {
    if (file.language === "js") {
      for (const re of [JS_FROM, JS_BARE, JS_CALL]) collect(file, re, refs, "js", (m) => [m]);
    } else if (file.language === "python") {
      collect(file, PY_IMPORT, refs, "python", (m) =>
        m.split(",").map((part) => part.trim().split(/[ \t]+/)[0] ?? ""),
      );
      collect(file, PY_FROM, refs, "python", (m) => [m]);
    }
  }
  return refs.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}

/** The dependency names the imports need: sorted, unique. */
export function toRequirementNames(refs: readonly ImportRef[], paths: readonly string[]): string[] {
  const localModules = pythonLocalModules(paths);
  const names = new Set<string>();
  for (const ref of refs) {
    const name = ref.language === "js" ? toNpmPackage(ref.module) : toPipPackage(ref.module, localModules);
    if (name !== null) names.add(name);
  }
  return [...names].sort();
}

/** `@scope/name/sub` → `@scope/name`, `pkg/sub` → `pkg`; null for relative paths, builtins and URLs. */
export function toNpmPackage(specifier: string): string | null {
  if (/^[./#~]/.test(specifier) || specifier.includes(":")) return null;
  const segments = specifier.split("/");
  const name = specifier.startsWith("@") ? segments.slice(0, 2).join("/") : (segments[0] ?? "");
  if (!NPM_NAME.test(name)) return null;
  if (NODE_BUILTINS.has(name)) return null;
  return name;
}

/** The pip distribution for a Python module path; null for the stdlib, relative and local modules. */
export function toPipPackage(module: string, localModules: ReadonlySet<string> = new Set()): string | null {
  const top = module.split(".")[0] ?? "";
  if (top === "" || PYTHON_STDLIB.has(top) || localModules.has(top)) return null;
  return PYTHON_DISTRIBUTIONS[top] ?? top.toLowerCase().replace(/_/g, "-");
}

/** Top-level names a Python import could resolve to inside the upload (`util.py`, `tools/…`). */
function pythonLocalModules(paths: readonly string[]): Set<string> {
  const local = new Set<string>();
  for (const path of paths) {
    const segments = path.split("/");
    const file = segments[segments.length - 1] ?? "";
    if (file.endsWith(".py")) local.add(file.slice(0, -3));
    for (const dir of segments.slice(0, -1)) local.add(dir);
  }
  return local;
}

function collect(
  file: SourceFile,
  re: RegExp,
  refs: ImportRef[],
  language: "js" | "python",
  split: (match: string) => string[],
): void {
  re.lastIndex = 0;
  for (const match of file.code.matchAll(re)) {
    const line = lineAt(file, match.index + match[0].length - 1);
    for (const module of split(match[1] ?? "")) {
      if (module !== "") refs.push({ module, file: file.path, line, language });
    }
  }
}
