/**
 * @module governance/agent-identity
 * Per-agent secrets that say which agent is calling: the LLM gateway
 * (`/gateway/<token>/v1/chat/completions`) and the egress (`/egress/<token>/...`) take them in
 * the URL, so any HTTP library works and one agent cannot act as another.
 *
 * A token is `ra_agt_` + 32 base64url characters (192 random bits). Only its SHA-256 hash is
 * stored, as a `setting` record named `agent-token.<hash>` in the reserved workspace
 * `_agent-tokens` (not a valid workspace name, so no API route can reach it), holding
 * `{workspace, agent, created_at}`. An agent may hold several tokens (one per process); revoking
 * removes all of an agent's tokens.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Store } from "../store/store.js";

export const AGENT_TOKEN_PREFIX = "ra_agt_";
const TOKEN_PATTERN = /^ra_agt_[A-Za-z0-9_-]{32}$/;
const TOKEN_WORKSPACE = "_agent-tokens";
const RECORD_PREFIX = "agent-token.";

export interface AgentIdentity {
  workspace: string;
  agent: string;
}

interface TokenDoc extends AgentIdentity {
  [key: string]: unknown;
  created_at: string;
}

const recordName = (token: string): string =>
  `${RECORD_PREFIX}${createHash("sha256").update(token).digest("hex")}`;

/** Token → record name, so a busy agent's calls skip the hash (tokens are 192-bit random). */
const hashedNames = new Map<string, string>();
const HASHED_NAMES_LIMIT = 10_000;

export const isAgentToken = (value: string): boolean => TOKEN_PATTERN.test(value);

/** Mints a token for `agent` in `ws`; the token is returned once and never stored. */
export async function issueAgentToken(store: Store, ws: string, agent: string): Promise<string> {
  const token = `${AGENT_TOKEN_PREFIX}${randomBytes(24).toString("base64url")}`;
  const doc: TokenDoc = { workspace: ws, agent, created_at: new Date().toISOString() };
  await store.putResource(TOKEN_WORKSPACE, "setting", recordName(token), doc);
  return token;
}

/** The agent a token belongs to, or undefined for an unknown, revoked or malformed token. */
export async function resolveAgentToken(store: Store, token: string): Promise<AgentIdentity | undefined> {
  let name = hashedNames.get(token);
  if (name === undefined) {
    if (!isAgentToken(token)) return undefined;
    name = recordName(token);
    if (hashedNames.size >= HASHED_NAMES_LIMIT) hashedNames.clear();
    hashedNames.set(token, name);
  }
  const record = await store.readResource<TokenDoc>(TOKEN_WORKSPACE, "setting", name);
  return record ? { workspace: record.doc.workspace, agent: record.doc.agent } : undefined;
}

/** Removes every token of `agent` in `ws`; returns how many there were. */
export async function revokeAgentTokens(store: Store, ws: string, agent: string): Promise<number> {
  const records = await store.listResources<TokenDoc>(TOKEN_WORKSPACE, "setting");
  let removed = 0;
  for (const record of records) {
    if (record.doc.workspace !== ws || record.doc.agent !== agent) continue;
    if (await store.deleteResource(TOKEN_WORKSPACE, "setting", record.name)) removed++;
  }
  return removed;
}

/** The gateway base URL for an agent's `LLM_GATEWAY_URL` (OpenAI SDKs append `/chat/completions`). */
export function agentGatewayUrl(platformUrl: string, token: string): string {
  return `${platformUrl.replace(/\/+$/, "")}/gateway/${token}/v1`;
}

/** A path with capability tokens hidden, for logs: `/gateway/ra_agt_…/x` → `/gateway/[token]/x`. */
export function redactAgentTokens(path: string): string {
  return path.includes(AGENT_TOKEN_PREFIX) ? path.replace(/ra_agt_[A-Za-z0-9_-]*/g, "[token]") : path;
}
