// nginx as a benchmark's same-run anchor: `startNginx(locations)` writes a temporary config with one
// keep-alive upstream per location (`proxy_pass`), starts nginx in the foreground on a free loopback
// port, waits until it answers, and returns its URL and `stop()`. nginx is never installed here:
// when it is missing, the error says how to install it.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

const NGINX = process.env.BENCH_NGINX ?? (spawnSync("nginx", ["-v"]).error ? "/usr/sbin/nginx" : "nginx");

export const INSTALL_HINT =
  "nginx is not installed (it is this benchmark's baseline): apt-get install nginx-light (Debian/Ubuntu), " +
  "brew install nginx (macOS), or set BENCH_NGINX to its path";

/** Whether nginx can be started. */
export function nginxAvailable() {
  return !spawnSync(NGINX, ["-v"]).error;
}

/**
 * `locations`: `[{ path: "/", upstream: "127.0.0.1:1234" }]` (`strip: true` drops the location's
 * prefix from the path sent upstream). Resolves once nginx answers on
 * `probe` (any status). Throws with {@link INSTALL_HINT} when nginx is missing.
 */
export async function startNginx(locations, { probe = "/", workers = 1 } = {}) {
  if (!nginxAvailable()) throw new Error(INSTALL_HINT);
  const dir = mkdtempSync(join(tmpdir(), "runagents-bench-nginx-"));
  const port = await freePort();
  const upstreams = locations
    .map((l, i) => `  upstream u${i} { server ${l.upstream}; keepalive 256; }`)
    .join("\n");
  const blocks = locations
    .map(
      (l, i) =>
        `    location ${l.path} { proxy_pass http://u${i}${l.strip ? "/" : ""}; proxy_http_version 1.1; proxy_set_header Connection ""; }`,
    )
    .join("\n");
  writeFileSync(
    join(dir, "nginx.conf"),
    `daemon off; worker_processes ${workers}; error_log ${dir}/error.log; pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
${upstreams}
  server {
    listen 127.0.0.1:${port};
${blocks}
  }
}
`,
  );
  const child = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], {
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    try {
      await (await fetch(`${url}${probe}`)).arrayBuffer();
      up = true;
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const stop = () => {
    child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
  if (!up) {
    stop();
    throw new Error(`nginx did not start (config in ${dir})`);
  }
  // The workers do the proxying: their CPU time is what compares with a one-process server's.
  const workerPids = (spawnSync("pgrep", ["-P", String(child.pid)]).stdout?.toString() ?? "")
    .split("\n")
    .filter(Boolean)
    .map(Number);
  return { url, pid: child.pid, pids: [child.pid, ...workerPids], stop };
}

export function freePort() {
  return new Promise((resolve) => {
    const probe = http.createServer().listen(0, "127.0.0.1", () => {
      const p = probe.address().port;
      probe.close(() => resolve(p));
    });
  });
}
