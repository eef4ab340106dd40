/**
 * @module deploy/isolation/command
 * The command line that starts one agent runtime under its isolation mode.
 *
 * Sandbox layout (bubblewrap):
 * - read-only: the system's `/usr` (and the `/bin`, `/lib*`, `/sbin` links into it), Node.js and
 *   the `runagents` package (at their own paths), the version's build directory at
 *   `/agent/code`, a few files of `/etc` (TLS roots, hosts, time zone);
 * - writable: the agent's scratch directory at `/agent/home` (its `HOME`) and a private `/tmp`;
 * - `/run/runagents`: the per-process channel directory (the runtime's socket, the platform's);
 * - new mount, PID, network (loopback only), IPC, UTS and user namespaces, no capabilities, a new
 *   session (no terminal injection), killed with the platform.
 * Nothing else of the host exists inside: not the platform's data directory, not other agents,
 * not `/proc` of other processes.
 */
import { existsSync, lstatSync, readlinkSync, realpathSync } from "node:fs";
import { dirname } from "node:path";
import { BWRAP, type IsolationMode } from "./mode.js";

/** Where the channel directory, the build and the scratch directory appear inside the sandbox. */
export const SANDBOX_CHANNEL_DIR = "/run/runagents";
const SANDBOX_CODE_DIR = "/agent/code";
const SANDBOX_HOME_DIR = "/agent/home";

export interface AgentPaths {
  /** The runtime's entry file (inside `packageDir`). */
  runtimeEntry: string;
  /** The `runagents` package directory. */
  packageDir: string;
  /** The version's build directory (the process's working directory). */
  buildDir: string;
  /** The agent's writable scratch directory. */
  scratchDir: string;
  /** The per-process channel directory (sockets). */
  channelDir: string;
}

export interface AgentCommand {
  command: string;
  args: string[];
  /** Where the runtime listens, as seen by the platform. */
  runtimeSocket: string;
  /** Where the runtime listens, as seen by the runtime. */
  runtimeSocketInside: string;
  /** The platform's per-agent socket as seen by the runtime (sandbox only). */
  platformSocketInside?: string;
  /** The build and scratch directories as the runtime sees them. */
  codeDirInside: string;
  homeDirInside: string;
}

const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
const ETC_FILES = ["/etc/ssl", "/etc/ca-certificates", "/etc/hosts", "/etc/localtime", "/etc/nsswitch.conf"];

export function agentCommand(mode: IsolationMode, paths: AgentPaths): AgentCommand {
  const node = process.execPath;
  // Without a sandbox the runtime sees the same paths as the platform.
  const unsandboxed = (args: string[]): AgentCommand => ({
    command: node,
    args,
    runtimeSocket: `${paths.channelDir}/runtime.sock`,
    runtimeSocketInside: `${paths.channelDir}/runtime.sock`,
    codeDirInside: paths.buildDir,
    homeDirInside: paths.scratchDir,
  });
  if (mode === "none") return unsandboxed([paths.runtimeEntry]);
  if (mode === "node-permission") {
    const readable = [
      paths.buildDir,
      paths.packageDir,
      realpathSync(paths.packageDir),
      paths.scratchDir,
      paths.channelDir,
    ];
    return unsandboxed([
      permissionFlag(),
      ...[...new Set(readable)].map((dir) => `--allow-fs-read=${dir}/*`),
      `--allow-fs-write=${paths.scratchDir}/*`,
      `--allow-fs-write=${paths.channelDir}/*`,
      paths.runtimeEntry,
    ]);
  }
  // Mounts apply in order: the fresh /tmp first, so binds below it stay.
  const args = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"];
  args.push("--hostname", "agent", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  for (const dir of SYSTEM_DIRS) args.push(...systemEntry(dir));
  const nodePrefix = dirname(dirname(realpathSync(node)));
  if (nodePrefix !== "/usr") args.push("--ro-bind", nodePrefix, nodePrefix);
  for (const path of ETC_FILES) if (existsSync(path)) args.push("--ro-bind", path, path);
  const packageReal = realpathSync(paths.packageDir);
  args.push("--ro-bind", packageReal, packageReal);
  if (packageReal !== paths.packageDir) args.push("--ro-bind", packageReal, paths.packageDir);
  args.push("--ro-bind", paths.buildDir, SANDBOX_CODE_DIR);
  args.push("--bind", paths.scratchDir, SANDBOX_HOME_DIR);
  args.push("--bind", paths.channelDir, SANDBOX_CHANNEL_DIR);
  args.push("--chdir", SANDBOX_CODE_DIR, "--", node, paths.runtimeEntry);
  return {
    command: BWRAP,
    args,
    runtimeSocket: `${paths.channelDir}/runtime.sock`,
    runtimeSocketInside: `${SANDBOX_CHANNEL_DIR}/runtime.sock`,
    platformSocketInside: `${SANDBOX_CHANNEL_DIR}/platform.sock`,
    codeDirInside: SANDBOX_CODE_DIR,
    homeDirInside: SANDBOX_HOME_DIR,
  };
}

/** A merged-/usr system has `/bin` etc. as links into `/usr`: recreate the link, else bind. */
function systemEntry(dir: string): string[] {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(dir);
  } catch {
    return [];
  }
  if (stat.isSymbolicLink()) return ["--symlink", readlinkSync(dir), dir];
  return stat.isDirectory() ? ["--ro-bind", dir, dir] : [];
}

/** Node 20–22 call it `--experimental-permission`; later versions `--permission`. */
function permissionFlag(): string {
  return process.allowedNodeEnvironmentFlags.has("--permission")
    ? "--permission"
    : "--experimental-permission";
}
