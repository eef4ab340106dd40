import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startTestPlatform } from "../helpers/platform.js";

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe("security: the platform's database files", () => {
  it("platform.db and its -wal and -shm files are readable by the platform's user only", async () => {
    const platform = await startTestPlatform();
    try {
      const res = await platform.call("POST", "/tools", { name: "t", base_url: "https://t.example" });
      assert.equal(res.status, 201, res.text);
      const db = join(platform.dataDir, "platform.db");
      for (const path of [db, `${db}-wal`, `${db}-shm`]) assert.equal(mode(path), "600", path);
    } finally {
      await platform.destroy();
    }
  });

  it("database files an older version left 0644 are tightened on start", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "runagents-modes-"));
    const db = join(dataDir, "platform.db");
    const first = await startTestPlatform({ dataDir });
    await first.close();
    for (const path of [db, `${db}-wal`, `${db}-shm`]) {
      writeFileSync(path, "", { flag: "a" });
      chmodSync(path, 0o644);
    }
    const second = await startTestPlatform({ dataDir });
    try {
      for (const path of [db, `${db}-wal`, `${db}-shm`]) assert.equal(mode(path), "600", path);
    } finally {
      await second.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
