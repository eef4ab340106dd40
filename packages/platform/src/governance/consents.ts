/**
 * @module governance/consents
 * OAuth2 consents (platform-and-cli A8), kind `oauth_consent` keyed by resume id: a delegated-user
 * tool call that found no token for its end user. In a RUNNING run, creating one pauses the run
 * (`PAUSED_CONSENT`, `blocked_action_id` = resume id) and records `CONSENT_REQUIRED`; a retry of
 * the call while the run waits reuses it (with a fresh link once the old one has expired).
 * Storing a token for the (tool, user) grants every pending consent it satisfies.
 *
 * The authorization link is made by the caller (`link`): governance signs nothing and knows no
 * provider. A consent holds no secret: the link's `state` is signed, not secret.
 */
import { randomUUID } from "node:crypto";
import { HttpError } from "../errors.js";
import { type Doc, type ResourceRecord, type Store, VersionConflictError } from "../store/store.js";
import { GOVERNANCE_ACTOR } from "./runs.js";

export const CONSENT_STATUSES = ["pending", "granted", "expired"] as const;
/** How long a consent link (its signed state) is accepted. */
export const CONSENT_TTL_MS = 3_600_000;

export interface ConsentDoc extends Doc {
  id: string;
  resume_id: string;
  tool: string;
  user_id: string;
  /** The run it paused; "" when the call had no run, or its run could not be paused. */
  run_id: string;
  agent: string;
  /** Stored status; a pending consent whose link has expired reads as `expired`. */
  status: "pending" | "granted";
  authorization_url: string;
  /** The redirect URI in the link: the code exchange must send the same one. */
  redirect_uri: string;
  expires_at: string;
  granted_at: string;
}

export type ConsentRecord = ResourceRecord<ConsentDoc>;

export interface ConsentInput {
  tool: string;
  user: string;
  agent: string;
  /** The caller's run ("" for none). */
  runId: string;
  redirectUri: string;
  /** The authorization URL for a consent (its signed state names these). */
  link(resumeId: string, runId: string, expiresAtMs: number): Promise<string>;
}

/** The pending consent for this call: reused when the run already waits on one, else created. */
export async function requestConsent(
  store: Store,
  ws: string,
  input: ConsentInput,
  now = Date.now(),
): Promise<ConsentDoc> {
  const reusable = input.runId
    ? await pendingForRun(store, ws, input)
    : (await store.listResources<ConsentDoc>(ws, "oauth_consent")).find(
        (r) => r.doc.status === "pending" && r.doc.run_id === "" && sameCall(r.doc, input),
      );
  if (reusable) return freshLink(store, ws, reusable, input, now);
  let runId = input.runId;
  if (runId && (await store.getRun(ws, runId))?.status !== "RUNNING") runId = "";
  const id = randomUUID();
  const expiresAt = now + CONSENT_TTL_MS;
  const doc: ConsentDoc = {
    id,
    resume_id: id,
    tool: input.tool,
    user_id: input.user,
    run_id: runId,
    agent: input.agent,
    status: "pending",
    authorization_url: await input.link(id, runId, expiresAt),
    redirect_uri: input.redirectUri,
    expires_at: new Date(expiresAt).toISOString(),
    granted_at: "",
  };
  await store.putResource(ws, "oauth_consent", id, doc, { expectedVersion: 0 });
  if (!runId) return doc;
  const paused = await store.updateRun(ws, runId, { status: "PAUSED_CONSENT", blockedActionId: id }, [
    "RUNNING",
  ]);
  if (!paused) {
    // Another call paused the run meanwhile: share its consent, or go on without the run.
    await store.deleteResource(ws, "oauth_consent", id);
    const other = await pendingForRun(store, ws, input);
    if (other) return freshLink(store, ws, other, input, now);
    return requestConsent(store, ws, { ...input, runId: "" }, now);
  }
  await store.appendEvent(ws, runId, {
    type: "CONSENT_REQUIRED",
    actor: GOVERNANCE_ACTOR,
    data: {
      tool: doc.tool,
      tool_id: doc.tool,
      user: doc.user_id,
      user_id: doc.user_id,
      resume_id: id,
      authorization_url: doc.authorization_url,
    },
  });
  return doc;
}

const sameCall = (doc: ConsentDoc, input: ConsentInput): boolean =>
  doc.tool === input.tool && doc.user_id === input.user && doc.agent === input.agent;

/** The run's consent when the run is paused on a pending consent for this very tool and user. */
async function pendingForRun(store: Store, ws: string, input: ConsentInput) {
  const run = await store.getRun(ws, input.runId);
  if (run?.status !== "PAUSED_CONSENT" || !run.blockedActionId) return undefined;
  const record = await store.getResource<ConsentDoc>(ws, "oauth_consent", run.blockedActionId);
  return record?.doc.status === "pending" && sameCall(record.doc, input) ? record : undefined;
}

/** The consent as it is, or with a new link and expiry once the old link has expired. */
async function freshLink(
  store: Store,
  ws: string,
  record: ConsentRecord,
  input: ConsentInput,
  now: number,
): Promise<ConsentDoc> {
  if (Date.parse(record.doc.expires_at) > now) return record.doc;
  const expiresAt = now + CONSENT_TTL_MS;
  const doc: ConsentDoc = {
    ...record.doc,
    authorization_url: await input.link(record.doc.resume_id, record.doc.run_id, expiresAt),
    redirect_uri: input.redirectUri,
    expires_at: new Date(expiresAt).toISOString(),
  };
  try {
    await store.putResource(ws, "oauth_consent", record.name, doc, { expectedVersion: record.version });
    return doc;
  } catch (error) {
    if (!(error instanceof VersionConflictError)) throw error;
    const current = await store.getResource<ConsentDoc>(ws, "oauth_consent", record.name);
    return current?.doc ?? doc; // renewed (or granted) by someone else a moment ago
  }
}

/**
 * Marks granted every pending consent a token for (tool, user) satisfies — a shared token
 * (`user` "") satisfies every user's — and returns them (their runs are then resumed).
 */
export async function grantConsents(
  store: Store,
  ws: string,
  tool: string,
  user: string,
  now = Date.now(),
): Promise<ConsentDoc[]> {
  const granted: ConsentDoc[] = [];
  for (const record of await store.listResources<ConsentDoc>(ws, "oauth_consent")) {
    const d = record.doc;
    if (d.status !== "pending" || d.tool !== tool || (user !== "" && d.user_id !== user)) continue;
    const doc: ConsentDoc = { ...d, status: "granted", granted_at: new Date(now).toISOString() };
    try {
      await store.putResource(ws, "oauth_consent", record.name, doc, { expectedVersion: record.version });
      granted.push(doc);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error; // granted by someone else
    }
  }
  return granted;
}

/** Pending first (oldest first), then the others (newest first); `status` filters. */
export async function listConsents(store: Store, ws: string, status = "", now = Date.now()) {
  if (status && !(CONSENT_STATUSES as readonly string[]).includes(status)) {
    throw new HttpError(400, `query parameter status must be one of ${CONSENT_STATUSES.join(", ")}`);
  }
  const views = (await store.listResources<ConsentDoc>(ws, "oauth_consent"))
    .map((r) => consentView(r, now))
    .filter((v) => !status || v.status === status);
  const pending = views.filter((v) => v.status === "pending").sort(byCreated);
  const others = views
    .filter((v) => v.status !== "pending")
    .sort(byCreated)
    .reverse();
  return [...pending, ...others];
}

const byCreated = (a: { created_at: string }, b: { created_at: string }): number =>
  a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0;

export function effectiveConsentStatus(doc: ConsentDoc, now = Date.now()): (typeof CONSENT_STATUSES)[number] {
  return doc.status === "pending" && Date.parse(doc.expires_at) <= now ? "expired" : doc.status;
}

export function consentView(record: ConsentRecord, now = Date.now()) {
  const d = record.doc;
  return {
    id: d.id,
    resume_id: d.resume_id,
    tool: d.tool,
    user_id: d.user_id,
    run_id: d.run_id,
    agent: d.agent,
    status: effectiveConsentStatus(d, now),
    authorization_url: d.authorization_url,
    expires_at: d.expires_at,
    granted_at: d.granted_at,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
  };
}
