import assert from "node:assert/strict";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { RecordingServer } from "../helpers/recording-server.js";
import { removeDir, runCli, tempDir } from "./helpers.js";

let server: RecordingServer;
let dir: string;

before(async () => {
  server = await RecordingServer.start();
});
after(() => server.close());
beforeEach(() => {
  dir = tempDir();
  server.requests.length = 0;
  server.otherwise((req) => (req.path.endsWith("/deploy") ? { status: 201, json: deployed } : { json: {} }));
});
afterEach(() => removeDir(dir));

const deployed = { agent: "a", agent_name: "a", status: "created", phase: "Pending", tools_created: [] };

function write(files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

const deploy = (...args: string[]) =>
  runCli(["deploy", ...args], { env: { HOME: dir, RUNAGENTS_ENDPOINT: server.url }, cwd: dir });

const deployBody = () => server.requests.find((r) => r.path === "/api/v1/deploy")?.json;

describe("deploy from flags", () => {
  test("sends the B7 payload: file keys, requirements, entry point, tools, model, policies, IdP", async () => {
    write({
      "agent.ts": "export const handler = () => 'hi';\n",
      "lib/util.ts": "export {};\n",
      "deps.txt": "zod\n",
    });
    const outside = tempDir();
    writeFileSync(join(outside, "extra.ts"), "// extra\n");
    try {
      const result = await deploy(
        "--name",
        "a",
        "--file",
        "agent.ts",
        "--file",
        "./lib/util.ts",
        "--file",
        join(outside, "extra.ts"),
        "--requirements-file",
        "deps.txt",
        "--entry-point",
        "agent.ts",
        "--tool",
        "search",
        "--tool",
        " crm ",
        "--model",
        "openai/gpt-4o",
        "--policy",
        "p1",
        "--identity-provider",
        "corp",
        "--no-wait",
      );
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(server.calls(), ["POST /api/v1/analyze", "POST /api/v1/deploy"]);
      assert.deepEqual(deployBody(), {
        agent_name: "a",
        source_files: {
          "agent.ts": "export const handler = () => 'hi';\n",
          "lib/util.ts": "export {};\n",
          "extra.ts": "// extra\n",
        },
        requirements: "zod\n",
        entry_point: "agent.ts",
        required_tools: ["search", "crm"],
        llm_configs: [{ provider: "openai", model: "gpt-4o" }],
        policies: ["p1"],
        identity_provider: "corp",
      });
      assert.equal(
        result.stdout,
        'Agent "a" deploy accepted; it builds and starts in the background (see "runagents agents get a").\n' +
          "Agent:          a\nTools created:  -\nStatus:         Pending\n",
      );
      assert.match(
        result.stderr,
        /^Analyzing 3 source file\(s\)\.\.\.\nUploading to http:\/\/127\.0\.0\.1:\d+ \(3 files, 0\.1 KiB\)\.\.\.\n$/,
      );
    } finally {
      removeDir(outside);
    }
  });

  test("a draft is deployed without analysis; -o json prints the platform's body", async () => {
    const result = await deploy("--name", "a", "--draft-id", "d1", "--no-wait", "-o", "json");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(server.calls(), ["POST /api/v1/deploy"]);
    assert.deepEqual(deployBody(), { agent_name: "a", draft_id: "d1" });
    assert.deepEqual(JSON.parse(result.stdout), deployed);
  });

  test("bad flag combinations are usage errors and send nothing", async () => {
    write({ "agent.ts": "x" });
    const cases: [string[], number, string][] = [
      [
        ["--name", "a", "--file", "agent.ts", "--draft-id", "d"],
        2,
        "provide only one deploy source: --file, --draft-id, or --artifact-id",
      ],
      [["--file", "agent.ts"], 2, "--name is required with --file, --draft-id or --artifact-id"],
      [
        ["--name", "a", "--draft-id", "d", "--entry-point", "x.ts"],
        2,
        "--requirements-file, --entry-point and --framework can only be used with --file",
      ],
      [
        ["--name", "a", "--file", "agent.ts", "--model", "gpt-4o"],
        2,
        'invalid --model "gpt-4o": expected provider/model',
      ],
      [
        ["--name", "a", "--file", "agent.ts", "--file", "./agent.ts"],
        1,
        'duplicate source file key "agent.ts" (from ./agent.ts)',
      ],
      [
        ["--name", "A_b", "--draft-id", "d"],
        1,
        'invalid agent name "A_b": use lower-case letters, digits and "-", start and end with a letter or digit, at most 63 characters',
      ],
      [["--timeout", "x"], 2, 'invalid duration "x" for --timeout: use e.g. 500ms, 30s, 5m or 1h'],
      [[], 1, "runagents.yaml not found. Run 'runagents init' first."],
    ];
    for (const [args, code, message] of cases) {
      assert.deepEqual(
        await deploy(...args),
        { code, stdout: "", stderr: `Error: ${message}\n` },
        args.join(" "),
      );
    }
    assert.deepEqual(server.calls(), []);
  });
});

describe("deploy from runagents.yaml", () => {
  test("uploads the project's sources (no dotfiles, build output or ignored files) with the yaml settings", async () => {
    write({
      "runagents.yaml":
        "name: yaml-agent\ntools:\n  - search-api\nmodel:\n  provider: anthropic\n  model: claude-x\n" +
        "system_prompt: |\n  You are terse.\n  Answer briefly.\nentry_point: agent.ts\n",
      "agent.ts": "export function handler() { return 'ok'; }\n",
      "lib/x.ts": "export const x = 1;\n",
      "package.json": '{"name":"yaml-agent"}\n',
      "package-lock.json": "{}\n",
      "README.md": "# readme\n",
      ".env": "OPENAI_API_KEY=sk-secret\n",
      ".gitignore": "secret.txt\ngenerated/\n*.log.ts\n",
      "secret.txt": "nope\n",
      "generated/g.ts": "nope\n",
      "debug.log.ts": "nope\n",
      "node_modules/dep/index.js": "nope\n",
      "dist/agent.js": "nope\n",
    });
    const result = await deploy("--no-wait");
    assert.equal(result.code, 0, result.stderr);
    const body = deployBody() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body.source_files as object), [
      "agent.ts",
      "lib/x.ts",
      "package.json",
      "runagents.yaml",
    ]);
    assert.deepEqual(
      { ...body, source_files: undefined },
      {
        agent_name: "yaml-agent",
        source_files: undefined,
        entry_point: "agent.ts",
        system_prompt: "You are terse.\nAnswer briefly.",
        required_tools: ["search-api"],
        llm_configs: [{ provider: "anthropic", model: "claude-x" }],
      },
    );
  });

  test("flags override the yaml; a missing entry point is an error", async () => {
    write({ "runagents.yaml": "name: y\nentry_point: main.ts\n", "agent.ts": "x\n" });
    assert.deepEqual(await deploy("--no-wait"), {
      code: 1,
      stdout: "",
      stderr: "Error: entry point main.ts not found in the project\n",
    });
    const result = await deploy("--no-wait", "--entry-point", "agent.ts", "--name", "z", "--tool", "t1");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(deployBody(), {
      agent_name: "z",
      source_files: { "agent.ts": "x\n", "runagents.yaml": "name: y\nentry_point: main.ts\n" },
      entry_point: "agent.ts",
      required_tools: ["t1"],
    });
  });
});

describe("waiting for the agent", () => {
  test("waits through Pending until Running", async () => {
    write({ "runagents.yaml": "name: a\n", "agent.ts": "x\n" });
    let polls = 0;
    server.otherwise((req) => {
      if (req.path.endsWith("/deploy")) return { status: 201, json: deployed };
      if (req.path === "/api/v1/agents/a")
        return { json: { name: "a", status: { phase: ++polls > 1 ? "Running" : "Pending" } } };
      return { json: {} };
    });
    const result = await deploy();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(
      result.stdout,
      'Agent "a" deployed successfully.\nAgent:          a\nTools created:  -\nStatus:         Running\n',
    );
    assert.match(result.stderr, /\nBuilding\.\.\. \(status: Pending\)\n$/);
    assert.equal(polls, 2);
  });

  test("an agent still Pending at the deadline is a timeout error", async () => {
    write({ "runagents.yaml": "name: a\n", "agent.ts": "x\n" });
    server.otherwise((req) => {
      if (req.path.endsWith("/deploy")) return { status: 201, json: deployed };
      if (req.path === "/api/v1/agents/a") return { json: { name: "a", status: { phase: "Pending" } } };
      return { json: {} };
    });
    const result = await deploy("--timeout", "1200ms");
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "", "no success is claimed before the agent runs");
    assert.match(
      result.stderr,
      /\nBuilding\.\.\. \(status: Pending\)\nError: timed out after 1200ms waiting for agent "a" to be Running \(status: Pending\)\n$/,
    );
  });

  test("a Failed agent prints its last log lines and exits 1", async () => {
    write({ "runagents.yaml": "name: a\n", "agent.ts": "x\n" });
    server.otherwise((req) => {
      if (req.path.endsWith("/deploy")) return { status: 201, json: deployed };
      if (req.path === "/api/v1/agents/a")
        return { json: { name: "a", status: { phase: "Failed", message: "exit 1" } } };
      if (req.path === "/api/v1/agents/a/logs") return { json: { lines: ["starting", "TypeError: boom"] } };
      return { json: {} };
    });
    const result = await deploy("--timeout", "10s");
    assert.equal(result.code, 1);
    assert.ok(server.calls().includes("GET /api/v1/agents/a/logs?tail=20"));
    assert.match(
      result.stderr,
      /\nLast log lines:\n {2}starting\n {2}TypeError: boom\nError: agent "a" Failed: exit 1\n$/,
    );
  });
});

describe("optional peers", () => {
  test("without yaml or @runagents/platform installed, the commands say what to install", async () => {
    const copy = tempDir();
    try {
      cpSync(fileURLToPath(new URL("../../src/", import.meta.url)), join(copy, "src"), { recursive: true });
      write({ "p.yaml": "name: p\n" });
      const main = join(copy, "src", "cli", "main.js");
      const { spawnSync } = await import("node:child_process");
      const run = (...args: string[]) =>
        spawnSync(process.execPath, [main, ...args], {
          cwd: dir,
          env: { PATH: process.env.PATH, HOME: dir },
          encoding: "utf8",
        });
      const yaml = run("policies", "apply", "-f", "p.yaml");
      assert.equal(yaml.stderr, "Error: reading YAML needs the optional dependency yaml: npm install yaml\n");
      assert.equal(yaml.status, 1);
      const up = run("up", "--port", "0");
      assert.equal(
        up.stderr,
        "Error: runagents up needs @runagents/platform: npm install @runagents/platform\n",
      );
      assert.equal(up.status, 1);
    } finally {
      removeDir(copy);
    }
  });
});
