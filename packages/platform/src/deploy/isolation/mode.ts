/**
 * @module deploy/isolation/mode
 * How agent processes are isolated, chosen once at platform start.
 *
 * | mode | what an agent process gets |
 * |---|---|
 * | `sandbox` | bubblewrap: its own mount, PID, network, IPC and UTS namespaces; it sees its build (read-only), a scratch directory, Node.js and the `runagents` package; its only network is loopback, where the runtime relays to the platform's per-agent socket |
 * | `node-permission` | Node's permission model: file reads limited to its build, scratch, Node.js and `runagents`; no child processes, workers or native addons; the network is not restricted |
 * | `none` | nothing beyond a clean environment (`RUNAGENTS_AGENT_ISOLATION=none`, for development) |
 *
 * `auto` (the default) takes `sandbox` where bubblewrap works (Linux with user namespaces), else
 * `node-permission`, and says so loudly.
 */
import { spawnSync } from "node:child_process";

export const ISOLATION_MODES = ["sandbox", "node-permission", "none"] as const;
export type IsolationMode = (typeof ISOLATION_MODES)[number];
export type IsolationSetting = IsolationMode | "auto";

export interface Isolation {
  mode: IsolationMode;
  /** Why this mode, when it is weaker than `sandbox`: for the start-up warning. */
  weaker?: string;
}

export const BWRAP = "bwrap";

/** Whether bubblewrap can create the namespaces an agent sandbox needs, and why not. */
export function probeSandbox(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== "linux")
    return { ok: false, reason: `bubblewrap needs Linux (this is ${process.platform})` };
  const probe = spawnSync(
    BWRAP,
    ["--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "--", "/bin/true"],
    { stdio: ["ignore", "ignore", "pipe"], timeout: 10_000, encoding: "utf8" },
  );
  if (probe.error) {
    const missing = (probe.error as NodeJS.ErrnoException).code === "ENOENT";
    return {
      ok: false,
      reason: missing
        ? "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
        : `bubblewrap could not start: ${probe.error.message}`,
    };
  }
  if (probe.status !== 0) {
    const detail = probe.stderr.trim().split("\n")[0] ?? "";
    return {
      ok: false,
      reason: `bubblewrap cannot create namespaces here (${detail || `exit ${probe.status}`})`,
    };
  }
  return { ok: true };
}

/** The mode to run agents in; throws when `sandbox` is asked for and cannot be had. */
export function chooseIsolation(setting: IsolationSetting): Isolation {
  if (setting === "none") return { mode: "none", weaker: "RUNAGENTS_AGENT_ISOLATION=none" };
  if (setting === "node-permission") {
    return { mode: "node-permission", weaker: "RUNAGENTS_AGENT_ISOLATION=node-permission" };
  }
  const probe = probeSandbox();
  if (probe.ok) return { mode: "sandbox" };
  if (setting === "sandbox") {
    throw new Error(`RUNAGENTS_AGENT_ISOLATION=sandbox, but ${probe.reason}`);
  }
  return { mode: "node-permission", weaker: probe.reason };
}

/** What an operator is told when agents run with less than the sandbox. */
export function isolationWarning(isolation: Isolation): string | undefined {
  if (isolation.mode === "sandbox") return undefined;
  const what =
    isolation.mode === "none"
      ? "agents run WITHOUT isolation: agent code can read the platform's data directory and reach the network"
      : "agents run under Node's permission model only: their file reads are limited, but they share the " +
        "machine's network and process table";
  return `${what} (${isolation.weaker})`;
}
