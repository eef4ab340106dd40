/** Test helper: a run's audit export, and the chain checks the store tests share. */
import assert from "node:assert/strict";
import { verifyAuditExport } from "runagents/audit";
import { auditExport } from "../../src/governance/audit-export.js";
import type { Store } from "../../src/store/store.js";

/** The audit export (JSON lines) of one run. */
export async function exportRun(store: Store, ws: string, runId: string): Promise<string> {
  let out = "";
  for await (const chunk of auditExport(store, ws, { runId })) out += chunk;
  return out;
}

/**
 * For a run holding two events stored before the chain existed: appends two more and asserts
 * that the old ones stay unchained, the chain starts after them, and the export verifies.
 */
export async function assertChainStartsAfterUnchained(
  store: Store,
  ws: string,
  runId: string,
): Promise<void> {
  await store.appendEvent(ws, runId, { type: "AGENT_MESSAGE", actor: "a", data: { content: "hi" } });
  await store.appendEvent(ws, runId, { type: "COMPLETED", actor: "governance" });
  const exported = await exportRun(store, ws, runId);
  const events = exported
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .filter((l) => l.kind === "event");
  assert.deepEqual(
    events.map((e) => [e.seq, e.prev_hash === "" ? "" : "linked", e.hash === "" ? "" : "hashed"]),
    [
      [1, "", ""],
      [2, "", ""],
      [3, "", "hashed"],
      [4, "linked", "hashed"],
    ],
  );
  assert.equal(events[3].prev_hash, events[2].hash);
  const summary = verifyAuditExport(exported);
  assert.deepEqual([summary.events, summary.unchained, summary.runs], [4, 2, 1]);
}
