/**
 * @module config
 * Platform configuration: defaults, then environment, then command-line flags. Validated once,
 * before anything listens.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ISOLATION_MODES, type IsolationSetting } from "./deploy/isolation/mode.js";
import type { RunWebhookOptions } from "./governance/run-webhooks.js";

export interface PlatformConfig {
  /** @default "127.0.0.1" (RUNAGENTS_HOST, --host) */
  host: string;
  /** @default 8092 (RUNAGENTS_PORT or PORT, --port); 0 picks a free port */
  port: number;
  /** @default "~/.runagents/platform" (RUNAGENTS_DATA_DIR, --data-dir) */
  dataDir: string;
  /** Largest accepted request body in bytes. @default 8 MiB (RUNAGENTS_MAX_BODY_BYTES) */
  maxBodyBytes: number;
  /** Seed the starter kit at start-up. @default true for `npm start` (--no-seed to skip) */
  seedStarterKit: boolean;
  /**
   * Create (and hand out) the first admin API key when the store has none. @default true
   * (--no-bootstrap-key: never; a fleet's operator makes keys with --create-api-key)
   */
  bootstrapKey?: boolean | undefined;
  /**
   * A `postgres://` URL: the store lives in PostgreSQL (docs/scaling.md); unset keeps the SQLite
   * file in dataDir. (RUNAGENTS_DATABASE_URL, --database-url)
   */
  databaseUrl?: string | undefined;
  /** AES-256 key material for secrets at rest (RUNAGENTS_SECRET_KEY); else a key file in dataDir */
  secretKey: string | undefined;
  /** OpenAI key the starter kit's playground-llm uses when set (OPENAI_API_KEY) */
  openaiApiKey: string | undefined;
  logLevel: "debug" | "info" | "warn" | "error";
  /**
   * The `runagents` package agents run on and import (a directory with its package.json and
   * dist/). @default the installed `runagents` package (RUNAGENTS_PACKAGE_DIR)
   */
  runagentsDir?: string | undefined;
  /**
   * How agent processes are isolated: `auto` (bubblewrap sandbox where available, else Node's
   * permission model), `sandbox`, `node-permission` or `none`. @default "auto"
   * (RUNAGENTS_AGENT_ISOLATION, --agent-isolation)
   */
  agentIsolation: IsolationSetting;
  /** The agent runtime's entry file. @default the package's `runagents-runtime` bin (RUNAGENTS_RUNTIME_ENTRY) */
  runtimeEntry?: string | undefined;
  /**
   * Least time between two fetches of one identity provider's JWKS (a token with an unknown `kid`
   * triggers a refetch at most this often). @default 30 000
   */
  jwksRefreshCooldownMs?: number | undefined;
  /** Serve `GET /metrics` without an API key (RUNAGENTS_METRICS_PUBLIC=1). @default false */
  metricsPublic?: boolean | undefined;
  /**
   * Connections this process opens to PostgreSQL (N replicas hold N times this, plus one
   * listener each). 1–1000. @default 10 (RUNAGENTS_DATABASE_POOL_SIZE)
   */
  databasePoolSize?: number | undefined;
  /**
   * How long a graceful shutdown may take before requests still in flight are cut, in ms.
   * @default 20 000 (RUNAGENTS_DRAIN_TIMEOUT, in seconds)
   */
  drainTimeoutMs?: number | undefined;
  /** Run webhook retries (tests shorten the backoff). */
  runWebhooks?: RunWebhookOptions | undefined;
  /**
   * Where the other replicas of a fleet reach this one (docs/scaling.md): an http(s) origin
   * without path, query or credentials. @default http://127.0.0.1:<port>
   * (RUNAGENTS_ADVERTISE_URL, --advertise-url)
   */
  advertiseUrl?: string | undefined;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A flag the platform does not know, or a flag without its value: exit status 2. */
export class UsageError extends ConfigError {
  override name = "UsageError";
}

export const PLATFORM_USAGE = `Usage: runagents-platform [options]      (from a clone: npm start -- [options])

Runs the RunAgents control plane (API, governance, egress, LLM gateway, agents) until
Ctrl-C or SIGTERM.

Options, each also an environment variable (the flag wins):
  --host <address>          RUNAGENTS_HOST             listen address (default 127.0.0.1)
  --port <port>             RUNAGENTS_PORT or PORT     default 8092; 0 picks a free port
  --data-dir <dir>          RUNAGENTS_DATA_DIR         store, secret key and lock file
                                                       (default ~/.runagents/platform)
  --log-level <level>       RUNAGENTS_LOG_LEVEL        debug, info, warn, error (default info)
  --agent-isolation <mode>  RUNAGENTS_AGENT_ISOLATION  auto, sandbox, node-permission, none
  --database-url <url>      RUNAGENTS_DATABASE_URL     postgres:// store URL (default: SQLite file)
  --advertise-url <url>     RUNAGENTS_ADVERTISE_URL    where other replicas reach this one (fleet)
  --no-seed                                            do not seed the starter kit
  --no-bootstrap-key                                   never create or print a first admin key
  --create-api-key <name>                              create an admin API key, print it, exit
  -h, --help | -v, --version                           show this help | print the version

Environment only:
  RUNAGENTS_SECRET_KEY      key for secrets at rest (default: a key file in the data dir)
  RUNAGENTS_MAX_BODY_BYTES  largest request body in bytes (default 8388608)
  OPENAI_API_KEY            the starter kit's playground-llm uses OpenAI (default: offline model)
  RUNAGENTS_CONFIG_DIR      where the admin key and endpoint are saved (default ~/.runagents)
  RUNAGENTS_PACKAGE_DIR     the runagents package agents run on (default: the installed one)
  RUNAGENTS_RUNTIME_ENTRY   the agent runtime's entry file (default: its runagents-runtime bin)
  RUNAGENTS_METRICS_PUBLIC  1: GET /metrics answers without an API key
  RUNAGENTS_DATABASE_POOL_SIZE  PostgreSQL connections per process, 1-1000 (default 10)
  RUNAGENTS_DRAIN_TIMEOUT   seconds SIGTERM drains for (default 20); a 2nd signal exits at once
  OTEL_EXPORTER_OTLP_ENDPOINT  send traces to this OTLP/HTTP collector (default: tracing off)
`;

/** The `@runagents/platform` package version. */
export function platformVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: string;
  };
  return pkg.version ?? "0.0.0";
}

const LEVELS = ["debug", "info", "warn", "error"] as const;

export function loadPlatformConfig(
  argv: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): PlatformConfig {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    // Node's messages go on with advice about positionals; the first sentence is the point.
    const first = (err as Error).message.split(". ")[0] ?? "";
    throw new UsageError(`${first.charAt(0).toLowerCase()}${first.slice(1)} (see --help)`);
  }
  const host = flags.host ?? env.RUNAGENTS_HOST ?? "127.0.0.1";
  const portText = flags.port ?? env.RUNAGENTS_PORT ?? env.PORT ?? "8092";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new ConfigError(`invalid port "${portText}": expected a whole number from 0 to 65535`);
  }
  const maxText = env.RUNAGENTS_MAX_BODY_BYTES ?? String(8 * 1024 * 1024);
  const maxBodyBytes = Number(maxText);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024) {
    throw new ConfigError(`invalid RUNAGENTS_MAX_BODY_BYTES "${maxText}": expected an integer >= 1024`);
  }
  const level = (flags["log-level"] ?? env.RUNAGENTS_LOG_LEVEL ?? "info").toLowerCase();
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(`invalid log level "${level}"; valid values: ${LEVELS.join(", ")}`);
  }
  const isolation = (flags["agent-isolation"] ?? env.RUNAGENTS_AGENT_ISOLATION ?? "auto").toLowerCase();
  if (isolation !== "auto" && !(ISOLATION_MODES as readonly string[]).includes(isolation)) {
    throw new ConfigError(
      `invalid agent isolation "${isolation}"; valid values: auto, ${ISOLATION_MODES.join(", ")}`,
    );
  }
  const databaseUrl = flags["database-url"] ?? env.RUNAGENTS_DATABASE_URL ?? "";
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("invalid database URL: expected postgres://user@host:port/database");
  }
  const advertiseUrl = flags["advertise-url"] ?? env.RUNAGENTS_ADVERTISE_URL ?? "";
  if (advertiseUrl) checkAdvertiseUrl(advertiseUrl);
  const poolText = env.RUNAGENTS_DATABASE_POOL_SIZE || "10";
  const databasePoolSize = Number(poolText);
  if (!/^\d+$/.test(poolText) || databasePoolSize < 1 || databasePoolSize > 1000) {
    throw new ConfigError(
      `invalid RUNAGENTS_DATABASE_POOL_SIZE "${poolText}": expected a whole number from 1 to 1000`,
    );
  }
  const drainText = env.RUNAGENTS_DRAIN_TIMEOUT || "20";
  const drainSeconds = Number(drainText);
  if (!/^\d+(\.\d+)?$/.test(drainText) || drainSeconds > 3600) {
    throw new ConfigError(
      `invalid RUNAGENTS_DRAIN_TIMEOUT "${drainText}": expected seconds, a number from 0 to 3600`,
    );
  }
  return {
    host,
    port,
    databasePoolSize,
    drainTimeoutMs: Math.round(drainSeconds * 1000),
    ...(advertiseUrl ? { advertiseUrl: advertiseUrl.replace(/\/+$/, "") } : {}),
    agentIsolation: isolation as IsolationSetting,
    dataDir: flags["data-dir"] ?? env.RUNAGENTS_DATA_DIR ?? join(homedir(), ".runagents", "platform"),
    maxBodyBytes,
    seedStarterKit: !flags["no-seed"],
    bootstrapKey: !flags["no-bootstrap-key"],
    databaseUrl: databaseUrl || undefined,
    secretKey: env.RUNAGENTS_SECRET_KEY || undefined,
    openaiApiKey: env.OPENAI_API_KEY || undefined,
    logLevel: level as PlatformConfig["logLevel"],
    runagentsDir: env.RUNAGENTS_PACKAGE_DIR || undefined,
    runtimeEntry: env.RUNAGENTS_RUNTIME_ENTRY || undefined,
    metricsPublic: ["1", "true", "yes"].includes((env.RUNAGENTS_METRICS_PUBLIC ?? "").toLowerCase()),
  };
}

/** An http(s) origin (a trailing slash is allowed): what other replicas can send requests to. */
function checkAdvertiseUrl(text: string): void {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const bad =
    !url ||
    !["http:", "https:"].includes(url.protocol) ||
    url.username !== "" ||
    url.password !== "" ||
    url.search !== "" ||
    url.hash !== "" ||
    url.pathname !== "/";
  if (bad) {
    throw new ConfigError(
      `invalid advertise URL "${text}": expected http(s)://host[:port] with no path, query or credentials`,
    );
  }
}

function parseFlags(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "data-dir": { type: "string" },
      "log-level": { type: "string" },
      "no-seed": { type: "boolean" },
      "no-bootstrap-key": { type: "boolean" },
      "agent-isolation": { type: "string" },
      "database-url": { type: "string" },
      "advertise-url": { type: "string" },
    },
  }).values;
}
