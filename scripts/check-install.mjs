#!/usr/bin/env node
/**
 * Before `npm run build`: one clear line instead of `sh: tsc: not found` when the dependencies are
 * not installed, or a stack trace when better-sqlite3's native module is missing.
 */
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const root = resolve(process.argv[2] ?? ".");
const require = createRequire(join(root, "package.json"));

function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

try {
  require.resolve("typescript/package.json");
} catch {
  fail(
    "The dependencies are not installed: run `npm ci` first (Node.js 20+; see README.md, The two commands).",
  );
}
try {
  const Database = require("better-sqlite3");
  new Database(":memory:").close();
} catch (error) {
  fail(
    `better-sqlite3's native module does not load (${String(error.message).split("\n")[0]}): ` +
      "install a C++ toolchain (python3, make, g++) and run `npm rebuild better-sqlite3` (see README.md, The two commands).",
  );
}
