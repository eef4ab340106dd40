/**
 * @module data-dir-lock
 * One platform per data directory. Two platforms on one store would each run (and re-key) the
 * same agents, so a start takes `platform.lock` in the data dir first: a file that appears
 * complete or not at all (written aside, then hard-linked into place, which fails when it exists)
 * and names its owner's pid and, once it listens, its endpoint. A lock whose pid is no longer
 * alive was left by a killed platform and is taken over. Released on close and at process exit.
 */
import { randomUUID } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "./config.js";

export const LOCK_FILE = "platform.lock";

/** Another live process holds the data directory. */
export class DataDirLockedError extends ConfigError {
  override name = "DataDirLockedError";
  constructor(
    readonly dataDir: string,
    readonly owner: { pid: number; endpoint?: string | undefined },
  ) {
    const where = owner.endpoint ? `serving ${owner.endpoint}` : "starting or without an endpoint";
    super(
      `the data directory ${dataDir} is in use by another RunAgents platform (pid ${owner.pid}, ${where}): ` +
        `stop that one first, or give this one its own --data-dir (lock file: ${join(dataDir, LOCK_FILE)})`,
    );
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Records where the platform listens, for the message a second start prints. */
  setEndpoint(url: string): void;
  /** Removes the lock file if it is still this lock's. Idempotent. */
  release(): void;
}

interface Owner {
  pid: number;
  token: string;
  started_at: string;
  endpoint?: string;
}

const held = new Set<DataDirLock>();
const heldTokens = new Set<string>();
let exitHookInstalled = false;

/** Takes the data directory's lock, or throws {@link DataDirLockedError} naming its owner. */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  const owner: Owner = { pid: process.pid, token: randomUUID(), started_at: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createExclusive(path, owner)) return holding(path, owner);
    const current = readOwner(path);
    if (current === "missing") continue;
    if (current !== "unreadable" && isLive(current)) throw new DataDirLockedError(dataDir, current);
    takeOverStale(path, current);
  }
  throw new ConfigError(`could not lock the data directory ${dataDir}: its lock file keeps changing`);
}

/** Writes the owner aside, then links it into place: the lock never exists half-written. */
function createExclusive(path: string, owner: Owner): boolean {
  const staged = `${path}.${owner.token}`;
  writeFileSync(staged, `${JSON.stringify(owner)}\n`, { mode: 0o600 });
  try {
    linkSync(staged, path);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (!NO_HARD_LINKS.has(code ?? "")) throw err;
    return createWithExclusiveOpen(path, owner);
  } finally {
    rmSync(staged, { force: true });
  }
}

/** A file system without hard links: O_EXCL (a reader may briefly see the file empty). */
const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV"]);

function createWithExclusiveOpen(path: string, owner: Owner): boolean {
  try {
    writeFileSync(path, `${JSON.stringify(owner)}\n`, { flag: "wx", mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

function readOwner(path: string): Owner | "missing" | "unreadable" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw err;
  }
  try {
    const doc = JSON.parse(text) as Partial<Owner>;
    if (typeof doc.pid !== "number" || !Number.isInteger(doc.pid) || doc.pid <= 0) return "unreadable";
    return {
      pid: doc.pid,
      token: String(doc.token ?? ""),
      started_at: String(doc.started_at ?? ""),
      ...(typeof doc.endpoint === "string" ? { endpoint: doc.endpoint } : {}),
    };
  } catch {
    return "unreadable";
  }
}

function isLive(owner: Owner): boolean {
  // Our own pid: a lock this process holds, or one left by an earlier process that had our pid
  // (a container's platform is often pid 1 at every start).
  if (owner.pid === process.pid) return heldTokens.has(owner.token);
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  return !isZombie(owner.pid);
}

/** A killed process nobody has reaped yet (Linux; elsewhere assumed not). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

/**
 * Moves a stale lock out of the way. Two starts may find the same stale lock; the move is atomic,
 * and a start that moved a lock other than the stale one it read (a competitor's fresh lock) puts
 * it back, so the next attempt sees that live owner.
 */
function takeOverStale(path: string, stale: Owner | "unreadable"): void {
  const aside = `${path}.stale-${randomUUID()}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  const moved = readOwner(aside);
  const same =
    stale === "unreadable"
      ? moved === "unreadable"
      : typeof moved === "object" && moved.token === stale.token;
  if (!same) {
    try {
      linkSync(aside, path);
    } catch {
      // someone locked it meanwhile: that lock stands
    }
  }
  rmSync(aside, { force: true });
}

function holding(path: string, owner: Owner): DataDirLock {
  const ours = () => {
    const current = readOwner(path);
    return typeof current === "object" && current.token === owner.token;
  };
  const lock: DataDirLock = {
    path,
    setEndpoint(url) {
      if (!ours()) return;
      const staged = `${path}.${owner.token}`;
      writeFileSync(staged, `${JSON.stringify({ ...owner, endpoint: url })}\n`, { mode: 0o600 });
      renameSync(staged, path);
    },
    release() {
      if (!held.delete(lock)) return;
      heldTokens.delete(owner.token);
      if (ours()) rmSync(path, { force: true });
    },
  };
  held.add(lock);
  heldTokens.add(owner.token);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", () => {
      for (const each of [...held]) each.release();
    });
  }
  return lock;
}
