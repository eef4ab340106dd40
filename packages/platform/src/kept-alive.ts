/**
 * @module kept-alive
 * What the egress (`egress/forward`) and the LLM gateway (`gateway/upstream`) share about kept-alive
 * upstream connections: a connector that marks the errors of connections that had already carried
 * an answer, and the test for the one retry both make — a request that hit a kept-alive connection
 * the server closed while it sat idle (the request never reached it), before any answer.
 */
import type { Socket } from "node:net";
import { buildConnector } from "undici";

/**
 * Errors of connections that had already carried an answer (tagged before undici sees them):
 * such a connection was kept alive, so a reset on it may be the server closing it while idle.
 */
const reusedConnectionErrors = new WeakSet<Error>();
function tagReused(this: Socket, err: Error): void {
  if (this.bytesRead > 0) reusedConnectionErrors.add(err);
}

/** undici's connector with a connect timeout, whose sockets tag the errors of reused connections. */
export function keptAliveConnector(timeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: timeoutMs });
  return (options, callback) =>
    connect(options, (...args) => {
      args[1]?.on("error", tagReused);
      callback(...args);
    });
}

/** A reset of a connection that had carried an answer before: the request may be sent again once. */
export function lostOnReusedConnection(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "UND_ERR_SOCKET") {
    const socket = (err as Error & { socket?: { bytesRead?: number } }).socket;
    return (socket?.bytesRead ?? 0) > 0;
  }
  return (code === "ECONNRESET" || code === "EPIPE") && reusedConnectionErrors.has(err);
}
