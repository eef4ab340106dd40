// The `runtime` scenario's baseline: a bare node:http server answering POST /invoke with the JSON
// a trivial handler's answer would have, in a process of its own. Prints its port (or listens on
// the unix socket given as argv[2]).
import http from "node:http";

const server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const { message } = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    const body = JSON.stringify({
      response: `ok ${message}`,
      model: "bench",
      usage: {},
      tool_calls_made: [],
      duration_ms: 0,
      request_id: req.headers["x-request-id"] ?? "r",
      handler: "user",
    });
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
const socket = process.argv[2];
if (socket) server.listen(socket, () => console.log(`listening ${socket}`));
else server.listen(0, "127.0.0.1", () => console.log(`listening ${server.address().port}`));
