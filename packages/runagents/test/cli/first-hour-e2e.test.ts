/**
 * END TO END, the first hour of a new user: `git clone` of this repository's HEAD into a temporary
 * folder, the README's set-up command there (a real `npm ci`, served from npm's cache where it can
 * be, then `npm start` on a free port with a temporary data dir and config dir), the CLI installed
 * as docs/install.md says, and then, from a folder OUTSIDE the clone: `runagents init` → `npm install`
 * → `runagents dev` answers → `runagents deploy` → `runagents invoke` pauses on a policy that
 * requires approval → `runagents approvals approve` → `runagents runs events` shows the completed
 * run. Takes a few minutes (the clone's install compiles better-sqlite3 where no prebuilt binary can
 * be downloaded); skipped where git is missing or this is not a git checkout.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { EventEmitter } from "node:events";
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { npmEnv } from "../helpers/npm-env.js";

const REPO = fileURLToPath(new URL("../../../../../", import.meta.url));
// Generous: the clone's `npm ci` may compile better-sqlite3 from source (no prebuilt binary reachable),
// which takes minutes on a loaded 2-core machine.
const STEP_TIMEOUT_MS = 8 * 60_000;

function skipReason(): string | false {
  if (spawnSync("git", ["--version"]).error) return "git is not installed";
  if (spawnSync("git", ["-C", REPO, "rev-parse", "HEAD"]).status !== 0)
    return `${REPO} is not a git checkout`;
  return false;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, env, timeout: STEP_TIMEOUT_MS, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

async function ok(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const result = await run(command, args, cwd, env);
  assert.equal(result.code, 0, `${command} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** A long-running process whose output lines (stdout and stderr) can be awaited. */
class Live {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  readonly #events = new EventEmitter();
  constructor(readonly child: ChildProcess) {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.lines.push(line);
        this.#events.emit("line");
      });
    }
    this.exited = new Promise((resolve) =>
      child.once("close", (code) => {
        resolve(code);
        this.#events.emit("line");
      }),
    );
  }

  /** The first output line matching `pattern`; rejects when the process exits first or on timeout. */
  waitFor(pattern: RegExp, timeoutMs = STEP_TIMEOUT_MS): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        for (const line of this.lines) {
          const match = line.match(pattern);
          if (match) return done(() => resolve(match));
        }
        if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done(() => reject(new Error(`exited before ${pattern}:\n${this.lines.join("\n")}`)));
        }
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`timed out before ${pattern}:\n${this.lines.join("\n")}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.#events.off("line", check);
        settle();
      };
      this.#events.on("line", check);
      check();
    });
  }
}

describe("first hour, end to end: clone → README set-up → CLI from outside the clone → governed run", {
  skip: skipReason(),
  timeout: 15 * 60_000,
}, () => {
  let work = "";
  let clone = "";
  let scratch = "";
  let project = "";
  let env: NodeJS.ProcessEnv = {};
  let platform: Live | undefined;
  let url = "";

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "runagents-first-hour-"));
    clone = join(work, "clone");
    scratch = join(work, "scratch");
    project = join(scratch, "my-agent");
    env = npmEnv([join(work, "prefix", "bin")], {
      RUNAGENTS_CONFIG_DIR: join(work, "config"),
      npm_config_prefer_offline: "true",
    });
    const head = spawnSync("git", ["-C", REPO, "rev-parse", "HEAD"], { encoding: "utf8" }).stdout.trim();
    await ok("git", ["clone", "--quiet", "--no-checkout", REPO, clone], work, env);
    await ok("git", ["-C", clone, "checkout", "--quiet", "--detach", head], work, env);
    mkdirSync(scratch);
  });

  after(async () => {
    if (platform && platform.child.exitCode === null && platform.child.pid) {
      process.kill(-platform.child.pid, "SIGTERM"); // npm, its shell and the platform
      await platform.exited;
    }
    rmSync(work, { recursive: true, force: true });
  });

  it("the README's set-up command installs, builds executable bins and starts the platform", async () => {
    const readme = readFileSync(join(clone, "README.md"), "utf8");
    const setup = readme.match(/^(npm ci && npm start) +#/m)?.[1];
    assert.ok(setup, "the README's set-up command");
    assert.match(readme, /^npm test +#/m, "the README's test command");

    const port = await freePort();
    const options = `--port ${port} --data-dir ${join(work, "data")} --log-level warn`;
    const child = spawn("sh", ["-c", `${setup} -- ${options}`], { cwd: clone, env, detached: true });
    platform = new Live(child);
    const [, endpoint = ""] = await platform.waitFor(/^export RUNAGENTS_ENDPOINT=(\S+)/);
    url = endpoint;
    assert.equal(url, `http://127.0.0.1:${port}`);

    for (const bin of [
      "packages/runagents/dist/src/cli/main.js",
      "packages/runagents/dist/src/mcp/main.js",
      "packages/runagents/dist/src/runtime/main.js",
      "packages/platform/dist/src/main.js",
    ]) {
      accessSync(join(clone, bin), constants.X_OK);
    }
  });

  it("installs the CLI from the clone as docs/install.md says", async () => {
    const install = readFileSync(join(clone, "docs", "install.md"), "utf8").match(
      /^npm install -g (\.\/packages\/runagents \.\/packages\/platform)$/m,
    );
    assert.ok(install?.[1], "docs/install.md's install command");
    await ok(
      "npm",
      ["install", "-g", "--prefix", join(work, "prefix"), ...install[1].split(" ")],
      clone,
      env,
    );
    assert.match(await ok("runagents", ["--version"], scratch, env), /\d+\.\d+\.\d+/);
  });

  it("init → npm install in a folder outside the clone; the project's .mcp.json starts an MCP server", async () => {
    await ok("runagents", ["init", "my-agent"], scratch, env);
    const pkg = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    assert.equal(pkg.dependencies.runagents, `file:${realpathSync(join(clone, "packages", "runagents"))}`);
    await ok("npm", ["install"], project, env);

    const { command, args } = (
      JSON.parse(readFileSync(join(project, ".mcp.json"), "utf8")) as {
        mcpServers: { runagents: { command: string; args: string[] } };
      }
    ).mcpServers.runagents;
    const mcp = new Live(spawn(command, args, { cwd: project, env, stdio: ["pipe", "pipe", "pipe"] }));
    const send = (message: object) => mcp.child.stdin?.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "e2e", version: "0" } },
    });
    await mcp.waitFor(/^\{.*"id":1[,}]/);
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
    const [listed = ""] = await mcp.waitFor(/^\{.*"id":2[,}]/);
    const tools = (JSON.parse(listed) as { result: { tools: { name: string }[] } }).result.tools;
    assert.ok(tools.length > 5, listed);
    mcp.child.stdin?.end();
    assert.equal(await mcp.exited, 0);
  });

  it("runagents dev answers a request", async () => {
    const [port, mockPort] = [await freePort(), await freePort()];
    const dev = new Live(
      spawn("runagents", ["dev", "--port", String(port), "--mock-port", String(mockPort)], {
        cwd: project,
        env,
      }),
    );
    try {
      await dev.waitFor(/^Ready: /);
      const res = await fetch(`http://127.0.0.1:${port}/invoke`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: "hello from dev" }),
      });
      assert.equal(res.status, 200);
      assert.match(((await res.json()) as { response: string }).response, /hello from dev/);
    } finally {
      dev.child.kill("SIGTERM");
      await dev.exited;
    }
  });

  it("deploy → invoke pauses for approval → approve → the run completes", async () => {
    // The agent calls the starter kit's echo-tool; a policy makes that call wait for an approver.
    writeFileSync(
      join(project, "agent.ts"),
      `import { Agent, type HandlerRequest } from "runagents/agent";

const agent = new Agent();

export async function handler(request: HandlerRequest) {
  const echoed = await agent.callTool({ name: "echo-tool", path: "/echo", payload: { message: request.message } });
  return { response: \`echo-tool said: \${JSON.stringify(echoed)}\` };
}
`,
    );
    const yaml = readFileSync(join(project, "runagents.yaml"), "utf8");
    writeFileSync(
      join(project, "runagents.yaml"),
      yaml.replace(/^tools: \[\]$/m, "tools: [echo-tool]\npolicies: [echo-needs-approval]"),
    );
    writeFileSync(
      join(scratch, "policy.yaml"),
      "name: echo-needs-approval\nspec:\n  policies:\n" +
        "    - permission: approval_required\n      resource: echo-tool\n      operations: [POST]\n",
    );
    await ok("runagents", ["policies", "apply", "-f", "policy.yaml"], scratch, env);
    const deployed = await ok("runagents", ["deploy"], project, env);
    assert.match(deployed, /Agent "my-agent" deployed successfully\./);
    assert.match(deployed, /Status: +Running/);

    const invoked = await run(
      "runagents",
      ["invoke", "my-agent", "hello", "--user", "alice@example.com", "-o", "json"],
      scratch,
      env,
    );
    const reply = JSON.parse(invoked.stdout || "null") as {
      run_id: string;
      approval_required?: { request_id: string };
    } | null;
    assert.ok(reply?.run_id, `invoke -o json: ${invoked.stdout}\n${invoked.stderr}`);
    const runId = reply.run_id;
    const run1 = JSON.parse(await ok("runagents", ["runs", "get", runId, "-o", "json"], scratch, env)) as {
      status: string;
    };
    assert.equal(run1.status, "PAUSED_APPROVAL");

    const pending = JSON.parse(
      await ok("runagents", ["approvals", "list", "--status", "pending", "-o", "json"], scratch, env),
    ) as { id: string; run_id: string }[];
    const request = pending.find((r) => r.run_id === runId);
    assert.ok(request, `a pending approval for run ${runId}`);
    assert.equal(reply.approval_required?.request_id, request.id);
    assert.equal(
      await ok("runagents", ["approvals", "approve", request.id], scratch, env),
      `Access request "${request.id}" approved once.\n`,
    );

    const waited = await ok("runagents", ["runs", "wait", runId, "--timeout", "60s"], scratch, env);
    assert.match(waited, new RegExp(`^Run "${runId}" reached terminal status COMPLETED\\.$`, "m"));
    const events = await ok("runagents", ["runs", "events", runId], scratch, env);
    for (const type of ["APPROVAL_REQUIRED", "APPROVED", "RESUMED", "TOOL_RESPONSE", "COMPLETED"]) {
      assert.match(events, new RegExp(`^ *\\d+ \\| ${type} +\\|`, "m"), `${type} in\n${events}`);
    }
    assert.match(events, /echo-tool said: .*"message":"hello"/);
  });
});
