import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { HandlerLoadError, loadUserHandler } from "../../src/runtime/handler-loader.js";
import { FakePlatform, post } from "./fake-platform.js";

const MAIN = fileURLToPath(new URL("../../src/runtime/main.js", import.meta.url));

let fake: FakePlatform;
let dir: string;
before(async () => {
  fake = await FakePlatform.start();
  dir = mkdtempSync(join(tmpdir(), "runagents-runtime-test-"));
});
after(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
}

/** Spawns `node main.js` and resolves with its URL once it logs `runtime_starting`. */
function spawnRuntime(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: "0",
      LLM_GATEWAY_URL: fake.gatewayUrl,
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stderr as NodeJS.ReadableStream });
    const seen: string[] = [];
    lines.on("line", (line) => {
      seen.push(line);
      const entry = JSON.parse(line) as { msg: string; port?: number };
      if (entry.msg === "runtime_starting") resolve({ child, url: `http://127.0.0.1:${entry.port}` });
    });
    child.once("exit", (code) => reject(new Error(`runtime exited with ${code}: ${seen.join("\n")}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.kill("SIGTERM");
  });
}

function runToExit(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stderr })));
}

describe("the runnable entry (node main.js)", () => {
  test("runs a TypeScript entry point that imports ./x.js from x.ts, with no build step", async () => {
    writeFileSync(
      join(dir, "greet.ts"),
      [
        "export interface Greeting { text: string }",
        'export const greet = (name: string): Greeting => ({ text: "Hello, " + name + "!" });',
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "agent.ts"),
      [
        'import { greet, type Greeting } from "./greet.js";',
        "type Request = { message: string; run_id?: string };",
        "export async function handler(request: Request): Promise<{ response: string; run: string | undefined }> {",
        "  const greeting: Greeting = greet(request.message);",
        "  return { response: greeting.text, run: request.run_id };",
        "}",
        "",
      ].join("\n"),
    );
    const { child, url } = await spawnRuntime({ USER_ENTRY_POINT: "agent.ts", RUNAGENTS_USER_CODE_DIR: dir });
    try {
      const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
      assert.equal(health.user_code, true);
      const response = await post(`${url}/invoke`, { message: "Ada" }, { "X-Run-ID": "run-ts" });
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(response.status, 200);
      assert.equal(body.response, "Hello, Ada!");
      assert.equal(body.run, "run-ts");
      assert.equal(body.handler, "user");
    } finally {
      assert.equal(await stop(child), 0);
    }
  });

  test("a module that fails to import is reported on /healthz and /invoke, not replaced", async () => {
    writeFileSync(
      join(dir, "broken.mjs"),
      'throw new Error("kaboom at import");\nexport function handler() {}\n',
    );
    const { child, url } = await spawnRuntime({ USER_ENTRY_POINT: join(dir, "broken.mjs") });
    try {
      const health = (await (await fetch(`${url}/healthz`)).json()) as Record<string, unknown>;
      assert.equal(health.user_code, false);
      assert.equal(
        health.user_code_error,
        `failed to import ${join(dir, "broken.mjs")}: Error: kaboom at import`,
      );
      const response = await post(`${url}/invoke`, { message: "hi" }, { "X-Request-Id": "req-b" });
      assert.equal(response.status, 500);
      assert.deepEqual(await response.json(), {
        error: `user code failed to load: failed to import ${join(dir, "broken.mjs")}: Error: kaboom at import`,
        request_id: "req-b",
      });
      assert.equal((await fetch(`${url}/readyz`)).status, 503);
      assert.equal(fake.to("/v1/chat/completions").length, 0);
    } finally {
      await stop(child);
    }
  });

  test("an invalid PORT is one line on stderr and exit code 1", async () => {
    const result = await runToExit({ PORT: "eighty" });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      "runagents-runtime: PORT must be an integer between 0 and 65535, got 'eighty'\n",
    );
  });

  test("an invalid MAX_TOOL_ITERATIONS is one line on stderr and exit code 1", async () => {
    const result = await runToExit({ MAX_TOOL_ITERATIONS: "-1" });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      "runagents-runtime: MAX_TOOL_ITERATIONS must be an integer between 0 and 10000, got '-1'\n",
    );
  });
});

describe("handler discovery", () => {
  test("a named handler export wins over default and main", async () => {
    writeFileSync(
      join(dir, "all.mjs"),
      "export function handler() {}\nexport default function d() {}\nexport function main() {}\n",
    );
    assert.equal((await loadUserHandler(join(dir, "all.mjs"))).source, "handler");
  });

  test("a default-exported function is used when there is no handler", async () => {
    writeFileSync(
      join(dir, "def.mjs"),
      "export default function agent(request, ctx) {}\nexport function main() {}\n",
    );
    const loaded = await loadUserHandler("def", { userCodeDir: dir });
    assert.equal(loaded.source, "default");
    assert.equal(loaded.shape.arity, 2);
  });

  test("main is used last, including from a CommonJS module", async () => {
    writeFileSync(join(dir, "legacy.cjs"), "module.exports = { main(message) { return message; } };\n");
    const loaded = await loadUserHandler(join(dir, "legacy.cjs"));
    assert.equal(loaded.source, "main");
    assert.equal(loaded.shape.passMessage, true);
  });

  test("a module with no handler names what to export", async () => {
    writeFileSync(join(dir, "none.mjs"), "export const x = 1;\n");
    await assert.rejects(loadUserHandler(join(dir, "none.mjs")), {
      name: "HandlerLoadError",
      message: `no handler in ${join(dir, "none.mjs")}: export a function named "handler", a default function, or "main"`,
    });
  });

  test("a missing entry point says where it looked", async () => {
    await assert.rejects(loadUserHandler("missing.ts", { userCodeDir: dir, cwd: dir }), (error: unknown) => {
      assert.ok(error instanceof HandlerLoadError);
      assert.equal(error.message, `entry point missing.ts not found (looked in ${dir}, /app)`);
      return true;
    });
  });

  test("without type stripping or typescript, a .ts entry says exactly what to install", async () => {
    writeFileSync(join(dir, "plain.ts"), "export const handler = (): string => 'x';\n");
    await assert.rejects(loadUserHandler(join(dir, "plain.ts"), { detectTs: () => ({ kind: "none" }) }), {
      name: "TypeScriptUnavailable",
      message: new RegExp(
        `^Cannot load .*plain\\.ts: .*npm install --save-dev typescript\\\` in ${dir}\\).*Node\\.js >= 22\\.6`,
      ),
    });
  });
});
