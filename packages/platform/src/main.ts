#!/usr/bin/env node
/**
 * @module main
 * `runagents-platform` / `npm start`: start the control plane with its embedded store, seed the
 * starter kit, print the endpoint, drain on SIGINT/SIGTERM (`drain.ts`; a second signal exits 1
 * at once).
 *
 * At every start this entry records the platform's endpoint (and, at first start, the admin key
 * `local-admin`) in the local configuration the CLI and the Client read (`local-config.ts`), or
 * prints the key once when it cannot, then prints `export RUNAGENTS_ENDPOINT=...`.
 * `--create-api-key <name>` creates another admin key in the data dir, prints the token once and
 * exits. `--no-bootstrap-key` (servers, fleets) creates no first key and prints no key at all.
 * Usage errors exit with status 2, anything else that stops the start with 1.
 */
import { issueApiKey } from "./api/auth.js";
import { loadPlatformConfig, PLATFORM_USAGE, platformVersion, UsageError } from "./config.js";
import { consoleLink } from "./console-link.js";
import { seedStarterKit } from "./deploy/starter-kit.js";
import { localConfigLines, recordRunningPlatform } from "./local-config.js";
import { createLogger } from "./log.js";
import { openStore, startPlatform } from "./platform.js";

async function main(argv: string[]): Promise<void> {
  if (argv.includes("-h") || argv.includes("--help")) {
    process.stdout.write(PLATFORM_USAGE);
    return;
  }
  if (argv.includes("-v") || argv.includes("--version")) {
    process.stdout.write(`${platformVersion()}\n`);
    return;
  }
  const keyFlag = argv.indexOf("--create-api-key");
  if (keyFlag !== -1) {
    const name = argv[keyFlag + 1];
    if (!name || name.startsWith("--")) throw new UsageError("--create-api-key needs a name (see --help)");
    const config = loadPlatformConfig(argv.filter((_, i) => i !== keyFlag && i !== keyFlag + 1));
    const store = openStore(config);
    const { token } = await issueApiKey(store, "default", name);
    await store.close();
    process.stdout.write(`${token}\n`);
    process.stderr.write("Store this token now: it is shown once. Send it as X-RunAgents-API-Key.\n");
    return;
  }

  const config = loadPlatformConfig(argv);
  const log = createLogger({ level: config.logLevel });
  const platform = await startPlatform(config, { logger: log });
  if (config.seedStarterKit) {
    const seeded = await seedStarterKit(platform.services, "default");
    log.info("starter kit ready", { ...seeded });
  }
  log.info("platform listening", {
    endpoint: platform.url,
    api: `${platform.url}/api/v1`,
    data_dir: config.dataDir,
  });
  const { notes, endpointLine } = localConfigLines(await recordRunningPlatform(platform), platform);
  for (const note of notes) process.stderr.write(`${note}\n`);
  process.stderr.write(`RunAgents platform ready at ${platform.url} (API: ${platform.url}/api/v1)\n`);
  process.stderr.write(`${endpointLine}\n`);
  // --no-bootstrap-key (a server, a fleet): no key in the output, not even a saved one.
  const link =
    config.bootstrapKey === false ? `${platform.url}/` : consoleLink(platform.url, platform.bootstrapKey);
  process.stderr.write(`Console: ${link}\n`);

  let draining = false;
  const stop = (signal: string) => {
    if (draining) {
      // A second signal: the operator does not want to wait.
      log.warn("second signal: exiting now", { signal });
      process.exit(1);
    }
    draining = true;
    log.info("draining", { signal, timeout_ms: config.drainTimeoutMs });
    platform.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`Error: ${message}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
