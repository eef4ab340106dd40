import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { analyzeSources, detectRequirements } from "../../src/deploy/analyze.js";

const AGENT_TS = [
  'import { Agent } from "runagents";', // 1
  'import OpenAI from "openai";', // 2
  'import { z } from "zod/v4";', // 3
  'import { readFile } from "node:fs/promises";', // 4
  'import path from "path";', // 5
  'import { helper } from "./helper.js";', // 6
  'import type { Thing } from "@scope/pkg/sub";', // 7
  "import {", // 8
  "  a,", // 9
  '} from "multi-line";', // 10
  'const lazy = await import("lodash-es");', // 11
  'const axios = require("axios");', // 12
  '// await fetch("https://commented.example.com/x");', // 13
  'const SYSTEM_PROMPT = process.env.SYSTEM_PROMPT ?? "You are a billing assistant.\\nBe brief.";', // 14
  "const client = new OpenAI();", // 15
  "const agent = new Agent();", // 16
  "export async function handler(input) {", // 17
  '  await agent.callTool("echo-tool", { a: 1 });', // 18
  "  const weather = process.env.TOOL_URL_WEATHER_API;", // 19
  '  const crm = process.env["TOOL_URL_CRM"];', // 20
  '  await fetch("https://api.stripe.com/v1/charges?limit=1");', // 21
  // biome-ignore lint/suspicious/noTemplateCurlyInString: this is source text under analysis
  "  await fetch(`https://api.github.com/repos/${input.repo}`);", // 22
  '  await fetch("https://api.stripe.com/v1/customers");', // 23
  '  await fetch("http://localhost:3000/health");', // 24
  '  const r = await client.chat.completions.create({ model: "gpt-4o", messages: [] });', // 25
  '  return agent.chat("hi");', // 26
  "}", // 27
].join("\n");

describe("analyzeSources on a TypeScript agent", () => {
  const result = analyzeSources({ "agent.ts": AGENT_TS, "helper.ts": "export const helper = 1;\n" });

  it("reports tools from callTool, TOOL_URL_* reads and literal URLs, deduplicated and sorted by name", () => {
    assert.deepEqual(result.tools, [
      { name: "crm", base_url: "", file: "agent.ts", line: 20 },
      { name: "echo-tool", base_url: "", file: "agent.ts", line: 18 },
      { name: "github-api", base_url: "https://api.github.com", file: "agent.ts", line: 22 },
      { name: "stripe-api", base_url: "https://api.stripe.com", file: "agent.ts", line: 21 },
      { name: "weather-api", base_url: "", file: "agent.ts", line: 19 },
    ]);
  });

  it("lists the hosts of literal URLs (not commented ones) as outbound destinations", () => {
    assert.deepEqual(result.outbound_destinations, ["api.github.com", "api.stripe.com", "localhost:3000"]);
  });

  it("derives requirements from imports, skipping relative paths and Node builtins", () => {
    assert.deepEqual(result.detected_requirements, [
      "@scope/pkg",
      "axios",
      "lodash-es",
      "multi-line",
      "openai",
      "runagents",
      "zod",
    ]);
  });

  it("detects the model provider, the model literal and the model usages", () => {
    assert.deepEqual(result.model_providers, [{ provider: "openai", model: "gpt-4o" }]);
    assert.deepEqual(result.model_usages, [
      { role: "default", variable_name: "client", file: "agent.ts", line: 15 },
      { role: "default", variable_name: "agent", file: "agent.ts", line: 16 },
      { role: "chat", variable_name: "client", file: "agent.ts", line: 25 },
      { role: "chat", variable_name: "agent", file: "agent.ts", line: 26 },
    ]);
  });

  it("picks the handler file as entry point, the runagents framework and the node runtime", () => {
    assert.equal(result.entry_point, "agent.ts");
    assert.equal(result.adapter, "handler");
    assert.equal(result.framework, "runagents");
    assert.equal(result.runtime_family, "node");
  });

  it("suggests the system prompt literal, unescaped", () => {
    assert.equal(result.system_prompt_suggestion, "You are a billing assistant.\nBe brief.");
  });

  it("finds no secrets in clean code", () => {
    assert.deepEqual(result.secrets, []);
  });
});

describe("analyzeSources on a Python agent", () => {
  const result = analyzeSources({
    "agent.py": [
      "import os, json",
      "import requests as rq, yaml",
      "from anthropic import Anthropic",
      "from langchain_openai import ChatOpenAI",
      "from . import sibling",
      "from tools.weather import forecast",
      "SYSTEM_PROMPT = '''You answer",
      "questions.'''",
      "def handler(request):",
      "    client = Anthropic()",
      "    model = 'claude-3-5-sonnet-latest'",
      '    url = os.getenv("TOOL_URL_SLACK_BOT")',
      '    other = os.environ["TOOL_URL_JIRA"]',
      "    # call_tool('ignored-tool')",
      "    return call_tool('echo')",
    ].join("\n"),
    "tools/weather.py": "def forecast():\n    return 1\n",
  });

  it("reports python requirements mapped to pip names, minus stdlib and local modules", () => {
    assert.deepEqual(result.detected_requirements, ["anthropic", "langchain-openai", "pyyaml", "requests"]);
  });

  it("reports tools from call_tool and os.environ / os.getenv reads", () => {
    assert.deepEqual(
      result.tools.map((tool) => [tool.name, tool.line]),
      [
        ["echo", 15],
        ["jira", 13],
        ["slack-bot", 12],
      ],
    );
  });

  it("reports providers, framework, runtime family, entry point and triple-quoted prompt", () => {
    assert.deepEqual(result.model_providers, [
      { provider: "anthropic", model: "claude-3-5-sonnet-latest" },
      { provider: "openai", model: "" },
    ]);
    assert.deepEqual(result.model_usages, [
      { role: "default", variable_name: "client", file: "agent.py", line: 10 },
    ]);
    assert.equal(result.framework, "langchain");
    assert.equal(result.runtime_family, "python");
    assert.equal(result.entry_point, "agent.py");
    assert.equal(result.adapter, "handler");
    assert.equal(result.system_prompt_suggestion, "You answer\nquestions.");
  });
});

describe("entry point choice", () => {
  const entry = (files: Record<string, string>): [string, string] => {
    const result = analyzeSources(files);
    return [result.entry_point, result.adapter];
  };

  it("prefers a handler export over a default export and main", () => {
    assert.deepEqual(
      entry({
        "index.ts": "export default async function (input) {}",
        "src/run.ts": "const handler = () => 1;\nexport { handler };",
        "main.ts": "async function main() {}\nmain();",
      }),
      ["src/run.ts", "handler"],
    );
  });

  it("recognises handler under an alias and in CommonJS", () => {
    assert.deepEqual(entry({ "lib/x.js": "function run() {}\nexport { run as handler };" }), [
      "lib/x.js",
      "handler",
    ]);
    assert.deepEqual(entry({ "lib/y.cjs": "exports.handler = async () => 1;" }), ["lib/y.cjs", "handler"]);
  });

  it("falls back to a default export function, then main", () => {
    assert.deepEqual(entry({ "bot.ts": "export default (input) => input;" }), ["bot.ts", "default-export"]);
    assert.deepEqual(entry({ "bot.ts": "export default { a: 1 };", "cli.ts": "function main() {}" }), [
      "cli.ts",
      "main",
    ]);
  });

  it("breaks ties by conventional name, then folder, then TypeScript over JavaScript", () => {
    const both = "export function handler() {}";
    assert.deepEqual(entry({ "zeta.ts": both, "src/agent.ts": both }), ["src/agent.ts", "handler"]);
    assert.deepEqual(entry({ "src/index.ts": both, "index.ts": both }), ["index.ts", "handler"]);
    assert.deepEqual(entry({ "agent.js": both, "agent.ts": both }), ["agent.ts", "handler"]);
  });

  it("ignores tests and declaration files, and uses a conventional name when nothing is exported", () => {
    assert.deepEqual(
      entry({
        "agent.test.ts": "export function handler() {}",
        "agent.d.ts": "export declare function handler(): void;",
        "index.ts": "console.log(1);",
      }),
      ["index.ts", "builtin"],
    );
    assert.deepEqual(entry({ "util.ts": "export const x = 1;" }), ["", "builtin"]);
  });

  it("reads python def handler before def main", () => {
    assert.deepEqual(entry({ "app.py": "def main():\n  pass", "worker.py": "def handler(req):\n  pass" }), [
      "worker.py",
      "handler",
    ]);
  });
});

describe("detectRequirements", () => {
  it("returns the sorted unique requirements and the entry point", () => {
    assert.deepEqual(
      detectRequirements({
        "src/agent.ts":
          'import "dotenv/config";\nimport x from "@a/b/c";\nimport y from "dotenv";\nexport const handler = 1;',
        "src/util.ts":
          'import fs from "fs";\nimport { t } from "#internal";\nimport u from "https://esm.sh/u";',
      }),
      { requirements: ["@a/b", "dotenv"], entry_point: "src/agent.ts" },
    );
  });
});

describe("model providers without literals", () => {
  it("uses the runtime default model for runagents-only agents", () => {
    const result = analyzeSources({
      "agent.ts": 'import { Agent } from "runagents";\nexport const handler = 1;',
    });
    assert.deepEqual(result.model_providers, [{ provider: "openai", model: "gpt-4o-mini" }]);
    assert.equal(result.system_prompt_suggestion, "You are a helpful assistant.");
  });

  it("reports an imported SDK with an empty model, and LLM_MODEL_<ROLE> env reads as usages", () => {
    const result = analyzeSources({
      "a.ts": 'import Anthropic from "@anthropic-ai/sdk";\nconst m = process.env.LLM_MODEL_EMBEDDING;',
    });
    assert.deepEqual(result.model_providers, [{ provider: "anthropic", model: "" }]);
    assert.deepEqual(result.model_usages, [
      { role: "embedding", variable_name: "LLM_MODEL_EMBEDDING", file: "a.ts", line: 2 },
    ]);
    assert.equal(result.framework, "anthropic");
  });
});

describe("comments and multi-line strings", () => {
  it("ignores block comments and keeps line numbers across multi-line template literals", () => {
    const result = analyzeSources({
      "a.ts": [
        "/* await fetch('https://hidden.example.com/');",
        'import x from "inside-comment";',
        "*/ const t = `first",
        "https://api.acme.io/v2 second`;",
        'callTool("after");',
      ].join("\n"),
    });
    assert.deepEqual(result.tools, [
      { name: "acme-api", base_url: "https://api.acme.io", file: "a.ts", line: 4 },
      { name: "after", base_url: "", file: "a.ts", line: 5 },
    ]);
    assert.deepEqual(result.outbound_destinations, ["api.acme.io"]);
    assert.deepEqual(result.detected_requirements, []);
  });
});

describe("robustness", () => {
  it("never throws on junk, wrong types and huge inputs, and skips files over 1 MiB", () => {
    const junk = Array.from({ length: 5000 }, (_, i) => String.fromCharCode((i * 7919) % 65536)).join("");
    const hugeLine = `const s = "${"a".repeat(200_000)}https://big.example.com/${"'\"`".repeat(10_000)}`;
    const oversized = `import x from "too-big";\n${"x".repeat(1024 * 1024)}`;
    const inputs: unknown[] = [
      null,
      42,
      "string",
      [],
      { "a.ts": 5 },
      {
        "a.ts": junk,
        "b.py": junk,
        "c.ts": hugeLine,
        "big.ts": oversized,
        "bin.ts": "import a from 'bin';\u0000",
      },
    ];
    for (const input of inputs) {
      const result = analyzeSources(input as Record<string, string>);
      assert.equal(typeof result.entry_point, "string");
      assert.ok(!result.detected_requirements.includes("too-big"));
      assert.ok(!result.detected_requirements.includes("bin"));
    }
  });

  it("finishes quickly on pathological inputs just under the size limits", () => {
    const lines = [
      "import ".repeat(2_000),
      "api_key".repeat(2_000),
      "x=".repeat(7_000),
      `"${"sk-".repeat(4_000)}`,
      `'${"https://a.".repeat(1_400)}`,
      `const SYSTEM_PROMPT = "${"\\".repeat(7_000)}`,
      `export {${" a,".repeat(4_000)}`,
      "`${".repeat(5_000),
    ].join("\n");
    const file = `${lines}\n`.repeat(Math.floor((1024 * 1024) / (lines.length + 1)));
    assert.ok(file.length < 1024 * 1024);
    const started = Date.now();
    analyzeSources({ "a.ts": file, "b.py": file, ".env": file });
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  });
});
