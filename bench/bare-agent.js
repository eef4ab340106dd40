// The `runs` scenario's baseline agent: a bare node:http server whose POST /invoke makes one GET to
// TOOL_URL (through nginx, as the governed agent's call goes through the egress) and answers JSON
// with what the tool said. A process of its own; prints its port.
import http from "node:http";

const tool = new URL(process.env.TOOL_URL ?? "http://127.0.0.1:9/items");
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

const server = http.createServer({ keepAlive: true, noDelay: true }, (req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const { message } = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    const up = http.get(tool, { agent }, (answer) => {
      const parts = [];
      answer.on("data", (c) => parts.push(c));
      answer.on("end", () => {
        const body = JSON.stringify({
          response: `${message}: ${Buffer.concat(parts).toString("utf8")}`,
          tool_status: answer.statusCode,
        });
        res.writeHead(answer.statusCode === 200 ? 200 : 502, {
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
        });
        res.end(body);
      });
    });
    up.on("error", (error) => {
      res.writeHead(502, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: error.message }));
    });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () =>
  console.log(`listening ${server.address().port}`),
);
