/**
 * @module deploy/supervisor/deployments
 * The supervisor's records. Which agents have a runnable deployment, and its version, live in
 * the reserved workspace `_agent-deployments` (not a valid workspace name, so no API route
 * reaches it) as `setting` records named `<ws>.<agent>`: `{workspace, agent, version, digest}`.
 * That index is how a starting platform finds every agent to run, across workspaces; it also keeps
 * the agent's version history (the last {@link HISTORY_LIMIT} deployments). Status
 * changes are written into the agent document's `status` with optimistic concurrency, so a
 * concurrent config update is never lost and a deleted agent is never written back.
 */
import { type Doc, type Store, VersionConflictError } from "../../store/store.js";
import type { AgentRef, AgentStatus } from "./types.js";

const INDEX_WORKSPACE = "_agent-deployments";

export interface DeploymentDoc extends Doc {
  workspace: string;
  agent: string;
  version: number;
  digest: string;
  /** The deployments so far, oldest first (at most {@link HISTORY_LIMIT}). */
  history?: DeploymentVersion[];
}

export interface DeploymentVersion {
  version: number;
  /** The digest of the version's source files. */
  digest: string;
  deployed_at: string;
}

export const HISTORY_LIMIT = 50;

const indexName = (ref: AgentRef): string => `${ref.workspace}.${ref.name}`;

/** Records a new deployment of `digest`; returns its version (1, 2, ...). */
export async function nextDeployment(store: Store, ref: AgentRef, digest: string): Promise<number> {
  for (;;) {
    const current = await store.getResource<DeploymentDoc>(INDEX_WORKSPACE, "setting", indexName(ref));
    const version = (current?.doc.version ?? 0) + 1;
    const history = [
      ...(current?.doc.history ?? []),
      { version, digest, deployed_at: new Date().toISOString() },
    ].slice(-HISTORY_LIMIT);
    const doc: DeploymentDoc = { workspace: ref.workspace, agent: ref.name, version, digest, history };
    try {
      await store.putResource(INDEX_WORKSPACE, "setting", indexName(ref), doc, {
        expectedVersion: current?.version ?? 0,
      });
      return version;
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
    }
  }
}

export async function getDeployment(store: Store, ref: AgentRef): Promise<DeploymentDoc | undefined> {
  return (await store.getResource<DeploymentDoc>(INDEX_WORKSPACE, "setting", indexName(ref)))?.doc;
}

export async function listDeployments(store: Store): Promise<DeploymentDoc[]> {
  return (await store.listResources<DeploymentDoc>(INDEX_WORKSPACE, "setting")).map((r) => r.doc);
}

export async function removeDeployment(store: Store, ref: AgentRef): Promise<void> {
  await store.deleteResource(INDEX_WORKSPACE, "setting", indexName(ref));
}

/** Writes `status` into the agent document; false when the agent no longer exists. */
export async function writeAgentStatus(store: Store, ref: AgentRef, status: AgentStatus): Promise<boolean> {
  for (;;) {
    const record = await store.getResource(ref.workspace, "agent", ref.name);
    if (!record) return false;
    try {
      await store.putResource(
        ref.workspace,
        "agent",
        ref.name,
        { ...record.doc, status: { ...status, updated_at: new Date().toISOString() } },
        { expectedVersion: record.version },
      );
      return true;
    } catch (err) {
      if (!(err instanceof VersionConflictError)) throw err;
    }
  }
}
