/**
 * `runagents-platform` (`npm start`) as a user runs it: --help, --version, usage errors, and the
 * endpoint it records where the CLI finds it.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { runtimeConfig } from "./deploy/helpers.js";
import { freePort } from "./helpers/platform-process.js";

const MAIN = fileURLToPath(new URL("../src/main.js", import.meta.url));
const CLI = fileURLToPath(new URL("./cli/main.js", import.meta.resolve("runagents")));
const VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "runagents-main-test-"));
  dirs.push(dir);
  return dir;
}

function env(configDir: string): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNAGENTS_LOG_LEVEL: "warn",
    RUNAGENTS_CONFIG_DIR: configDir,
  };
  const staged = runtimeConfig().runagentsDir;
  if (staged) out.RUNAGENTS_PACKAGE_DIR = staged;
  return out;
}

async function run(
  file: string,
  args: string[],
  environment: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [file, ...args], {
      env: environment,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("runagents-platform --help, --version and usage errors", () => {
  it("--help lists every flag and environment variable on one screen", async () => {
    const help = await run(MAIN, ["--help"], env(tempDir()));
    assert.equal(help.code, 0);
    assert.equal(help.stderr, "");
    const lines = help.stdout.trimEnd().split("\n");
    assert.ok(lines.length <= 30, `${lines.length} lines`);
    assert.ok(lines.every((line) => line.length <= 100));
    for (const name of [
      "--host",
      "--port",
      "--data-dir",
      "--log-level",
      "--agent-isolation",
      "--no-seed",
      "--no-bootstrap-key",
      "--database-url",
      "--advertise-url",
      "--create-api-key",
      "--version",
      "RUNAGENTS_HOST",
      "RUNAGENTS_PORT",
      "RUNAGENTS_DATA_DIR",
      "RUNAGENTS_LOG_LEVEL",
      "RUNAGENTS_AGENT_ISOLATION",
      "RUNAGENTS_DATABASE_URL",
      "RUNAGENTS_ADVERTISE_URL",
      "RUNAGENTS_SECRET_KEY",
      "RUNAGENTS_MAX_BODY_BYTES",
      "OPENAI_API_KEY",
      "RUNAGENTS_CONFIG_DIR",
    ]) {
      assert.ok(help.stdout.includes(name), name);
    }
    assert.deepEqual(await run(MAIN, ["-h"], env(tempDir())), help);
  });

  it("--version prints the package version", async () => {
    assert.deepEqual(await run(MAIN, ["--version"], env(tempDir())), {
      code: 0,
      stdout: `${VERSION}\n`,
      stderr: "",
    });
  });

  it("an unknown option or a missing value is one line and exit status 2", async () => {
    assert.deepEqual(await run(MAIN, ["--bogus"], env(tempDir())), {
      code: 2,
      stdout: "",
      stderr: "Error: unknown option '--bogus' (see --help)\n",
    });
    assert.deepEqual(await run(MAIN, ["--port"], env(tempDir())), {
      code: 2,
      stdout: "",
      stderr: "Error: option '--port <value>' argument missing (see --help)\n",
    });
    assert.deepEqual(await run(MAIN, ["--create-api-key"], env(tempDir())), {
      code: 2,
      stdout: "",
      stderr: "Error: --create-api-key needs a name (see --help)\n",
    });
  });
});

interface Started {
  child: ChildProcess;
  stderr: string;
  stop(): Promise<void>;
}

/** Starts main.js and resolves once it printed its `export RUNAGENTS_ENDPOINT=` line. */
async function start(args: string[], environment: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: environment,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      if (/^Console: .*\n/m.test(stderr)) resolve();
    });
    child.once("exit", (code) => reject(new Error(`platform exited with ${code}: ${stderr}`)));
  });
  return {
    child,
    stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await gone;
    },
  };
}

describe("npm start -- --port X: the CLI follows the platform", () => {
  it("prints the RUNAGENTS_ENDPOINT line and records the endpoint; a restart on another port moves it", async () => {
    const configDir = tempDir();
    const dataDir = tempDir();
    const cliEnv = { PATH: process.env.PATH, HOME: tempDir(), RUNAGENTS_CONFIG_DIR: configDir };
    const configFile = join(configDir, "config.json");

    // The console link signs in with the key saved for this platform (a URL fragment: never sent).
    const savedKey = () => (JSON.parse(readFileSync(configFile, "utf8")) as { api_key: string }).api_key;
    const firstPort = await freePort();
    const first = await start(
      ["--port", String(firstPort), "--data-dir", dataDir, "--no-seed"],
      env(configDir),
    );
    const firstUrl = `http://127.0.0.1:${firstPort}`;
    try {
      assert.equal(
        first.stderr,
        `Created the admin API key "local-admin" and saved it in ${configFile}: the CLI and the Client use it.\n` +
          `RunAgents platform ready at ${firstUrl} (API: ${firstUrl}/api/v1)\n` +
          `export RUNAGENTS_ENDPOINT=${firstUrl}   # saved in ${configFile} for the CLI and the Client\n` +
          `Console: ${firstUrl}/#key=${savedKey()}\n`,
      );
      const listed = await run(CLI, ["agents", "list"], cliEnv);
      assert.deepEqual(listed, { code: 0, stdout: "No agents found.\n", stderr: "" });
    } finally {
      await first.stop();
    }

    const secondPort = await freePort();
    const second = await start(["--port", String(secondPort), "--data-dir", dataDir], env(configDir));
    const secondUrl = `http://127.0.0.1:${secondPort}`;
    try {
      assert.equal(
        second.stderr,
        `RunAgents platform ready at ${secondUrl} (API: ${secondUrl}/api/v1)\n` +
          `export RUNAGENTS_ENDPOINT=${secondUrl}   # saved in ${configFile} for the CLI and the Client\n` +
          `Console: ${secondUrl}/#key=${savedKey()}\n`,
      );
      // The starter kit this start seeded is there: the CLI talks to the second port.
      const listed = await run(CLI, ["tools", "list", "-o", "json"], cliEnv);
      assert.equal(listed.code, 0, listed.stderr);
      const tools = JSON.parse(listed.stdout) as { name: string; base_url?: string; baseUrl?: string }[];
      assert.ok(tools.some((t) => t.name === "echo-tool" && (t.base_url ?? t.baseUrl) === secondUrl));
    } finally {
      await second.stop();
    }
  });

  it("leaves a configuration that points at a remote platform alone, and says how to use this one", async () => {
    const configDir = tempDir();
    const configFile = join(configDir, "config.json");
    const remote = `{\n  "endpoint": "https://runagents.example.com",\n  "api_key": "ra_ws_remote"\n}\n`;
    writeFileSync(configFile, remote, { mode: 0o600 });
    const port = await freePort();
    const started = await start(
      ["--port", String(port), "--data-dir", tempDir(), "--no-seed"],
      env(configDir),
    );
    try {
      const url = `http://127.0.0.1:${port}`;
      const lines = started.stderr.split("\n");
      assert.equal(
        lines[0],
        'Created the admin API key "local-admin" (not saved: the configuration points at another platform ' +
          "(https://runagents.example.com)). Store it now, it is shown once:",
      );
      assert.match(lines[1] ?? "", /^ra_ws_\S+$/);
      assert.equal(
        lines[3],
        `export RUNAGENTS_ENDPOINT=${url}   # not saved (the configuration points at another platform ` +
          "(https://runagents.example.com)): run this where you use the CLI or the Client",
      );
      assert.equal(readFileSync(configFile, "utf8"), remote);
    } finally {
      await started.stop();
    }
  });

  it("--no-bootstrap-key: no key is created or printed, even where it could not be saved; --create-api-key makes one", async () => {
    const configDir = tempDir();
    const configFile = join(configDir, "config.json");
    // A configuration for another platform: without the flag, the first key would be printed here.
    const remote = `{\n  "endpoint": "https://runagents.example.com",\n  "api_key": "ra_ws_remote"\n}\n`;
    writeFileSync(configFile, remote, { mode: 0o600 });
    const dataDir = tempDir();
    const port = await freePort();
    const started = await start(
      ["--port", String(port), "--data-dir", dataDir, "--no-seed", "--no-bootstrap-key"],
      env(configDir),
    );
    try {
      const url = `http://127.0.0.1:${port}`;
      assert.doesNotMatch(started.stderr, /ra_ws_|Created the admin API key/);
      assert.match(started.stderr, new RegExp(`^Console: ${url}/\n`, "m"), "a console link without a key");
      assert.equal(readFileSync(configFile, "utf8"), remote);
      assert.equal((await fetch(`${url}/api/v1/agents`)).status, 401, "no key exists: nobody gets in");

      const created = await run(MAIN, ["--create-api-key", "ops", "--data-dir", dataDir], env(configDir));
      assert.equal(created.code, 0, created.stderr);
      const token = created.stdout.trim();
      assert.match(token, /^ra_ws_\S+$/);
      const res = await fetch(`${url}/api/v1/agents`, { headers: { "X-RunAgents-API-Key": token } });
      assert.equal(res.status, 200);
    } finally {
      await started.stop();
    }
  });
});
