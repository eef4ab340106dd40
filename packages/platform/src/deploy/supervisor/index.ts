/**
 * @module deploy/supervisor
 * The agent supervisor's public face: the {@link AgentBackend} interface the platform talks to,
 * and the local backend (child processes, isolated) wired to a platform.
 */
import type { Logger } from "../../log.js";
import type { Store } from "../../store/store.js";
import type { AcceptAgentConnection } from "../isolation/channel.js";
import type { Isolation } from "../isolation/mode.js";
import { locateRuntime, type RuntimeLocation } from "../runtime-location.js";
import { LocalProcessBackend } from "./local-process.js";

export { LocalProcessBackend } from "./local-process.js";
export type {
  AgentBackend,
  AgentLease,
  AgentLocation,
  AgentPhase,
  AgentRef,
  AgentStatus,
} from "./types.js";

/** The local backend for a platform: its store, log, data dir, runtime and root URL. */
export function localProcessBackend(platform: {
  store: Store;
  log: Logger;
  config: { dataDir: string; runagentsDir?: string | undefined; runtimeEntry?: string | undefined };
  baseUrl: () => string;
  isolation: Isolation;
  acceptAgentConnection: AcceptAgentConnection;
  metrics?: { observeAgentRestart(): void };
  /** This replica's id, on a platform of several replicas. */
  replica?: string;
}): LocalProcessBackend {
  let runtime: RuntimeLocation | undefined;
  return new LocalProcessBackend({
    store: platform.store,
    log: platform.log,
    dataDir: platform.config.dataDir,
    baseUrl: platform.baseUrl,
    isolation: platform.isolation,
    acceptAgentConnection: platform.acceptAgentConnection,
    ...(platform.metrics ? { metrics: platform.metrics } : {}),
    ...(platform.replica ? { replica: platform.replica } : {}),
    runtime: () => {
      runtime ??= locateRuntime(platform.config);
      return runtime;
    },
    platformEnv: process.env,
  });
}
