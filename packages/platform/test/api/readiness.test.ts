/**
 * `GET /readyz`: 200 while the store answers, 503 `{"status": "unavailable", ...}` while it does
 * not — with `/healthz` still 200, so Kubernetes stops routing to the replica without restarting
 * it. The outages are real: a PostgreSQL database that stops accepting connections (its backends
 * terminated), and a network path to PostgreSQL that goes silent (a loopback relay that stops
 * answering), where the read hangs and the 2 s limit answers.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect, createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { storeBackends, TEST_DATABASE_URL } from "../helpers/stores.js";

const postgres = (await storeBackends()).find((b) => b.name === "postgres");

interface Probe {
  status: number;
  body: Record<string, unknown>;
  text: string;
  cacheControl: string | null;
}

async function probe(platform: TestPlatform, path: string): Promise<Probe> {
  const res = await fetch(`${platform.url}${path}`);
  const text = await res.text();
  return {
    status: res.status,
    body: JSON.parse(text) as Record<string, unknown>,
    text,
    cacheControl: res.headers.get("cache-control"),
  };
}

/** Polls /readyz until it answers `status` (the pool reconnects on the next read). */
async function readyzBecomes(platform: TestPlatform, status: number): Promise<Probe> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await probe(platform, "/readyz");
    if (answer.status === status || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe("GET /readyz on SQLite", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("answers 200 without an API key, never cached", async () => {
    const answer = await probe(platform, "/readyz");
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { status: "ok", service: "runagents-platform" });
    assert.equal(answer.cacheControl, "no-store");
  });

  it("/healthz and /readyz need no key, while the API does", async () => {
    assert.equal((await probe(platform, "/healthz")).status, 200);
    assert.equal((await fetch(`${platform.api}/agents`)).status, 401);
  });
});

describe("GET /readyz when PostgreSQL stops accepting connections", { skip: postgres?.skip }, () => {
  const database = `runagents_readyz_${randomBytes(5).toString("hex")}`;
  let platform: TestPlatform;

  before(async () => {
    await admin((c) => c.query(`CREATE DATABASE ${database}`));
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${database}`;
    platform = await startTestPlatform({ config: { databaseUrl: url.toString() } });
  });
  after(async () => {
    await admin((c) => c.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`));
    await platform?.destroy();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  });

  it("is ready while the database answers", async () => {
    assert.equal((await probe(platform, "/readyz")).status, 200);
  });

  it("answers 503 while the database refuses, /healthz stays 200, and the body names no database", async () => {
    await admin(async (c) => {
      await c.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
      await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", [database]);
    });
    const answer = await probe(platform, "/readyz");
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.body, {
      status: "unavailable",
      service: "runagents-platform",
      reason: "the store is unreachable",
    });
    assert.equal(answer.cacheControl, "no-store");
    assert.ok(!answer.text.includes(database));
    const health = await probe(platform, "/healthz");
    assert.equal(health.status, 200, "alive: Kubernetes must not restart it for its database");
    assert.ok(platform.logs.some((l) => l.includes("not ready: the store failed a read")));
  });

  it("is ready again once the database accepts connections", async () => {
    await admin((c) => c.query(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`));
    assert.equal((await readyzBecomes(platform, 200)).status, 200);
  });
});

/**
 * A loopback relay to PostgreSQL that can go silent: existing connections are cut and new ones
 * are accepted but never answered, as behind a network partition.
 */
class Relay {
  readonly server: Server;
  private silent = false;
  private readonly sockets = new Set<Socket>();

  constructor(target: { host: string; port: number }) {
    this.server = createServer((client) => {
      this.track(client);
      if (this.silent) return;
      const upstream = connect(target.port, target.host);
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", end).on("close", end);
      upstream.on("error", end).on("close", end);
    });
  }

  private track(socket: Socket) {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return (this.server.address() as { port: number }).port;
  }

  /** Silent (true) or relaying again (false); either way, every open connection is cut. */
  setSilent(silent: boolean) {
    this.silent = silent;
    for (const socket of this.sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.setSilent(true);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe("GET /readyz when the network path to PostgreSQL goes silent", { skip: postgres?.skip }, () => {
  const database = `runagents_readyz_${randomBytes(5).toString("hex")}`;
  const password = `pw-${randomBytes(8).toString("hex")}`;
  let relay: Relay;
  let platform: TestPlatform;
  let port = 0;

  before(async () => {
    await admin((c) => c.query(`CREATE DATABASE ${database}`));
    const target = new URL(TEST_DATABASE_URL);
    relay = new Relay({ host: target.hostname, port: Number(target.port || 5432) });
    port = await relay.listen();
    // A password in the URL (trust authentication ignores it): it must never be shown.
    const url = new URL(TEST_DATABASE_URL);
    url.password = password;
    url.port = String(port);
    url.pathname = `/${database}`;
    platform = await startTestPlatform({ config: { databaseUrl: url.toString() } });
  });
  after(async () => {
    relay?.setSilent(false);
    await platform?.destroy();
    await relay?.close();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  });

  it("answers 503 once the read has waited 2 s, while /healthz stays 200", async () => {
    assert.equal((await probe(platform, "/readyz")).status, 200);
    relay.setSilent(true);
    const answer = await probe(platform, "/readyz");
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.body, {
      status: "unavailable",
      service: "runagents-platform",
      reason: answer.body.reason,
    });
    assert.match(String(answer.body.reason), /^the store (did not answer within 2 s|is unreachable)$/);
    assert.equal((await probe(platform, "/healthz")).status, 200);
  });

  it("a read that hangs is cut at 2 s", async () => {
    // The pool's connections were cut above; this read waits on a connection that never answers.
    const answer = await probe(platform, "/readyz");
    assert.equal(answer.status, 503);
    assert.equal(answer.body.reason, "the store did not answer within 2 s");
  });

  it("a flood of probes while the store hangs makes at most one read and no new log line", async () => {
    const store = platform.store;
    const original = store.lastFeedPosition;
    let reads = 0;
    store.lastFeedPosition = () => {
      reads++;
      return original.call(store);
    };
    try {
      const notReady = () => platform.logs.filter((l) => l.includes("not ready")).length;
      const logged = notReady();
      const answers = await Promise.all(Array.from({ length: 50 }, () => probe(platform, "/readyz")));
      assert.ok(answers.every((a) => a.status === 503));
      assert.ok(reads <= 1, `${reads} store reads for 50 probes`);
      assert.equal(notReady(), logged, "logged once, when it became unready");
    } finally {
      store.lastFeedPosition = original;
    }
  });

  it("neither the answer nor the log shows the database URL, its password, host or port", async () => {
    const answer = await probe(platform, "/readyz");
    for (const secret of [password, database, `:${port}`, "postgres://"]) {
      assert.ok(!answer.text.includes(secret), `the body shows ${secret}`);
    }
    const log = platform.logs.join("\n");
    assert.ok(!log.includes(password), "the log shows the database password");
    assert.ok(!log.includes("postgres://"), "the log shows the database URL");
  });

  it("is ready again once the path answers, and says so in the log", async () => {
    relay.setSilent(false);
    assert.equal((await readyzBecomes(platform, 200)).status, 200);
    assert.ok(platform.logs.some((l) => l.includes("ready again: the store answers")));
  });
});
