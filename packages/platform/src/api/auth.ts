/**
 * @module api/auth
 * Workspace API keys: every /api/v1 request needs a valid one (there is no keyless mode — a
 * loopback exception would extend to every agent on the machine). The platform creates the first
 * admin key itself at first start (`platform.ts`; `main.ts` writes it into the local
 * configuration). Keys are stored as SHA-256 hashes; a key made in the `default` workspace is
 * valid in every workspace.
 */
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { HttpError } from "../errors.js";
import type { ApiKeyRecord, Store } from "../store/store.js";
import { nowIso } from "../time.js";
import type { Principal } from "./context.js";
import type { Role } from "./roles.js";

export const API_KEY_PREFIX = "ra_ws_";
export const API_KEY_HEADER = "X-RunAgents-API-Key";

export const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");
export const newToken = (): string => `${API_KEY_PREFIX}${randomBytes(24).toString("base64url")}`;

export function presentedToken(req: IncomingMessage): string {
  const header = req.headers["x-runagents-api-key"];
  const direct = (Array.isArray(header) ? header[0] : header)?.trim();
  if (direct) return direct;
  const auth = req.headers.authorization?.trim() ?? "";
  const match = /^Bearer\s+(.+)$/i.exec(auth);
  return match?.[1]?.trim() ?? "";
}

const LAST_USED_RESOLUTION_MS = 60_000;

export async function authenticate(
  store: Store,
  req: IncomingMessage,
  workspace: string,
): Promise<Principal> {
  const token = presentedToken(req);
  if (!token) throw new HttpError(401, `missing API key: send it in the ${API_KEY_HEADER} header`);
  const key = await store.findApiKeyByHash(hashToken(token));
  const now = nowIso();
  if (!key || (key.expiresAt && key.expiresAt <= now)) throw new HttpError(401, "invalid or expired API key");
  if (key.workspace !== "default" && key.workspace !== workspace) {
    throw new HttpError(403, `API key "${key.name}" is not valid for workspace "${workspace}"`);
  }
  // One-minute resolution: a busy key is not rewritten (one commit) on every call.
  if (!key.lastUsedAt || Date.parse(now) - Date.parse(key.lastUsedAt) >= LAST_USED_RESOLUTION_MS) {
    await store.updateApiKey(key.id, { lastUsedAt: now });
  }
  return {
    kind: "api_key",
    id: key.id,
    name: key.name,
    workspace: key.workspace,
    role: key.role as Role,
    groups: [...key.groups],
    actForUsers: key.actForUsers === true,
  };
}

/**
 * Create a key: the record keeps only the token's hash; the token is returned once. Made on the
 * platform's own machine (`--create-api-key`), so it is an `admin` key unless `role` says otherwise.
 */
export async function issueApiKey(
  store: Store,
  workspace: string,
  name: string,
  expiresInDays?: number,
  role: Role = "admin",
): Promise<{ record: ApiKeyRecord; token: string }> {
  const token = newToken();
  const now = new Date();
  const record: ApiKeyRecord = {
    id: `key_${randomBytes(8).toString("hex")}`,
    workspace,
    name,
    prefix: API_KEY_PREFIX,
    last4: token.slice(-4),
    hash: hashToken(token),
    createdAt: now.toISOString(),
    lastUsedAt: "",
    expiresAt: expiresInDays ? new Date(now.getTime() + expiresInDays * 86_400_000).toISOString() : "",
    role,
    groups: [],
  };
  await store.createApiKey(record);
  return { record, token };
}
