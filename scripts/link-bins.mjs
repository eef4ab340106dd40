#!/usr/bin/env node
/**
 * After `tsc -b`: make every workspace package's `bin` files executable and link them into
 * `node_modules/.bin`. tsc writes files 0644, so a clean build (`rm -rf packages/*\/dist`) would
 * otherwise leave `npx runagents` failing with "Permission denied".
 *
 * Usage: node scripts/link-bins.mjs [repository root]   (default: the current directory)
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { join, relative, resolve } from "node:path";

const root = resolve(process.argv[2] ?? ".");
const readJson = (path) => JSON.parse(readFileSync(path, "utf8"));
const binDir = join(root, "node_modules", ".bin");
const missing = [];

for (const workspace of readJson(join(root, "package.json")).workspaces ?? []) {
  const dir = join(root, workspace);
  const pkg = readJson(join(dir, "package.json"));
  const bins = typeof pkg.bin === "string" ? { [pkg.name.split("/").pop()]: pkg.bin } : (pkg.bin ?? {});
  for (const [name, file] of Object.entries(bins)) {
    const target = join(dir, file);
    if (!existsSync(target)) {
      missing.push(relative(root, target));
      continue;
    }
    chmodSync(target, statSync(target).mode | 0o111);
    // Linked as npm links them: through node_modules/<package name>, the workspace's symlink.
    // (On Windows npm's own .cmd shims from the install serve, and symlinks need privileges.)
    if (process.platform === "win32" || !existsSync(join(root, "node_modules", pkg.name))) continue;
    const link = join(binDir, name);
    const pointsTo = relative(binDir, join(root, "node_modules", pkg.name, file));
    if (isLinkTo(link, pointsTo)) continue;
    mkdirSync(binDir, { recursive: true });
    rmSync(link, { force: true });
    symlinkSync(pointsTo, link);
  }
}

if (missing.length > 0) {
  process.stderr.write(`link-bins: not built: ${missing.join(", ")}\n`);
  process.exit(1);
}

function isLinkTo(link, pointsTo) {
  try {
    return lstatSync(link).isSymbolicLink() && readlinkSync(link) === pointsTo;
  } catch {
    return false;
  }
}
