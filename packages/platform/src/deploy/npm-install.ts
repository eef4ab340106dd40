/**
 * @module deploy/npm-install
 * `npm install --omit=dev --no-audit --no-fund` in an agent's version directory, with a time
 * limit. npm gets the platform's `PATH` and `HOME` (its cache and `.npmrc`) and its `npm_config_*`
 * and proxy variables, nothing else. Output lines go to the agent's log.
 */
import { spawn } from "node:child_process";

export interface InstallOptions {
  cwd: string;
  /** @default 180 000 */
  timeoutMs?: number;
  /** Receives npm's output, line by line. */
  onLine?: (line: string) => void;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

export type InstallResult = { ok: true } | { ok: false; message: string };

const PASSED =
  /^(PATH|HOME|USERPROFILE|APPDATA|SYSTEMROOT|npm_config_.*|NPM_CONFIG_.*|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy)$/;

export function npmInstall(options: InstallOptions): Promise<InstallResult> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(options.env ?? process.env)) {
    if (PASSED.test(key) && value !== undefined) env[key] = value;
  }
  const tail: string[] = [];
  const keep = (line: string) => {
    if (!line) return;
    tail.push(line);
    if (tail.length > 20) tail.shift();
    options.onLine?.(line);
  };
  return new Promise((resolve) => {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const child = spawn(npm, ["install", "--omit=dev", "--no-audit", "--no-fund", "--no-update-notifier"], {
      cwd: options.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [child.stdout, child.stderr]) {
      let rest = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        const lines = (rest + chunk).split(/\r?\n/);
        rest = lines.pop() ?? "";
        for (const line of lines) keep(`[npm] ${line}`);
      });
      stream.on("end", () => keep(rest ? `[npm] ${rest}` : ""));
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve({ ok: false, message: `npm install did not finish within ${Math.round(timeoutMs / 1000)} s` });
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `npm install could not start: ${err.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ok: true });
      else {
        const why = signal ? `signal ${signal}` : `exit code ${code}`;
        resolve({ ok: false, message: `npm install failed (${why}):\n${tail.join("\n")}` });
      }
    });
  });
}
