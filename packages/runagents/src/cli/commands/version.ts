/**
 * @module
 * `runagents version`.
 */

import type { Command } from "../args.js";
import { packageRoot, packageVersion } from "../package-root.js";

export const version: Command = {
  name: "version",
  summary: "Print the version",
  run(ctx) {
    ctx.out.line(`runagents ${packageVersion()}`);
    ctx.out.line(`  node:     ${process.version}`);
    ctx.out.line(`  platform: ${process.platform}/${process.arch}`);
    ctx.out.line(`  package:  ${packageRoot() || "(unknown)"}`);
  },
};
