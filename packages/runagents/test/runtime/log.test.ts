import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createLogger, LOG_BATCH_BYTES } from "../../src/runtime/log.js";
import { post } from "./fake-platform.js";

const MAIN = fileURLToPath(new URL("../../src/runtime/main.js", import.meta.url));

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "runagents-log-test-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface Child {
  url: Promise<string>;
  exited: Promise<{ code: number | null; signal: string | null; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

/** The real entry point with `handler` as its user code; stderr collected whole. */
function runtime(handler: string): Child {
  const file = join(dir, `agent-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, handler);
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      AGENT_NAME: "log-test",
      USER_ENTRY_POINT: file,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  const url = new Promise<string>((resolve, reject) => {
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
      const match = /"msg":"runtime_starting","port":(\d+)/.exec(stderr);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    });
    child.once("exit", () => reject(new Error(`runtime exited before listening:\n${stderr}`)));
  });
  url.catch(() => {});
  const exited = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal, stderr })),
  );
  return { url, exited, kill: (signal) => child.kill(signal) };
}

function messages(stderr: string): string[] {
  return stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);
}

describe("runtime log lines are batched and never lost", () => {
  test("every request's line is written by SIGTERM, in order, one JSON object per line", async () => {
    const child = runtime('export default (request: { message: string }) => "ok " + request.message;\n');
    const url = await child.url;
    const ids = Array.from({ length: 40 }, (_, i) => `req-${i}`);
    for (const id of ids) {
      const response = await post(`${url}/invoke`, { message: id }, { "X-Request-ID": id });
      assert.equal(response.status, 200);
      await response.arrayBuffer();
    }
    child.kill("SIGTERM");
    const { code, stderr } = await child.exited;
    assert.equal(code, 0);
    const lines = stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { msg: string; request_id?: string });
    const completed = lines.filter((l) => l.msg === "invoke_complete").map((l) => l.request_id);
    assert.deepEqual(completed, ids);
    assert.equal(lines.at(-1)?.msg, "shutting_down");
  });

  test("a crash (uncaught exception) right after a request: its line precedes the stack trace", async () => {
    const child = runtime(
      [
        "export default (request: { message: string }) => {",
        '  setImmediate(() => { throw new Error("crash-after-answer"); });',
        '  return "ok " + request.message;',
        "};",
        "",
      ].join("\n"),
    );
    const url = await child.url;
    const response = await post(`${url}/invoke`, { message: "x" }, { "X-Request-ID": "before-crash" });
    assert.equal(response.status, 200);
    const { code, stderr } = await child.exited;
    assert.notEqual(code, 0);
    const logged = stderr.indexOf('"request_id":"before-crash"');
    assert.ok(logged !== -1, stderr);
    assert.ok(logged < stderr.indexOf("crash-after-answer"), stderr);
  });

  test("process.exit() from user code: the lines waiting are written first", async () => {
    const child = runtime(
      ["export default () => {", "  setImmediate(() => process.exit(3));", '  return "bye";', "};", ""].join(
        "\n",
      ),
    );
    const url = await child.url;
    const response = await post(`${url}/invoke`, { message: "x" }, { "X-Request-ID": "before-exit" });
    assert.equal(response.status, 200);
    const { code, stderr } = await child.exited;
    assert.equal(code, 3);
    assert.ok(messages(stderr).includes("invoke_complete"), stderr);
    assert.match(stderr, /"request_id":"before-exit"/);
  });
});

describe("createLogger", () => {
  test("writes the contract's line: ts, level, agent, msg, then fields; undefined fields dropped", () => {
    const lines: string[] = [];
    const logger = createLogger('agent "q"', (line) => lines.push(line));
    logger.info("hello", { n: 1, nested: { a: [1, "b"] }, gone: undefined, 'we"ird': "x\ny" });
    logger.error("bare");
    assert.equal(lines.length, 2);
    assert.ok(lines.every((line) => line.endsWith("}\n") && !line.slice(0, -1).includes("\n")));
    const first = JSON.parse(lines[0] as string) as Record<string, unknown>;
    assert.match(first.ts as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(
      { ...first, ts: undefined },
      {
        ts: undefined,
        level: "info",
        agent: 'agent "q"',
        msg: "hello",
        n: 1,
        nested: { a: [1, "b"] },
        'we"ird': "x\ny",
      },
    );
    assert.deepEqual(Object.keys(first).slice(0, 4), ["ts", "level", "agent", "msg"]);
    assert.equal((JSON.parse(lines[1] as string) as { level: string }).level, "error");
  });

  test("a batch larger than the size limit is still written whole (checked in a child process)", async () => {
    const script = join(dir, "burst.mjs");
    const logModule = fileURLToPath(new URL("../../src/runtime/log.js", import.meta.url));
    writeFileSync(
      script,
      [
        `import { createLogger } from ${JSON.stringify(logModule)};`,
        'const logger = createLogger("burst");',
        `for (let i = 0; i < 2000; i++) logger.info("line", { i, pad: "x".repeat(${Math.ceil(LOG_BATCH_BYTES / 200)}) });`,
        "process.exitCode = 0;",
        "",
      ].join("\n"),
    );
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
    });
    const code = await new Promise((resolve) => child.once("close", resolve));
    assert.equal(code, 0);
    const seen = stderr
      .trim()
      .split("\n")
      .map((line) => (JSON.parse(line) as { i: number }).i);
    assert.deepEqual(
      seen,
      Array.from({ length: 2000 }, (_, i) => i),
    );
  });
});
