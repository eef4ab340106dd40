/**
 * @module deploy/supervisor/launch
 * The two steps behind starting one version of an agent: make sure its build exists (reuse a
 * finished one, else build from the stored sources), then spawn the runtime with the agent's
 * environment and wait until it is ready.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../log.js";
import type { Store } from "../../store/store.js";
import { isObject } from "../../validate.js";
import { requiredToolNames, storedLlmConfigs } from "../agent-config.js";
import { agentEnvironment } from "../agent-env.js";
import { BuildError, type BuildOutput, buildAgent, existingBuild, linkRunagents } from "../build.js";
import { type AcceptAgentConnection, AgentChannel } from "../isolation/channel.js";
import { agentCommand } from "../isolation/command.js";
import type { Isolation } from "../isolation/mode.js";
import type { RuntimeLocation } from "../runtime-location.js";
import type { AgentLog } from "./agent-log.js";
import { AgentProcess } from "./agent-process.js";
import { AGENT_MARK, agentMark } from "./slot-files.js";
import type { AgentRef } from "./types.js";

export interface LaunchContext {
  store: Store;
  log: Logger;
  dataDir: string;
  baseUrl: () => string;
  runtime: () => RuntimeLocation;
  /** The platform's PATH (and npm's environment). */
  platformEnv: NodeJS.ProcessEnv;
  startTimeoutMs: number;
  npmTimeoutMs: number;
  isolation: Isolation;
  /** Hands a sandboxed agent's connections to the platform's HTTP server. */
  acceptAgentConnection: AcceptAgentConnection;
  /** Counts crash restarts (the platform's metrics). */
  metrics?: { observeAgentRestart(): void };
}

/** Inside a sandbox the platform is reached through the runtime's relay on this loopback port. */
const SANDBOX_PLATFORM_PORT = 8092;

export const agentDirOf = (dataDir: string, ref: AgentRef): string =>
  join(dataDir, "agents", ref.workspace, ref.name);

/** The build of `version`, made now if there is none; throws BuildError with a one-screen reason. */
export async function ensureBuild(
  ctx: LaunchContext,
  ref: AgentRef,
  version: number,
  log: AgentLog,
): Promise<BuildOutput> {
  const source = await ctx.store.getResource(ref.workspace, "agent_source", ref.name);
  if (!source) throw new BuildError("the agent has no source files");
  const doc = source.doc;
  const digest = typeof doc.digest === "string" ? doc.digest : "";
  const agentDir = agentDirOf(ctx.dataDir, ref);
  let runtime: RuntimeLocation;
  try {
    runtime = ctx.runtime();
  } catch (err) {
    throw new BuildError(`cannot find the agent runtime: ${(err as Error).message}`);
  }
  const reused = existingBuild(agentDir, version, digest);
  if (reused) {
    linkRunagents(reused.dir, runtime.packageDir); // the platform's copy may have moved
    return reused;
  }
  const files = isObject(doc.files) ? (doc.files as Record<string, string>) : {};
  log.note(`building version ${version} (${Object.keys(files).length} files)`);
  const started = Date.now();
  const output = await buildAgent({
    agentDir,
    version,
    digest,
    files,
    entryPoint: typeof doc.entry_point === "string" ? doc.entry_point : "",
    runagentsDir: runtime.packageDir,
    cacheDir: join(ctx.dataDir, "cache"),
    install: {
      timeoutMs: ctx.npmTimeoutMs,
      env: ctx.platformEnv,
      onLine: (line) => log.append(line),
    },
  });
  log.note(
    `built version ${version} in ${Date.now() - started} ms (entry: ${output.entry || "none, built-in tool loop"}${output.installed ? ", npm dependencies installed" : ""})`,
  );
  return output;
}

export type LaunchResult = { ok: true; process: AgentProcess } | { ok: false; message: string };

/** Spawns the runtime for `build` and waits until `/healthz` answers. */
export async function launch(
  ctx: LaunchContext,
  ref: AgentRef,
  options: { version: number; build: BuildOutput; token: string; log: AgentLog },
): Promise<LaunchResult> {
  const record = await ctx.store.getResource(ref.workspace, "agent", ref.name);
  if (!record) return { ok: false, message: "the agent was deleted" };
  const spec = isObject(record.doc.spec) ? record.doc.spec : {};
  const tools = await Promise.all(
    requiredToolNames(record.doc).map(async (name) => ({
      name,
      doc: (await ctx.store.getResource(ref.workspace, "tool", name))?.doc,
    })),
  );
  const providers = (await ctx.store.listResources(ref.workspace, "model_provider")).map((p) => {
    const pspec = isObject(p.doc.spec) ? p.doc.spec : {};
    return {
      name: p.name,
      provider: typeof pspec.provider === "string" ? pspec.provider : "",
      models: Array.isArray(pspec.models)
        ? pspec.models.filter((m): m is string => typeof m === "string")
        : [],
    };
  });
  let runtime: RuntimeLocation;
  try {
    runtime = ctx.runtime();
  } catch (err) {
    return { ok: false, message: `cannot find the agent runtime: ${(err as Error).message}` };
  }
  const agentDir = agentDirOf(ctx.dataDir, ref);
  const scratchDir = join(agentDir, "scratch");
  mkdirSync(scratchDir, { recursive: true, mode: 0o700 });
  const channel = new AgentChannel();
  const sandboxed = ctx.isolation.mode === "sandbox";
  try {
    const command = agentCommand(ctx.isolation.mode, {
      runtimeEntry: runtime.entry,
      packageDir: runtime.packageDir,
      buildDir: options.build.dir,
      scratchDir,
      channelDir: channel.dir,
    });
    if (sandboxed) await channel.listen(options.token, ctx.acceptAgentConnection);
    const secret = randomBytes(32).toString("base64url");
    const env = agentEnvironment({
      agent: ref.name,
      spec,
      llmConfigs: storedLlmConfigs(record.doc),
      tools,
      providers,
      baseUrl: sandboxed ? `http://127.0.0.1:${SANDBOX_PLATFORM_PORT}` : ctx.baseUrl(),
      token: options.token,
      homeDir: command.homeDirInside,
      codeDir: command.codeDirInside,
      entry: options.build.entry,
      path: ctx.platformEnv.PATH,
      runtime: {
        socket: command.runtimeSocketInside,
        secret,
        ...(command.platformSocketInside
          ? { platformSocket: command.platformSocketInside, relayPort: SANDBOX_PLATFORM_PORT }
          : {}),
      },
    });
    const proc = new AgentProcess({
      version: options.version,
      command: command.command,
      args: command.args,
      cwd: options.build.dir,
      env: { ...env, [AGENT_MARK]: agentMark(agentDir) },
      endpoint: { url: "http://agent", socketPath: command.runtimeSocket, secret },
      isolation: ctx.isolation.mode,
      log: options.log,
      onExit: () => channel.close(),
    });
    options.log.note(
      `started version ${options.version}: pid ${proc.pid} (isolation: ${ctx.isolation.mode})`,
    );
    const ready = await proc.waitReady(ctx.startTimeoutMs);
    if (ready.ok) return { ok: true, process: proc };
    await proc.stop(0);
    const tail = proc.recent.filter((line) => !ready.message.includes(line)).slice(-10);
    return {
      ok: false,
      message: tail.length > 0 ? `${ready.message}\nlast log lines:\n${tail.join("\n")}` : ready.message,
    };
  } catch (err) {
    channel.close();
    return { ok: false, message: `could not start the agent process: ${(err as Error).message}` };
  }
}
