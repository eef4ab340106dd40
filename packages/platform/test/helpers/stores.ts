/**
 * Test helper: the store backends the store contract runs on — SQLite (a file in a temporary
 * directory) and PostgreSQL (a fresh schema per fixture, `t_<random>`, selected through the
 * URL's search_path and dropped afterwards).
 *
 * PostgreSQL is found at RUNAGENTS_TEST_DATABASE_URL (default: the local server with trust
 * authentication). When it does not answer, its variants are skipped with the reason — unless
 * RUNAGENTS_REQUIRE_POSTGRES=1 (CI), where they fail with it.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { createSecretBox } from "../../src/store/crypto.js";
import { openPostgresStore } from "../../src/store/postgres.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import type { Store } from "../../src/store/store.js";

export const TEST_DATABASE_URL =
  process.env.RUNAGENTS_TEST_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";

export type BackendName = "sqlite" | "postgres";

export interface StoreFixture {
  backend: BackendName;
  /** Another store on the same data (another process, as far as the first one can tell). */
  open(key?: Buffer): Store;
  /** The SQL the stores share, run on a connection of its own; `$1`… placeholders. */
  sql(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Resolves once `store` has noticed every write committed elsewhere before the call. */
  settle(store: Store): Promise<void>;
  /** For PostgreSQL: the URL of this fixture's schema. */
  url: string;
  dispose(): Promise<void>;
}

export interface StoreBackend {
  name: BackendName;
  /** A reason to skip this backend's tests, or undefined to run them. */
  skip: string | undefined;
  fixture(): Promise<StoreFixture>;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

let postgresProblem: Promise<string | undefined> | undefined;

/** Why PostgreSQL cannot be used (undefined: it answers). */
function checkPostgres(): Promise<string | undefined> {
  postgresProblem ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("SELECT 1");
      return undefined;
    } catch (error) {
      return `PostgreSQL not reachable at ${TEST_DATABASE_URL} (${(error as Error).message}); set RUNAGENTS_TEST_DATABASE_URL`;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return postgresProblem;
}

/** The URL of `base` with `schema` first on its search_path. */
export function schemaUrl(base: string, schema: string): string {
  const url = new URL(base);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

/** A fresh, empty PostgreSQL schema; `drop` removes it with everything in it. */
export async function freshSchema(): Promise<{ schema: string; url: string; drop(): Promise<void> }> {
  const problem = await checkPostgres();
  if (problem) throw new Error(problem);
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await admin.end();
  }
  return {
    schema,
    url: schemaUrl(TEST_DATABASE_URL, schema),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

function sqliteBackend(): StoreBackend {
  return {
    name: "sqlite",
    skip: undefined,
    async fixture() {
      const dir = mkdtempSync(join(tmpdir(), "runagents-store-"));
      const file = join(dir, "platform.db");
      const defaultKey = randomBytes(32);
      const stores: Store[] = [];
      let raw: Database.Database | undefined;
      return {
        backend: "sqlite",
        url: "",
        open(key = defaultKey) {
          const store = openSqliteStore(file, createSecretBox(key));
          stores.push(store);
          return store;
        },
        async sql(text, params = []) {
          raw ??= new Database(file);
          raw.pragma("busy_timeout = 5000");
          const statement = raw.prepare(text.replace(/\$\d+/g, "?"));
          if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
          statement.run(...params);
          return [];
        },
        settle: () => nextTurn(),
        async dispose() {
          raw?.close();
          for (const store of stores) await store.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

function postgresBackend(problem: string | undefined): StoreBackend {
  const required = process.env.RUNAGENTS_REQUIRE_POSTGRES === "1";
  return {
    name: "postgres",
    skip: problem && !required ? problem : undefined,
    async fixture() {
      const { url, drop } = await freshSchema();
      const defaultKey = randomBytes(32);
      const stores: ReturnType<typeof openPostgresStore>[] = [];
      let raw: pg.Client | undefined;
      return {
        backend: "postgres",
        url,
        open(key = defaultKey) {
          const store = openPostgresStore(url, createSecretBox(key), { poolSize: 4 });
          stores.push(store);
          return store;
        },
        async sql(text, params = []) {
          if (!raw) {
            raw = new pg.Client({ connectionString: url });
            await raw.connect();
          }
          return (await raw.query(text, params)).rows;
        },
        async settle(store) {
          const own = stores.find((s) => s === store);
          if (own) await own.synced();
          await nextTurn();
        },
        async dispose() {
          await raw?.end();
          for (const store of stores) await store.close();
          await drop();
        },
      };
    },
  };
}

/** Both backends; PostgreSQL's says why it is skipped when the server does not answer. */
export async function storeBackends(): Promise<StoreBackend[]> {
  return [sqliteBackend(), postgresBackend(await checkPostgres())];
}
