import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const packageRoot = new URL("../../", import.meta.url);

test("package.json declares no runtime dependencies", () => {
  const pkg = JSON.parse(readFileSync(new URL("package.json", packageRoot), "utf8")) as Record<
    string,
    unknown
  >;
  assert.equal(pkg.name, "runagents");
  assert.equal(pkg.dependencies, undefined);
});

test("the public runtime exports are exactly the expected names", async () => {
  const api = await import(new URL("dist/src/index.js", packageRoot).href);
  assert.deepEqual(Object.keys(api).sort(), [
    "APIError",
    "Agent",
    "ApprovalRequired",
    "ApprovalRequiredError",
    "CapabilityDeniedError",
    "Client",
    "ConfigError",
    "ConsentRequired",
    "ConsentRequiredError",
    "DEFAULT_CONFIG",
    "LLMGatewayError",
    "PolicyDeniedError",
    "RUN_STATUSES",
    "RunAgentsConnectionError",
    "RunAgentsError",
    "RunAgentsTimeoutError",
    "RunAgentsValidationError",
    "ToolCallError",
    "ToolHttpError",
    "ToolNotConfigured",
    "ToolUnreachable",
    "configPath",
    "executeToolCall",
    "isApprovalRequired",
    "isConsentRequired",
    "isPolicyDenied",
    "isToolCallError",
    "loadConfig",
    "normalizeEndpoint",
    "saveConfig",
    "toOpenAITools",
    "tool",
  ]);
});

test("runagents/agent and runagents/runtime export what agent code and the platform need", async () => {
  const agent = await import(new URL("dist/src/agent/index.js", packageRoot).href);
  for (const name of ["Agent", "tool", "toOpenAITools", "executeToolCall", "ToolNotConfigured"]) {
    assert.equal(typeof agent[name], "function", name);
  }
  const runtime = await import(new URL("dist/src/runtime/index.js", packageRoot).href);
  assert.equal(typeof runtime.serve, "function");
});

test("the package root never reaches node:http or node:child_process", () => {
  const seen = new Set<string>();
  const visit = (url: URL): void => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    const source = readFileSync(url, "utf8");
    for (const [, specifier = ""] of source.matchAll(/(?:import|export)[^"']*?from\s*["']([^"']+)["']/g)) {
      assert.ok(!/^node:(http|https|child_process)$/.test(specifier), `${url.pathname} imports ${specifier}`);
      if (specifier.startsWith(".")) visit(new URL(specifier, url));
    }
  };
  visit(new URL("dist/src/index.js", packageRoot));
  assert.ok(seen.size > 5);
});
