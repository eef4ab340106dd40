/**
 * Test helper: the environment for npm and the installed bins in a test: PATH with `binDirs` first,
 * the user's npm cache (so installs can be served from it), and none of the `npm_*` variables an
 * enclosing `npm test` sets (they would change what the inner npm does).
 */
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";

export function npmEnv(binDirs: string[], extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: [...binDirs, dirname(process.execPath), process.env.PATH ?? "/usr/bin:/bin"].join(delimiter),
    HOME: process.env.HOME ?? homedir(),
    npm_config_cache: process.env.npm_config_cache ?? join(homedir(), ".npm"),
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    ...extra,
  };
}
