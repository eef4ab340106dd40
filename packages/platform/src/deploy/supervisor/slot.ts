/**
 * @module deploy/supervisor/slot
 * The local backend's state for one agent, and the status it implies:
 *
 * 1. the latest version failed (build, start, user code) → `Failed`, the reason, and whether an
 *    older version still serves;
 * 2. a process serves → `Running` (noting a version being started);
 * 3. a crash restart is pending → `Restarting`, with the exit reason and last log lines;
 * 4. otherwise → `Pending` (building / starting).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { IsolationMode } from "../isolation/mode.js";
import { AgentLog } from "./agent-log.js";
import type { AgentProcess } from "./agent-process.js";
import type { AgentRef, AgentStatus } from "./types.js";

export interface Slot {
  ref: AgentRef;
  /** `<dataDir>/agents/<ws>/<agent>` */
  dir: string;
  log: AgentLog;
  /** The agent's token for this platform lifetime (shared by its processes). */
  token: string | undefined;
  /** The process requests go to. */
  active: AgentProcess | undefined;
  /** Processes draining or being stopped. */
  others: Set<AgentProcess>;
  /** The version being built or started now (its directory must stay). */
  building: number | undefined;
  /** Why the latest version is not running, when it failed. */
  failure: string | undefined;
  /** What is in progress (`building version 3`), for Pending / Running messages. */
  note: string;
  /** Why the serving process went away, while a restart is pending. */
  crash: string | undefined;
  restarts: number;
  backoffMs: number;
  timer: NodeJS.Timeout | undefined;
  /** Operations on this agent, one at a time. */
  queue: Promise<void>;
  /** Status writes, in order. */
  writes: Promise<void>;
  /** Stopped for good (deleted, or the platform is shutting down): no more writes. */
  removed: boolean;
}

export const imageOnlyMessage =
  "cannot run on the local platform: it runs agents from source files (deploy with source_files); " +
  "image, draft and artifact deployments are recorded only";

/** `isolation`: the mode new processes get, shown while none serves. */
export function statusOf(slot: Slot, isolation: IsolationMode): AgentStatus {
  const active = slot.active && !slot.active.hasExited ? slot.active : undefined;
  const base = {
    version: active?.version ?? 0,
    restarts: slot.restarts,
    isolation: active?.isolation ?? isolation,
    ...(active ? { pid: active.pid } : {}),
  };
  if (slot.failure) {
    const serving = active ? ` (version ${active.version} is still serving requests)` : "";
    const [first, ...rest] = slot.failure.split("\n");
    return { phase: "Failed", message: [`${first}${serving}`, ...rest].join("\n"), ...base };
  }
  if (active) {
    const message = `version ${active.version} is running${slot.note ? `; ${slot.note}` : ""}`;
    return { phase: "Running", message, ...base };
  }
  if (slot.crash) return { phase: "Restarting", message: slot.crash, ...base };
  return { phase: "Pending", message: slot.note || "waiting to start", ...base };
}

/** A fresh slot; creates the agent's directory (its log lives there, `onLine` sees its new lines). */
export function newSlot(
  ref: AgentRef,
  dir: string,
  backoffMs: number,
  onLine?: (line: string) => void,
): Slot {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return {
    ref,
    dir,
    log: new AgentLog(join(dir, "agent.log"), onLine),
    token: undefined,
    active: undefined,
    others: new Set(),
    building: undefined,
    failure: undefined,
    note: "",
    crash: undefined,
    restarts: 0,
    backoffMs,
    timer: undefined,
    queue: Promise.resolve(),
    writes: Promise.resolve(),
    removed: false,
  };
}
