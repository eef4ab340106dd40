/**
 * @module platform
 * The composition root: open the store, wire services and routes, listen, shut down cleanly
 * (the ordered drain of `drain.ts`).
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { tagAgentChannel } from "./api/agent-channel.js";
import { issueApiKey } from "./api/auth.js";
import type { RouteDef, Services } from "./api/context.js";
import { EventStreams } from "./api/event-streams.js";
import { Router } from "./api/router.js";
import { registerApiRoutes, registerRootRoutes } from "./api/routes/index.js";
import { createRequestListener } from "./api/server.js";
import { ConfigError, type PlatformConfig } from "./config.js";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.js";
import { chooseIsolation, type Isolation, isolationWarning } from "./deploy/isolation/mode.js";
import { localProcessBackend } from "./deploy/supervisor/index.js";
import { DEFAULT_DRAIN_TIMEOUT_MS, Drain, type DrainStep } from "./drain.js";
import { ApprovalEvents } from "./governance/approvals.js";
import { reconcileRuns } from "./governance/reconcile.js";
import { ReplicaLiveness } from "./governance/replica-liveness.js";
import { RunWebhooks } from "./governance/run-webhooks.js";
import { createEndUsers } from "./ingress/end-users.js";
import { createLogger, type Logger } from "./log.js";
import { PlatformMetrics } from "./observability/metrics.js";
import { observeStore } from "./observability/observed-store.js";
import { startTracing } from "./observability/tracing.js";
import { createSecretBox, loadSecretKey } from "./store/crypto.js";
import { openPostgresStore } from "./store/postgres.js";
import { openSqliteStore } from "./store/sqlite.js";
import type { Store } from "./store/store.js";
import { startBackground } from "./workers.js";

export interface RunningPlatform {
  /** Root URL, e.g. http://127.0.0.1:8092 */
  url: string;
  port: number;
  store: Store;
  services: Services;
  /**
   * The admin API key this start created because the store had none (shown once: the
   * platform keeps only its hash); undefined when keys already existed.
   */
  bootstrapKey?: string;
  /**
   * Adds a step to the graceful shutdown (`drain.ts`), e.g. `hand-over` for agent placement;
   * returns its removal.
   */
  addDrainStep(step: DrainStep): () => void;
  /** Drains (`drain.ts`): ordered steps within `config.drainTimeoutMs`; once. */
  close(): Promise<void>;
}

/** The admin key a platform creates for itself when it starts with none. */
export const BOOTSTRAP_KEY_NAME = "local-admin";

export function openStore(config: PlatformConfig): Store {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const box = createSecretBox(loadSecretKey(config.dataDir, config.secretKey));
  if (config.databaseUrl) {
    return openPostgresStore(config.databaseUrl, box, {
      ...(config.databasePoolSize ? { poolSize: config.databasePoolSize } : {}),
    });
  }
  return openSqliteStore(join(config.dataDir, "platform.db"), box);
}

/**
 * Starts the platform. Unless the caller passes its own store, the start takes the data
 * directory's lock first (`data-dir-lock.ts`): a second platform on one data dir is refused with
 * a `DataDirLockedError` naming the first.
 */
export async function startPlatform(
  config: PlatformConfig,
  options: { logger?: Logger; store?: Store } = {},
): Promise<RunningPlatform> {
  const lock = options.store ? undefined : lockDataDir(config.dataDir);
  try {
    return await startLocked(config, options, lock);
  } catch (err) {
    lock?.release();
    throw err;
  }
}

async function startLocked(
  config: PlatformConfig,
  options: { logger?: Logger; store?: Store },
  lock: DataDirLock | undefined,
): Promise<RunningPlatform> {
  const log = options.logger ?? createLogger({ level: config.logLevel });
  const tracing = await startTracing();
  const store = options.store ?? openStore(config);
  const metrics = new PlatformMetrics({
    store,
    storeFiles: options.store ? [] : ["platform.db", "platform.db-wal"].map((f) => join(config.dataDir, f)),
  });
  const bootstrapKey =
    (await store.countApiKeys()) === 0
      ? (await issueApiKey(store, "default", BOOTSTRAP_KEY_NAME)).token
      : undefined;

  let baseUrl = "";
  const bootId = randomUUID();
  const stopping = new AbortController();
  const api = new Router<RouteDef>();
  const root = new Router<RouteDef>();
  const services: Services = {
    store,
    config,
    log,
    baseUrl: () => baseUrl,
    bootId,
    api,
    approvals: new ApprovalEvents(),
    endUsers: createEndUsers(store, { cooldownMs: config.jwksRefreshCooldownMs }),
    metrics,
    ...(tracing ? { tracing } : {}),
    webhooks: new RunWebhooks(
      {
        store,
        log,
        baseUrl: () => baseUrl,
        onAttempt: (outcome) => metrics.observeWebhook(outcome),
        owner: bootId,
      },
      config.runWebhooks,
    ),
    closing: stopping.signal,
    eventStreams: new EventStreams(store),
    drain: new Drain(),
  };
  let serverClosedResolve = () => {};
  const serverClosed = new Promise<void>((resolve) => {
    serverClosedResolve = resolve;
  });
  observeStore(store, {
    event(ws, event, seconds) {
      metrics.observeEventAppend(seconds);
      metrics.observeEvent(ws, event);
    },
    status(run) {
      metrics.observeRunStatus(run.status);
      services.webhooks.statusChanged(run);
    },
  });
  let isolation: Isolation;
  try {
    isolation = chooseIsolation(config.agentIsolation);
  } catch (err) {
    await store.close();
    throw new ConfigError((err as Error).message);
  }
  const warning = isolationWarning(isolation);
  if (warning) log.warn(warning, { isolation: isolation.mode });
  registerApiRoutes(api);
  registerRootRoutes(root);
  // Before listening: whatever is in flight now was left behind by a previous process.
  // On a shared database: this process's liveness lease, and the runs of processes that are gone.
  const liveness = config.databaseUrl ? new ReplicaLiveness({ store, log, bootId }) : undefined;
  await liveness?.start();
  await reconcileRuns(store, bootId, log, {
    soleProcess: liveness === undefined,
    ...(liveness ? { gone: liveness.gone } : {}),
  });

  const server = createServer({ keepAliveTimeout: 65_000 }, createRequestListener(services, { api, root }));
  services.agents = localProcessBackend({
    ...services,
    isolation,
    acceptAgentConnection: (socket, token) => {
      tagAgentChannel(socket, token);
      server.emit("connection", socket);
    },
  });
  const inFlight = new Set<ServerResponse>();
  server.on("request", (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.once("close", () => inFlight.delete(res));
  });
  await listen(server, config.host, config.port);
  const port = (server.address() as AddressInfo).port;
  const displayHost = config.host.includes(":") ? `[${config.host}]` : config.host;
  baseUrl = `http://${displayHost === "0.0.0.0" ? "127.0.0.1" : displayHost}:${port}`;
  lock?.setEndpoint(baseUrl);
  const background = startBackground(services);
  services.webhooks.start();
  await services.agents.restoreAll();

  if (bootstrapKey) log.info("created the first admin API key", { name: BOOTSTRAP_KEY_NAME });

  const drain = services.drain as Drain;
  drain.add({
    phase: "stop-accepting",
    name: "close the listener; end live feeds",
    run() {
      stopping.abort();
      // Open live feeds never end by themselves: end them so the server can close.
      services.eventStreams.close();
      server.close(() => serverClosedResolve());
      server.closeIdleConnections();
      // Keep-alive connections whose last request is still in flight become idle when it ends;
      // close them then rather than after the keep-alive timeout.
      server.on("request", (_req, res: ServerResponse) => res.setHeader("Connection", "close"));
      for (const res of inFlight) res.once("finish", () => setImmediate(() => server.closeIdleConnections()));
    },
  });
  drain.add({
    phase: "finish-requests",
    name: "answer requests in flight",
    async run(deadline) {
      const cut = setTimeout(
        () => {
          if (inFlight.size > 0)
            log.warn("drain timeout: cutting requests in flight", { requests: inFlight.size });
          server.closeAllConnections();
        },
        Math.max(0, deadline - Date.now()),
      );
      try {
        await serverClosed;
      } finally {
        clearTimeout(cut);
      }
    },
  });
  drain.add({
    phase: "stop-workers",
    name: "stop the background workers",
    async run() {
      await background.stop();
      await services.webhooks.stop();
    },
  });
  drain.add({
    phase: "release-claims",
    name: "release this process's claims and liveness lease",
    async run() {
      await liveness?.stop();
      await store.releaseClaims(services.bootId);
    },
  });
  drain.add({
    phase: "stop-agents",
    name: "flush traces; stop agents",
    async run() {
      await tracing?.flush();
      await services.agents?.stopAll();
    },
  });
  drain.add({
    phase: "close-store",
    name: "close the store",
    async run() {
      try {
        await store.close();
      } finally {
        lock?.release();
      }
    },
  });

  return {
    url: baseUrl,
    port,
    store,
    services,
    ...(bootstrapKey ? { bootstrapKey } : {}),
    addDrainStep: (step) => drain.add(step),
    close: () => drain.run(log, config.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
