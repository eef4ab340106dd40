#!/usr/bin/env node
/**
 * @module
 * `runagents-runtime`: the agent container's entry point. Reads the environment contract, points
 * OpenAI/Anthropic-style SDKs at the gateway, loads `USER_ENTRY_POINT`, and serves until SIGTERM or
 * SIGINT. A bad variable is one line on stderr and exit code 1.
 */

import { injectPlatformEnv, loadRuntimeConfig, RuntimeConfigError } from "./env.js";
import { createLogger } from "./log.js";
import { serve } from "./server.js";

async function main(): Promise<void> {
  // The contract as given: the gateway URL stays un-normalised for /readyz and checkpoints.
  const env = { ...process.env };
  let agentName: string;
  try {
    agentName = loadRuntimeConfig(env).agentName;
  } catch (error) {
    if (!(error instanceof RuntimeConfigError)) throw error;
    process.stderr.write(`runagents-runtime: ${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(agentName);
  const injected = injectPlatformEnv(process.env);
  if (injected.length > 0) logger.info("platform_env_injected", { vars: injected });
  const runtime = await serve({ env, logger });
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

main().catch((error: unknown) => {
  process.stderr.write(`runagents-runtime: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
