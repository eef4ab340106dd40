/**
 * @module api/agent-channel
 * Connections that arrive on a sandboxed agent's private socket (`deploy/isolation/channel`) are
 * tagged with that agent's token. The front door answers them only on the agent's own capability
 * paths — its egress, gateway and runtime callbacks — never the management API, the console, or
 * another agent's token.
 */
import type { Socket } from "node:net";
import { HttpError } from "../errors.js";

const channelToken = new WeakMap<Socket, string>();

export function tagAgentChannel(socket: Socket, token: string): void {
  channelToken.set(socket, token);
}

const AGENT_PREFIXES = ["/egress/", "/gateway/", "/internal/"];

/** Throws 403 when `pathname` (already normalised) is not the channel's own agent path. */
export function checkAgentChannel(socket: Socket, pathname: string): void {
  const token = channelToken.get(socket);
  if (token === undefined) return;
  for (const prefix of AGENT_PREFIXES) {
    if (pathname.startsWith(prefix) && pathname.startsWith(`${token}/`, prefix.length)) return;
  }
  throw new HttpError(403, "an agent reaches only its own egress, gateway and runtime callbacks");
}
