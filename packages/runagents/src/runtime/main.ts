#!/usr/bin/env node
/**
 * @module
 * `runagents-runtime`: the agent container's entry point. Reads the environment contract, points
 * OpenAI/Anthropic-style SDKs at the gateway, loads `USER_ENTRY_POINT`, and serves until SIGTERM or
 * SIGINT. A bad variable is one line on stderr and exit code 1.
 */

import { exitQuietlyOnBrokenPipe } from "../internal/broken-pipe.js";
import { injectPlatformEnv, loadRuntimeConfig, RuntimeConfigError } from "./env.js";
import { createLogger, flushLogs } from "./log.js";
import { startPlatformRelay } from "./platform-relay.js";
import { serve } from "./server.js";

async function main(): Promise<void> {
  // The contract as given: the gateway URL stays un-normalised for /readyz and checkpoints.
  const env = { ...process.env };
  // The runtime's secret and sockets are the runtime's, not user code's.
  for (const name of ["RUNAGENTS_RUNTIME_SECRET", "RUNAGENTS_RUNTIME_SOCKET", "RUNAGENTS_PLATFORM_SOCKET"]) {
    delete process.env[name];
  }
  let agentName: string;
  let relay: ReturnType<typeof loadRuntimeConfig>["platformRelay"];
  try {
    ({ agentName, platformRelay: relay } = loadRuntimeConfig(env));
  } catch (error) {
    if (!(error instanceof RuntimeConfigError)) throw error;
    process.stderr.write(`runagents-runtime: ${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(agentName);
  if (relay) await startPlatformRelay(relay);
  const injected = injectPlatformEnv(process.env);
  if (injected.length > 0) logger.info("platform_env_injected", { vars: injected });
  const runtime = await serve({ env, logger });
  // Whoever waits for `runtime_starting` sees it now, not a batch interval later.
  flushLogs();
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting_down", { signal });
    runtime.close().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

exitQuietlyOnBrokenPipe();
main().catch((error: unknown) => {
  process.stderr.write(`runagents-runtime: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
