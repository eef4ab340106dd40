/**
 * @module
 * `runagents dev`: run the project's agent locally: the runtime (a child process) on `--port`, a
 * mock tool server on `--mock-port` that every `TOOL_URL_*` points at, and a model route (see
 * {@link chooseModel}; without a platform or a provider key, the offline playground model served
 * in-process by `dev-playground.ts`). `--watch` restarts the agent when `.ts`/`.js` files change.
 * `--governed` registers the agent with the platform instead (`dev-governed.ts`): no mock tools,
 * every tool call through the platform's egress, every invoke a recorded run.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { watch } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { toolEnvKey } from "../../agent/errors.js";
import { authHeaders } from "../../client/http.js";
import { CliError, type Command, flag, int } from "../args.js";
import type { Ctx } from "../context.js";
import type { DevSession } from "../dev-governed.js";
import { closeServer, createMockToolServer, createModelProxy, listen } from "../dev-servers.js";
import { readProject } from "../project.js";

const RUNTIME_MAIN = fileURLToPath(new URL("../../runtime/main.js", import.meta.url));

interface ModelRoute {
  /** What the agent's `LLM_GATEWAY_URL` should reach (through the proxy when `headers` are set). */
  upstream: string;
  headers: Record<string, string>;
  label: string;
  notice?: string;
  /** Hide the OpenAI key/base from the agent (the proxy adds the key). */
  hideOpenAi: boolean;
  /** Serve the offline playground model in-process (`upstream` is unused). */
  offline?: boolean;
}

/** The platform root (`http://host:port`) of an endpoint that may carry `/api/v1[/workspaces/x]`. */
export function platformRoot(endpoint: string): string {
  return endpoint.replace(/\/+$/, "").replace(/\/(api\/v1|workspaces)(\/.*)?$/, "");
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(800) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * The model: the platform gateway when a platform answers at the endpoint (`--endpoint`,
 * `RUNAGENTS_ENDPOINT` or the configuration); else OpenAI (`OPENAI_BASE_URL`, default
 * api.openai.com) with `OPENAI_API_KEY`; else the offline playground model, in-process, with a
 * one-line notice saying how to use a real one.
 */
export async function chooseModel(ctx: Ctx): Promise<ModelRoute> {
  const config = ctx.config();
  const root = platformRoot(config.endpoint);
  const platform = {
    upstream: `${root}/v1/chat/completions`,
    headers: authHeaders(config.apiKey),
    label: `platform gateway at ${root}`,
    hideOpenAi: true,
  };
  if (await answers(`${root}/healthz`)) return platform;
  const openAiKey = ctx.env.OPENAI_API_KEY?.trim();
  if (openAiKey) {
    const base = (ctx.env.OPENAI_BASE_URL?.trim() || "https://api.openai.com/v1").replace(/\/+$/, "");
    return {
      upstream: `${base}/chat/completions`,
      headers: { Authorization: `Bearer ${openAiKey}` },
      label: `OpenAI at ${base}`,
      hideOpenAi: true,
    };
  }
  return {
    upstream: "",
    headers: {},
    label: "the offline playground model (in-process)",
    hideOpenAi: true,
    offline: true,
    notice:
      `dev is using the offline playground model (canned answers): no platform answers at ${root} and ` +
      'OPENAI_API_KEY is not set. For a real model, set OPENAI_API_KEY or start a platform ("runagents up").',
  };
}

function exited(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode ?? 1);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited(child);
  clearTimeout(timer);
}

/** Resolves once the runtime answers HTTP on `port`, or rejects when it exits first. */
async function whenReady(child: ChildProcess, port: number): Promise<void> {
  let gone = false;
  const onExit = exited(child).then((code) => {
    gone = true;
    return code;
  });
  for (;;) {
    if (gone) throw new CliError(`the agent runtime exited with code ${await onExit} before it was ready`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return;
    } catch {
      await Promise.race([sleep(100), onExit]);
    }
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await closeServer(server);
  return port;
}

export const dev: Command = {
  name: "dev",
  summary: "Run the agent locally: runtime on :8080, mock tools on :9090",
  options: {
    port: { type: "string", value: "<port>", help: "agent port (default 8080)" },
    "mock-port": { type: "string", value: "<port>", help: "mock tool server port (default 9090)" },
    "no-mock": { type: "boolean", help: "no mock tools: set TOOL_URL_<NAME> yourself" },
    watch: { type: "boolean", help: "restart the agent when .ts/.js files change" },
    governed: {
      type: "boolean",
      help: "govern tool calls with a running platform's policies and approvals (no mock tools)",
    },
  },
  async run(ctx, parsed) {
    const port = int(parsed, "port", 8080, 1);
    const mockPort = int(parsed, "mock-port", 9090, 1);
    const governed = flag(parsed, "governed");
    const mock = !governed && !flag(parsed, "no-mock");
    const project = await readProject(ctx.cwd);
    const route = await chooseModel(ctx);
    const servers: Server[] = [];
    let child: ChildProcess | undefined;
    let session: DevSession | undefined;
    const cleanup = async (): Promise<void> => {
      if (child) await stopChild(child);
      await session?.end();
      await Promise.all(servers.map(closeServer));
    };
    try {
      // Governed: the runtime listens on an internal port the platform invokes and resumes; --port
      // is a front that sends /invoke through the platform's invoke API (a recorded run).
      const runtimePort = governed ? await freePort() : port;
      if (governed) {
        const { startDevSession } = await import("../dev-governed.js");
        session = await startDevSession(ctx, project, `http://127.0.0.1:${runtimePort}`);
        const front = createModelProxy(session.agentApi, session.headers, "platform");
        servers.push(front);
        await listen(front, port, "agent", "--port");
      }
      let gatewayUrl = route.upstream;
      if (!session && route.offline) {
        const { createPlaygroundServer } = await import("../dev-playground.js");
        const playground = createPlaygroundServer();
        servers.push(playground);
        gatewayUrl = `http://127.0.0.1:${await listen(playground, 0, "playground model", "--port")}/v1/chat/completions`;
      } else if (!session && Object.keys(route.headers).length > 0) {
        const proxy = createModelProxy(route.upstream.replace(/\/chat\/completions$/, ""), route.headers);
        servers.push(proxy);
        gatewayUrl = `http://127.0.0.1:${await listen(proxy, 0, "model proxy", "--port")}/v1/chat/completions`;
      }
      if (mock) {
        const mockServer = createMockToolServer((line) => ctx.out.line(line));
        servers.push(mockServer);
        await listen(mockServer, mockPort, "mock tool server", "--mock-port");
      }
      const env: Record<string, string | undefined> = { ...ctx.env };
      if (route.hideOpenAi)
        for (const k of ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE"]) delete env[k];
      const setDefault = (key: string, value: string): void => {
        if (!env[key]) env[key] = value;
      };
      setDefault("SYSTEM_PROMPT", project.systemPrompt || "You are a helpful assistant.");
      setDefault("AGENT_NAME", project.name || "dev-agent");
      setDefault("LLM_MODEL", project.model?.model || "gpt-4o-mini");
      setDefault("LLM_GATEWAY_URL", gatewayUrl);
      setDefault("USER_ENTRY_POINT", project.entryPoint);
      setDefault("TOOL_DEFINITIONS_JSON", "[]");
      setDefault("TOOL_ROUTES_JSON", "{}");
      setDefault("HOST", "127.0.0.1");
      if (mock)
        for (const tool of project.tools) setDefault(toolEnvKey(tool), `http://127.0.0.1:${mockPort}`);
      if (session) Object.assign(env, session.env);
      env.PORT = String(runtimePort);

      ctx.out.line("RunAgents Dev Server");
      ctx.out.line(`  Agent:       http://127.0.0.1:${port}`);
      if (mock)
        ctx.out.line(
          `  Mock tools:  http://127.0.0.1:${mockPort} (${project.tools.join(", ") || "no tools declared"})`,
        );
      if (session) {
        ctx.out.line(`  Governed:    agent ${session.agent} on ${platformRoot(ctx.config().endpoint)}`);
        ctx.out.line(
          `  Tools:       ${project.tools.join(", ") || "no tools declared"} (through the egress)`,
        );
      }
      ctx.out.line(`  Model:       ${env.LLM_MODEL} via ${session ? "the platform gateway" : route.label}`);
      ctx.out.line(`  Entry point: ${env.USER_ENTRY_POINT}`);
      for (const warning of session?.warnings ?? [])
        ctx.err.line(ctx.err.paint("yellow", `Notice: ${warning}`));
      if (route.notice && !session) ctx.err.line(ctx.err.paint("yellow", `Notice: ${route.notice}`));

      const start = async (): Promise<ChildProcess> => {
        const c = spawn(process.execPath, [RUNTIME_MAIN], {
          cwd: ctx.cwd,
          env,
          stdio: ["ignore", "inherit", "inherit"],
        });
        await whenReady(c, runtimePort);
        ctx.out.line(`Ready: curl -X POST http://127.0.0.1:${port}/invoke -d '{"message":"Hello"}'`);
        return c;
      };
      child = await start();

      await new Promise<void>((resolve, reject) => {
        let stopping = false;
        let timer: NodeJS.Timeout | undefined;
        const watcher = flag(parsed, "watch")
          ? watch(ctx.cwd, { recursive: true }, (_event, file) => {
              const name = String(file ?? "");
              if (
                !/\.(m?ts|m?js|cjs)$/.test(name) ||
                /(^|[/\\])(node_modules|dist|\.git)([/\\]|$)/.test(name)
              )
                return;
              clearTimeout(timer);
              timer = setTimeout(restart, 300);
            })
          : undefined;
        const finish = (error?: unknown): void => {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          watcher?.close();
          clearTimeout(timer);
          error === undefined ? resolve() : reject(error);
        };
        const onSignal = (): void => {
          stopping = true;
          ctx.out.line("Shutting down...");
          finish();
        };
        const watchExit = (c: ChildProcess): void => {
          exited(c).then((code) => {
            if (stopping || c !== child) return;
            if (watcher) ctx.out.line(`  [dev] agent exited (code ${code}); waiting for changes...`);
            else finish(new CliError(`the agent runtime exited with code ${code}`));
          });
        };
        async function restart(): Promise<void> {
          if (stopping) return;
          ctx.out.line("  [dev] Restarting agent...");
          const old = child;
          child = undefined;
          if (old) await stopChild(old);
          try {
            child = await start();
            watchExit(child);
          } catch (error) {
            ctx.out.line(`  [dev] ${(error as Error).message}; waiting for changes...`);
          }
        }
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
        if (child) watchExit(child);
      });
    } finally {
      await cleanup();
    }
  },
};
