/**
 * @module
 * `runagents up`: the local platform in the foreground, with its embedded store and the starter
 * kit. `runagents` does not depend on `@runagents/platform`; it is loaded at run time.
 */

import { CliError, type Command, str } from "../args.js";

interface Running {
  url: string;
  services: unknown;
  store: unknown;
  /** The admin key the platform created at its first start (shown once). */
  bootstrapKey?: string;
  close(): Promise<void>;
}

/** The part of `@runagents/platform` this command uses. */
interface PlatformModule {
  loadPlatformConfig(argv: string[], env: NodeJS.ProcessEnv): { dataDir: string; seedStarterKit: boolean };
  startPlatform(config: unknown, options: { logger: unknown }): Promise<Running>;
  createLogger(options: { level?: string; sink?: (line: string) => void }): unknown;
  seedStarterKit(services: unknown, workspace: string): Promise<unknown>;
  recordRunningPlatform(running: Running): Promise<{ notWritten: string } | object>;
  localConfigLines(record: unknown, running: Running): { notes: string[]; endpointLine: string };
}

async function loadPlatform(): Promise<PlatformModule> {
  const specifier = "@runagents/platform";
  try {
    return (await import(specifier)) as PlatformModule;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new CliError("runagents up needs @runagents/platform: npm install @runagents/platform");
    }
    throw error;
  }
}

export const up: Command = {
  name: "up",
  summary: "Start a local platform in the foreground (Ctrl-C stops it)",
  options: {
    port: { type: "string", value: "<port>", help: "port (default 8092; 0 picks a free one)" },
    host: { type: "string", value: "<host>", help: "address to listen on (default 127.0.0.1)" },
    "data-dir": {
      type: "string",
      value: "<dir>",
      help: "where the store lives (default ~/.runagents/platform)",
    },
    "log-level": { type: "string", value: "<level>", help: "debug, info, warn or error (default info)" },
    "no-seed": { type: "boolean", help: "do not seed the starter kit" },
  },
  async run(ctx, parsed) {
    const platform = await loadPlatform();
    const argv: string[] = [];
    for (const name of ["port", "host", "data-dir", "log-level"]) {
      const value = str(parsed, name);
      if (value !== undefined) argv.push(`--${name}`, value);
    }
    if (parsed.values["no-seed"] === true) argv.push("--no-seed");
    const config = platform.loadPlatformConfig(argv, { ...ctx.env });
    const logger = platform.createLogger({
      level: str(parsed, "log-level") ?? "info",
      sink: (line) => process.stderr.write(`${line}\n`),
    });
    let running: Running;
    try {
      running = await platform.startPlatform(config, { logger });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
        throw new CliError(
          `port ${str(parsed, "port") ?? "8092"} is already in use: is a platform already running? (use --port to pick another)`,
        );
      }
      throw error;
    }
    if (config.seedStarterKit) await platform.seedStarterKit(running.services, "default");
    // The endpoint (and the first admin key) go into the local configuration the CLI reads.
    const record = await platform.recordRunningPlatform(running);
    for (const note of platform.localConfigLines(record, running).notes) ctx.err.line(note);
    if ("notWritten" in record && !running.bootstrapKey) {
      ctx.err.line(`The endpoint is not saved (${record.notWritten}): export RUNAGENTS_ENDPOINT as shown.`);
    }
    ctx.out.line(`RunAgents platform running at ${running.url}`);
    ctx.out.line(`  API:       ${running.url}/api/v1`);
    ctx.out.line(`  Data dir:  ${config.dataDir}`);
    ctx.out.line(`  Use it:    export RUNAGENTS_ENDPOINT=${running.url}`);
    ctx.out.line("Press Ctrl-C to stop.");

    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        ctx.err.line("Shutting down...");
        running.close().then(resolve, resolve);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
  },
};
