/**
 * @module deploy/supervisor/slot-files
 * What the local backend keeps on disk per agent besides its log: `agent.pids` (the live
 * processes, so a platform that crashed can have its leftovers killed on the next start) and
 * the version directories (`v<n>`), pruned once no process runs from them.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Slot } from "./slot.js";

export function writePids(slot: Slot): void {
  const pids = [slot.active, ...slot.others].filter((p) => p && !p.hasExited).map((p) => p?.pid);
  try {
    writeFileSync(join(slot.dir, "agent.pids"), `${JSON.stringify(pids)}\n`);
  } catch {
    // the directory is gone (the agent was removed)
  }
}

/** A variable in every agent process's environment that says whose it is (not where it lives). */
export const AGENT_MARK = "RUNAGENTS_AGENT_MARK";
export const agentMark = (agentDir: string): string =>
  createHash("sha256").update(agentDir).digest("hex").slice(0, 24);

/**
 * Kills runtime processes a previous platform left behind: pids in `agent.pids` whose
 * environment has this agent's mark (so a reused pid of another process is left alone).
 */
export function killLeftovers(agentDir: string): void {
  let pids: unknown;
  try {
    pids = JSON.parse(readFileSync(join(agentDir, "agent.pids"), "utf8"));
  } catch {
    return;
  }
  if (!Array.isArray(pids)) return;
  for (const pid of pids) {
    if (typeof pid !== "number" || pid <= 0) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
      if (environ.includes(`${AGENT_MARK}=${agentMark(agentDir)}\u0000`)) process.kill(pid, "SIGKILL");
    } catch {
      // not running (or not ours)
    }
  }
}

/** Removes the version directories no process runs from and none is being built in. */
export function pruneVersions(slot: Slot): void {
  const keep = new Set([slot.active, ...slot.others].map((p) => `v${p?.version}`));
  if (slot.building !== undefined) keep.add(`v${slot.building}`);
  try {
    for (const entry of readdirSync(slot.dir)) {
      if (/^v\d+$/.test(entry) && !keep.has(entry))
        rmSync(join(slot.dir, entry), { recursive: true, force: true });
    }
  } catch {
    // best effort
  }
}
