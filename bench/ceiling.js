// Starts bench/bare-proxy-cluster.js (a bare node:http proxy, one process per core) in front of
// `target` (an origin URL); resolves with its URL, the pids to count CPU for, and `stop()`.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./bare-proxy-cluster.js", import.meta.url));

export async function startProxyCluster(target) {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { PATH: process.env.PATH ?? "", TARGET: target },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [port, ...pids] = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const line = /listening ([\d ]+)\n/.exec(out);
      if (line) resolve(line[1].trim().split(" ").map(Number));
    });
    child.once("exit", (code) => reject(new Error(`bare-proxy-cluster exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pids,
    processes: pids.length - 1,
    stop: () => child.kill("SIGTERM"),
  };
}
