/**
 * Starts an in-process runtime wired to a {@link FakePlatform}, quiet and on a free loopback port.
 */

import type { Callable } from "../../src/runtime/handler-params.js";
import { type Logger, type RuntimeServer, serve, silentLogger } from "../../src/runtime/index.js";
import type { FakePlatform } from "./fake-platform.js";

export interface StartOptions {
  env?: Record<string, string>;
  handler?: Callable;
  logger?: Logger;
}

export function startRuntime(fake: FakePlatform, options: StartOptions = {}): Promise<RuntimeServer> {
  return serve({
    env: {
      LLM_GATEWAY_URL: fake.gatewayUrl,
      GOVERNANCE_URL: fake.governanceUrl,
      LLM_MODEL: "agent-model",
      AGENT_NAME: "test-agent",
      ...options.env,
    },
    port: 0,
    host: "127.0.0.1",
    logger: options.logger ?? silentLogger,
    handler: options.handler,
  });
}
