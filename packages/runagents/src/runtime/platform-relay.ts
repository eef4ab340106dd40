/**
 * @module
 * The sandbox bridge: a sandboxed agent has no network but loopback, and the platform is a Unix
 * socket bind-mounted into the sandbox. This relay listens on `127.0.0.1:<port>` inside the
 * agent's own network namespace and pipes each connection to that socket, so `TOOL_URL_*`,
 * `LLM_GATEWAY_URL` and `GOVERNANCE_URL` stay plain `http://` URLs any HTTP library can use. The
 * platform answers on that socket only for this agent's own token.
 */

import { connect, createServer, type Server } from "node:net";

export async function startPlatformRelay(options: { socketPath: string; port: number }): Promise<Server> {
  const server = createServer({ noDelay: true }, (client) => {
    const upstream = connect(options.socketPath);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.unref();
  return server;
}
