/** Which store a platform opens: `--database-url` / RUNAGENTS_DATABASE_URL, else the SQLite file. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import pg from "pg";
import { ConfigError, loadPlatformConfig } from "../../src/config.js";
import { openStore } from "../../src/platform.js";
import { freshSchema, storeBackends } from "../helpers/stores.js";

const postgres = (await storeBackends()).find((b) => b.name === "postgres");

describe("choosing the store", () => {
  it("reads the database URL from the flag, else the environment, and keeps SQLite without one", () => {
    const env = { RUNAGENTS_DATABASE_URL: "postgres://env@db/runagents" };
    assert.equal(loadPlatformConfig([], env).databaseUrl, "postgres://env@db/runagents");
    assert.equal(
      loadPlatformConfig(["--database-url", "postgresql://flag@db/x"], env).databaseUrl,
      "postgresql://flag@db/x",
    );
    assert.equal(loadPlatformConfig([], {}).databaseUrl, undefined);
    assert.equal(loadPlatformConfig([], { RUNAGENTS_DATABASE_URL: "" }).databaseUrl, undefined);
  });

  it("refuses a database URL that is not postgres://", () => {
    assert.throws(() => loadPlatformConfig(["--database-url", "mysql://db/x"], {}), {
      name: ConfigError.name,
      message: "invalid database URL: expected postgres://user@host:port/database",
    });
  });

  it("sizes the PostgreSQL pool from RUNAGENTS_DATABASE_POOL_SIZE (1-1000, default 10), refusing anything else", () => {
    assert.equal(loadPlatformConfig([], {}).databasePoolSize, 10);
    assert.equal(loadPlatformConfig([], { RUNAGENTS_DATABASE_POOL_SIZE: "1" }).databasePoolSize, 1);
    assert.equal(loadPlatformConfig([], { RUNAGENTS_DATABASE_POOL_SIZE: "1000" }).databasePoolSize, 1000);
    for (const bad of ["0", "1001", "-3", "ten", "2.5", " 5"]) {
      assert.throws(() => loadPlatformConfig([], { RUNAGENTS_DATABASE_POOL_SIZE: bad }), {
        name: ConfigError.name,
        message: `invalid RUNAGENTS_DATABASE_POOL_SIZE "${bad}": expected a whole number from 1 to 1000`,
      });
    }
  });

  it("reads the drain timeout in seconds from RUNAGENTS_DRAIN_TIMEOUT (default 20), refusing anything else", () => {
    assert.equal(loadPlatformConfig([], {}).drainTimeoutMs, 20_000);
    assert.equal(loadPlatformConfig([], { RUNAGENTS_DRAIN_TIMEOUT: "0.5" }).drainTimeoutMs, 500);
    for (const bad of ["-1", "soon", "3601", "1e3"]) {
      assert.throws(() => loadPlatformConfig([], { RUNAGENTS_DRAIN_TIMEOUT: bad }), {
        name: ConfigError.name,
        message: `invalid RUNAGENTS_DRAIN_TIMEOUT "${bad}": expected seconds, a number from 0 to 3600`,
      });
    }
  });

  it("opens PostgreSQL for a database URL: its schema is migrated and no SQLite file is made", {
    skip: postgres?.skip,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "runagents-select-"));
    const schema = await freshSchema();
    try {
      const store = openStore({ ...loadPlatformConfig([], {}), dataDir, databaseUrl: schema.url });
      assert.equal(await store.countApiKeys(), 0);
      await store.close();
      assert.equal(existsSync(join(dataDir, "platform.db")), false);
      const client = new pg.Client({ connectionString: schema.url });
      await client.connect();
      const { rows } = await client.query("SELECT count(*)::int AS n FROM schema_migrations");
      await client.end();
      assert.ok((rows[0] as { n: number }).n >= 1);
    } finally {
      await schema.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
