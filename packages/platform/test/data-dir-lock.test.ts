import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DataDirLockedError, LOCK_FILE, lockDataDir } from "../src/data-dir-lock.js";
import { createApiKey, freePort, startPlatformProcess } from "./helpers/platform-process.js";

const MAIN = fileURLToPath(new URL("../src/main.js", import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "runagents-lock-test-"));
  dirs.push(dir);
  return dir;
}

/** A pid that surely belongs to no process any more: a child that has exited and been reaped. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(child.stdout);
}

/** `runagents-platform` run to its end: exit code and stderr. */
function runMain(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stderr })));
}

describe("one platform per data directory", () => {
  it("refuses a second platform process on the same data directory, naming the first", async () => {
    const dataDir = tempDir();
    const apiKey = await createApiKey(dataDir);
    const port = await freePort();
    const first = await startPlatformProcess(port, dataDir, apiKey);
    try {
      const second = await runMain(["--port", "0", "--data-dir", dataDir, "--no-seed"], {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        RUNAGENTS_CONFIG_DIR: tempDir(),
        RUNAGENTS_LOG_LEVEL: "warn",
      });
      assert.equal(second.code, 1);
      assert.equal(
        second.stderr,
        `Error: the data directory ${dataDir} is in use by another RunAgents platform ` +
          `(pid ${first.child.pid}, serving http://127.0.0.1:${port}): stop that one first, or give this ` +
          `one its own --data-dir (lock file: ${join(dataDir, LOCK_FILE)})\n`,
      );
      assert.equal((await first.call("GET", "/tools")).status, 200, "the first platform carries on");
    } finally {
      await first.stop();
    }
    assert.equal(existsSync(join(dataDir, LOCK_FILE)), false, "a stopped platform leaves no lock");
  });

  it("takes over the lock a killed platform left behind", async () => {
    const dataDir = tempDir();
    const apiKey = await createApiKey(dataDir);
    const first = await startPlatformProcess(await freePort(), dataDir, apiKey);
    await first.kill();
    const left = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), "utf8")) as { pid: number };
    assert.equal(left.pid, first.child.pid, "SIGKILL leaves the lock file");

    const second = await startPlatformProcess(await freePort(), dataDir, apiKey);
    try {
      assert.equal((await second.call("GET", "/tools")).status, 200);
      const now = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), "utf8")) as { pid: number };
      assert.equal(now.pid, second.child.pid);
    } finally {
      await second.stop();
    }
  });

  it("takes over a lock whose pid is dead or whose content is unreadable", () => {
    const dataDir = tempDir();
    const path = join(dataDir, LOCK_FILE);
    writeFileSync(path, JSON.stringify({ pid: deadPid(), token: "old", endpoint: "http://127.0.0.1:1" }));
    const lock = lockDataDir(dataDir);
    assert.equal((JSON.parse(readFileSync(path, "utf8")) as { pid: number }).pid, process.pid);
    lock.release();
    assert.equal(existsSync(path), false);

    writeFileSync(path, "not json");
    const again = lockDataDir(dataDir);
    assert.equal((JSON.parse(readFileSync(path, "utf8")) as { pid: number }).pid, process.pid);
    again.release();
  });

  it("refuses a second lock in the same process until the first is released", () => {
    const dataDir = tempDir();
    const lock = lockDataDir(dataDir);
    lock.setEndpoint("http://127.0.0.1:8092");
    assert.throws(
      () => lockDataDir(dataDir),
      (err: unknown) =>
        err instanceof DataDirLockedError &&
        err.owner.pid === process.pid &&
        err.owner.endpoint === "http://127.0.0.1:8092",
    );
    lock.release();
    lock.release(); // idempotent
    lockDataDir(dataDir).release();
  });

  it("does not remove a lock that is no longer its own", () => {
    const dataDir = tempDir();
    const lock = lockDataDir(dataDir);
    const path = join(dataDir, LOCK_FILE);
    const other = JSON.stringify({ pid: process.pid, token: "someone-else" });
    writeFileSync(path, other);
    lock.release();
    assert.equal(readFileSync(path, "utf8"), other);
  });
});
