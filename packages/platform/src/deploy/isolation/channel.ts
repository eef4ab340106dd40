/**
 * @module deploy/isolation/channel
 * One agent process's channel directory and the platform's end of it.
 *
 * The directory (`<tmp>/ra-XXXXXX`, mode 0700; short, since Unix socket paths are limited to ~100
 * bytes) holds the runtime's socket, which only the platform connects to, and — for a sandboxed
 * agent, which has no other way out — the platform's per-agent socket. Connections on the latter
 * are handed to the platform's HTTP server tagged with the agent's token, and the front door
 * answers them only for that token's egress, gateway and runtime callbacks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Hands a connection from an agent's socket to the platform's HTTP server. */
export type AcceptAgentConnection = (socket: Socket, token: string) => void;

export class AgentChannel {
  readonly dir: string;
  #server: Server | undefined;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "ra-"));
  }

  get platformSocket(): string {
    return join(this.dir, "platform.sock");
  }

  /** Listens on the platform's per-agent socket; every connection speaks for `token` only. */
  async listen(token: string, accept: AcceptAgentConnection): Promise<void> {
    const server = createServer({ noDelay: true }, (socket) => accept(socket, token));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.platformSocket, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
  }

  close(): void {
    this.#server?.close();
    this.#server = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
