/**
 * @module egress/oauth-state
 * The `state` of an OAuth2 consent link (platform-and-cli A8): which consent a provider's redirect
 * to `/oauth/callback` completes. `<base64url JSON>.<base64url HMAC-SHA256>`; the JSON names the
 * workspace, tool, end user, run, resume id and an expiry — nothing secret. The signing key is
 * generated once and kept encrypted in the secret store (reserved workspace `_oauth`), so links
 * stay valid across restarts and across platforms sharing one database.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { HttpError } from "../errors.js";
import type { Store } from "../store/store.js";

export interface ConsentState {
  ws: string;
  tool: string;
  /** The end user the token is for ("" never: consent needs a user). */
  user: string;
  /** The paused run, "" when the call had none. */
  run: string;
  /** The consent's resume id (its record name, the run's blocked action id). */
  rid: string;
  /** Epoch seconds after which the link is refused. */
  exp: number;
}

const KEY_WORKSPACE = "_oauth";
const KEY_SECRET = "state-signing-key";
const keys = new WeakMap<Store, Promise<Buffer>>();

/** The platform's state-signing key, created on first use. */
function signingKey(store: Store): Promise<Buffer> {
  let key = keys.get(store);
  if (!key) {
    key = loadOrCreateKey(store);
    keys.set(store, key);
    key.catch(() => keys.delete(store));
  }
  return key;
}

async function loadOrCreateKey(store: Store): Promise<Buffer> {
  const stored = (await store.getSecret(KEY_WORKSPACE, KEY_SECRET))?.key;
  if (stored) return Buffer.from(stored, "base64");
  await store.putSecret(KEY_WORKSPACE, KEY_SECRET, { key: randomBytes(32).toString("base64") });
  // Read back: when two platforms created one at the same moment, both now use the one that won.
  const key = (await store.getSecret(KEY_WORKSPACE, KEY_SECRET))?.key;
  if (!key) throw new Error("the OAuth state signing key could not be stored");
  return Buffer.from(key, "base64");
}

const mac = (key: Buffer, payload: string): Buffer => createHmac("sha256", key).update(payload).digest();

export async function signState(store: Store, state: ConsentState): Promise<string> {
  const payload = Buffer.from(JSON.stringify(state)).toString("base64url");
  return `${payload}.${mac(await signingKey(store), payload).toString("base64url")}`;
}

/** The verified state; 400 when it is malformed, not signed by this platform, or expired. */
export async function verifyState(store: Store, text: string, nowMs = Date.now()): Promise<ConsentState> {
  const invalid = (why: string) => new HttpError(400, `invalid OAuth state: ${why}`);
  const [payload, signature, extra] = text.split(".");
  if (!payload || !signature || extra !== undefined || text.length > 4096) throw invalid("malformed");
  const expected = mac(await signingKey(store), payload);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid("the signature does not match");
  }
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw invalid("malformed");
  }
  if (!isState(state)) throw invalid("malformed");
  if (state.exp * 1000 <= nowMs) {
    throw new HttpError(400, "the consent link has expired: call the tool again for a new one");
  }
  return state;
}

function isState(value: unknown): value is ConsentState {
  if (value === null || typeof value !== "object") return false;
  const v = value as Record<string, unknown>;
  return (
    ["ws", "tool", "user", "run", "rid"].every((k) => typeof v[k] === "string") &&
    typeof v.exp === "number" &&
    v.ws !== "" &&
    v.tool !== "" &&
    v.rid !== ""
  );
}
