// The ceiling for any Node.js proxy on this machine: the same minimal keep-alive node:http proxy as
// the scenarios' in-thread "bare node:http proxy", run as one process per core with `node:cluster`
// (no governance, no events, nothing but forwarding). TARGET is the upstream origin
// (http://127.0.0.1:<port>), WORKERS the process count (default: the number of cores). Prints
// `listening <port> <pid> <pid> ...` (the primary's and the workers' pids) once every worker listens.
import cluster from "node:cluster";
import http from "node:http";
import { availableParallelism } from "node:os";

const target = new URL(process.env.TARGET ?? "http://127.0.0.1:9");
const workers = Number(process.env.WORKERS ?? availableParallelism());

if (cluster.isPrimary) {
  // Round-robin in the primary would add a hop per connection; let the kernel spread the accepts.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const server = http.createServer();
  server.listen(0, "127.0.0.1", () => {
    const port = server.address().port;
    server.close();
    const pids = [];
    for (let i = 0; i < workers; i++) {
      const worker = cluster.fork({ PORT: String(port) });
      worker.once("listening", () => {
        pids.push(worker.process.pid);
        if (pids.length === workers) console.log(`listening ${port} ${process.pid} ${pids.join(" ")}`);
      });
    }
  });
} else {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  http
    .createServer({ keepAlive: true }, (req, res) => {
      const up = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
          agent,
        },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      up.on("error", () => res.destroy());
      req.pipe(up);
    })
    .listen(Number(process.env.PORT), "127.0.0.1");
}
