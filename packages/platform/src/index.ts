/**
 * @module @runagents/platform
 * Public API: start the control plane in-process (tests, embedding) or through `main.ts`.
 */

export { ConfigError, loadPlatformConfig, type PlatformConfig } from "./config.js";
export { DataDirLockedError } from "./data-dir-lock.js";
export { seedStarterKit } from "./deploy/starter-kit.js";
export { DRAIN_PHASES, type DrainPhase, type DrainStep } from "./drain.js";
export { HttpError } from "./errors.js";
export {
  type KeyHandOff,
  type LocalConfigRecord,
  localConfigLines,
  recordRunningPlatform,
  writeAdminKey,
} from "./local-config.js";
export { createLogger, type Logger, silentLogger } from "./log.js";
export { openStore, type RunningPlatform, startPlatform } from "./platform.js";
export type { Store } from "./store/store.js";
