#!/usr/bin/env node
/**
 * @module main
 * `runagents-platform` / `npm start`: start the control plane with its embedded store, seed the
 * starter kit, print the endpoint, stop cleanly on SIGINT/SIGTERM.
 *
 * At first start the platform creates the admin key `local-admin` and this entry writes it into
 * the local configuration (`local-config.ts`), or prints it once when it cannot.
 * `--create-api-key <name>` creates another admin key in the data dir, prints the token once and
 * exits.
 */
import { issueApiKey } from "./api/auth.js";
import { ConfigError, loadPlatformConfig } from "./config.js";
import { consoleLink } from "./console-link.js";
import { seedStarterKit } from "./deploy/starter-kit.js";
import { writeAdminKey } from "./local-config.js";
import { createLogger } from "./log.js";
import { openStore, startPlatform } from "./platform.js";

async function main(argv: string[]): Promise<void> {
  const keyFlag = argv.indexOf("--create-api-key");
  if (keyFlag !== -1) {
    const name = argv[keyFlag + 1];
    if (!name || name.startsWith("--")) throw new ConfigError("--create-api-key needs a name");
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
  if (platform.bootstrapKey) {
    const handOff = writeAdminKey(platform.bootstrapKey, platform.url);
    process.stderr.write(
      "written" in handOff
        ? `Created the admin API key "local-admin" and saved it in ${handOff.written}: the CLI and the Client use it.\n`
        : `Created the admin API key "local-admin" (not saved: ${handOff.notWritten}). Store it now, it is shown once:\n${platform.bootstrapKey}\n`,
    );
  }
  process.stderr.write(`RunAgents platform ready at ${platform.url} (API: ${platform.url}/api/v1)\n`);
  process.stderr.write(`Console: ${consoleLink(platform.url, platform.bootstrapKey)}\n`);

  const stop = (signal: string) => {
    log.info("shutting down", { signal });
    platform.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`Error: ${message}\n`);
  process.exit(1);
});
