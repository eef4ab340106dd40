import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../../src/cli/package-root.js";
import { LiveCli, removeDir, runCli, tempDir } from "./helpers.js";

const FILES = [
  ".cursorrules",
  ".gitignore",
  ".mcp.json",
  "AGENTS.md",
  "CLAUDE.md",
  "agent.ts",
  "package.json",
  "runagents.yaml",
  "tsconfig.json",
];

let dir: string;
before(() => {
  dir = tempDir();
});
after(() => removeDir(dir));

describe("runagents init", () => {
  test("scaffolds a TypeScript project and prints next steps", async () => {
    const result = await runCli(["init", "demo"], { env: { HOME: dir }, cwd: dir });
    assert.deepEqual(result, {
      code: 0,
      stderr: "",
      stdout: [
        "Created project 'demo/' with:",
        ...FILES.map((f) => `  ${f}`),
        "",
        "Next steps:",
        "  cd demo",
        "  npm install",
        "  runagents dev        # agent on :8080, mock tools on :9090",
        "  runagents deploy     # deploy to the platform (runagents up starts one locally)",
        "",
      ].join("\n"),
    });
    const read = (f: string) => readFileSync(join(dir, "demo", f), "utf8");
    assert.deepEqual(JSON.parse(read(".mcp.json")), {
      mcpServers: { runagents: { command: "npx", args: ["--no-install", "runagents-mcp"], env: {} } },
    });
    assert.equal(
      read("runagents.yaml"),
      "# RunAgents project: read by `runagents dev` and `runagents deploy`.\nname: demo\n" +
        "# Tools this agent may call (each becomes TOOL_URL_<NAME>); in dev they answer from a mock server.\n" +
        "tools: []\nmodel:\n  provider: openai\n  model: gpt-4o-mini\nsystem_prompt: |\n" +
        "  You are a helpful assistant.\nentry_point: agent.ts\n",
    );
    const pkg = JSON.parse(read("package.json")) as Record<string, Record<string, string>>;
    assert.equal(pkg.dependencies?.runagents, `file:${packageRoot()}`);
    assert.equal(pkg.devDependencies?.["@modelcontextprotocol/sdk"], "^1.32.0", "the MCP server's SDK");
    assert.equal(pkg.type as unknown, "module");
    assert.match(
      read("agent.ts"),
      /^import \{ Agent, type HandlerRequest, type RunContext \} from "runagents\/agent";$/m,
    );
    assert.match(read("agent.ts"), /await agent\.chat\(message/);
  });

  test("refuses to overwrite, and rejects names that are not DNS labels", async () => {
    writeFileSync(join(dir, "demo", "agent.ts"), "// mine\n");
    assert.deepEqual(await runCli(["init", "demo"], { env: { HOME: dir }, cwd: dir }), {
      code: 1,
      stdout: "",
      stderr: "Error: demo/agent.ts already exists; refusing to overwrite\n",
    });
    assert.equal(readFileSync(join(dir, "demo", "agent.ts"), "utf8"), "// mine\n");
    const bad = await runCli(["init", "My_Agent"], { env: { HOME: dir }, cwd: dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error: invalid project name "My_Agent": use lower-case letters/);
    assert.ok(!existsSync(join(dir, "My_Agent")));
    mkdirSync(join(dir, "here-agent"));
    const here = await runCli(["init", "."], { env: { HOME: dir }, cwd: join(dir, "here-agent") });
    assert.equal(here.code, 0, here.stderr);
    assert.match(readFileSync(join(dir, "here-agent", "runagents.yaml"), "utf8"), /^name: here-agent$/m);
  });
});

/** A local stand-in for the OpenAI chat-completions API that echoes the last message. */
function fakeOpenAi(seen: string[]): Server {
  return createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      const parsed = JSON.parse(body) as { model: string; messages: { content: string }[] };
      const last = parsed.messages.at(-1)?.content ?? "";
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id: "c1",
          model: parsed.model,
          choices: [
            { index: 0, message: { role: "assistant", content: `you said: ${last}` }, finish_reason: "stop" },
          ],
        }),
      );
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const invoke = async (port: number, message: string) => {
  const res = await fetch(`http://127.0.0.1:${port}/invoke`, {
    method: "POST",
    body: JSON.stringify({ message }),
  });
  return (await res.json()) as { response: string };
};

const runtimeBuilt = existsSync(fileURLToPath(new URL("../../src/runtime/main.js", import.meta.url)));

describe("runagents dev", { skip: runtimeBuilt ? false : "the agent runtime is not built" }, () => {
  test("npm install, then dev serves /invoke with mock tools and restarts on changes; SIGTERM stops it", async () => {
    const project = join(dir, "devproj");
    assert.equal((await runCli(["init", "devproj"], { env: { HOME: dir }, cwd: dir })).code, 0);
    const install = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], {
      cwd: project,
      encoding: "utf8",
    });
    assert.equal(install.status, 0, install.stderr);
    writeFileSync(
      join(project, "runagents.yaml"),
      readFileSync(join(project, "runagents.yaml"), "utf8").replace("tools: []", "tools: [search-api]"),
    );

    const seen: string[] = [];
    const openai = fakeOpenAi(seen);
    await new Promise<void>((resolve) => openai.listen(0, "127.0.0.1", resolve));
    const [port, mockPort, deadPort] = [await freePort(), await freePort(), await freePort()];
    mkdirSync(join(dir, ".runagents"), { recursive: true });
    writeFileSync(
      join(dir, ".runagents", "config.json"),
      JSON.stringify({ endpoint: `http://127.0.0.1:${deadPort}` }),
    );
    const env = {
      HOME: dir,
      OPENAI_API_KEY: "sk-test-key",
      OPENAI_BASE_URL: `http://127.0.0.1:${(openai.address() as AddressInfo).port}/v1`,
    };
    const dev = new LiveCli(["dev", "--port", String(port), "--mock-port", String(mockPort), "--watch"], {
      env,
      cwd: project,
    });
    try {
      await dev.waitFor(/^Ready: /);
      assert.deepEqual(dev.stdout.slice(0, 5), [
        "RunAgents Dev Server",
        `  Agent:       http://127.0.0.1:${port}`,
        `  Mock tools:  http://127.0.0.1:${mockPort} (search-api)`,
        `  Model:       gpt-4o-mini via OpenAI at ${env.OPENAI_BASE_URL}`,
        "  Entry point: agent.ts",
      ]);
      assert.equal((await invoke(port, "Hello")).response, "you said: Hello");
      assert.deepEqual(seen, ["POST /v1/chat/completions Bearer sk-test-key"]);

      const lines = dev.stdout.length;
      writeFileSync(
        join(project, "agent.ts"),
        'import { Agent } from "runagents/agent";\nconst agent = new Agent();\n' +
          "export async function handler(request: { message: string }) {\n" +
          '  const result = await agent.callTool({ name: "search-api", path: "/q", payload: { q: request.message } });\n' +
          "  return { response: JSON.stringify(result) };\n}\n",
      );
      await dev.waitFor(/^ {2}\[dev\] Restarting agent\.\.\.$/, "stdout", lines);
      await dev.waitFor(/^Ready: /, "stdout", lines);
      assert.deepEqual(JSON.parse((await invoke(port, "weather")).response), {
        method: "POST",
        path: "/q",
        received: { q: "weather" },
        mock: true,
        result: "Mock response for /q",
      });
      assert.ok(dev.stdout.includes("  [mock] POST /q"));
    } finally {
      assert.equal(await dev.stop("SIGTERM"), 0);
      openai.close();
    }
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
    await assert.rejects(fetch(`http://127.0.0.1:${mockPort}/`));
  });

  test("dev without runagents.yaml says to run init", async () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    assert.deepEqual(await runCli(["dev"], { env: { HOME: dir }, cwd: empty }), {
      code: 1,
      stdout: "",
      stderr: "Error: runagents.yaml not found. Run 'runagents init' first.\n",
    });
  });
});
