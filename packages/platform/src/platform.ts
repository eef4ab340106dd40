/**
 * @module platform
 * The composition root: open the store, wire services and routes, listen, shut down cleanly.
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
import { ApprovalEvents } from "./governance/approvals.js";
import { reconcileRuns } from "./governance/reconcile.js";
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
  close(): Promise<void>;
}

/** The admin key a platform creates for itself when it starts with none. */
export const BOOTSTRAP_KEY_NAME = "local-admin";

export function openStore(config: PlatformConfig): Store {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const box = createSecretBox(loadSecretKey(config.dataDir, config.secretKey));
  if (config.databaseUrl) return openPostgresStore(config.databaseUrl, box);
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
  const keyless = (await store.countApiKeys()) === 0;
  const bootstrapKey =
    keyless && config.bootstrapKey !== false
      ? (await issueApiKey(store, "default", BOOTSTRAP_KEY_NAME)).token
      : undefined;

  let baseUrl = "";
  const stopping = new AbortController();
  const api = new Router<RouteDef>();
  const root = new Router<RouteDef>();
  const services: Services = {
    store,
    config,
    log,
    baseUrl: () => baseUrl,
    bootId: randomUUID(),
    api,
    approvals: new ApprovalEvents(),
    endUsers: createEndUsers(store, { cooldownMs: config.jwksRefreshCooldownMs }),
    metrics,
    ...(tracing ? { tracing } : {}),
    webhooks: new RunWebhooks(
      { store, log, baseUrl: () => baseUrl, onAttempt: (outcome) => metrics.observeWebhook(outcome) },
      config.runWebhooks,
    ),
    closing: stopping.signal,
    eventStreams: new EventStreams(store),
  };
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
  await reconcileRuns(store, services.bootId, log);

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
  await services.agents.restoreAll();

  if (bootstrapKey) log.info("created the first admin API key", { name: BOOTSTRAP_KEY_NAME });
  else if (keyless)
    log.warn("no API key exists and --no-bootstrap-key is set: every API call is refused until one is made", {
      create_with: "runagents-platform --create-api-key <name>",
    });

  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    port,
    store,
    services,
    ...(bootstrapKey ? { bootstrapKey } : {}),
    close() {
      closing ??= (async () => {
        stopping.abort();
        // Open live feeds never end by themselves: end them so the server can close.
        services.eventStreams.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          // Keep-alive connections whose last request is still in flight become idle when it
          // ends; close them then rather than after the keep-alive timeout.
          server.on("request", (_req, res: ServerResponse) => res.setHeader("Connection", "close"));
          for (const res of inFlight)
            res.once("finish", () => setImmediate(() => server.closeIdleConnections()));
        });
        try {
          await background.stop();
          await services.webhooks.stop();
          await tracing?.flush();
          await services.agents?.stopAll();
          await store.close();
        } finally {
          lock?.release();
        }
      })();
      return closing;
    },
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
