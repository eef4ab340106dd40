/**
 * Operating the platform from the console in a real headless Chromium, by clicking as a person
 * would: an agent's live log shows a new line as it is written; redeploy; delete after a
 * confirmation; a stale configuration edit is refused in words with a reload; the deploy wizard
 * (a folder) shows the analyzer's findings, then Running, and a broken agent's start error in
 * words; a tool registered with an API key shows "set" and never the key (not in the page, not
 * in any API answer the page received); a model provider added and edited; an approval connector
 * test-sent to a local receiver; an API key shown once and revoked; the workspace switcher
 * refuses a bad name; a request made without a run counts in the inbox badge live, and is
 * approved from a 390×844 phone. axe-core finds no serious or critical violation on these screens.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { phaseIs, runtimeConfig, waitForAgent } from "../deploy/helpers.js";
import {
  type BrowserWindow,
  browserMissing,
  checkScreen,
  launchBrowser,
  openScreen,
  shown,
  type TestBrowser,
  valueIs,
} from "../helpers/browser.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;
const missing = browserMissing();
const TIMEOUT = 30_000;

const CHATTY = `export async function handler(request) {
  console.log("said: " + request.message);
  return { response: "ok" };
}
`;

describe("operating the platform from the console in Chromium", () => {
  if (missing) {
    it("operates agents, tools, models and settings in a browser", { skip: missing }, () => {});
    return;
  }
  let platform: TestPlatform;
  let chrome: TestBrowser;
  let desktop: BrowserContext;
  let page: Page;
  const a11y: string[] = [];
  /** Every /api/v1 answer the page received (bodies of the JSON ones), to look for leaked secrets. */
  const answers: string[] = [];

  const check = (p: Page, name: string) => checkScreen(p, name, a11y);
  const go = (p: Page, hash: string, heading: string) => openScreen(p, `${platform.url}/${hash}`, heading);

  before(async () => {
    platform = await startTestPlatform({ config: runtimeConfig() });
    chrome = await launchBrowser();
    desktop = await chrome.context();
    desktop.setDefaultTimeout(TIMEOUT);
    page = await desktop.newPage();
    page.on("response", (res) => {
      if (!res.url().includes("/api/v1/")) return;
      if (!/json/.test(res.headers()["content-type"] ?? "")) return;
      res.text().then(
        (text) => answers.push(text),
        () => undefined,
      );
    });
    await go(page, `#key=${encodeURIComponent(platform.adminKey)}`, "Dashboard");
    await page.getByText("Live", { exact: true }).waitFor();
    const res = await platform.call("POST", "/deploy", {
      agent_name: "chatty",
      source_files: { "agent.mjs": CHATTY },
      entry_point: "agent.mjs",
    });
    assert.equal(res.status, 201, res.text);
    await waitForAgent(platform, "chatty", phaseIs("Running"));
  });
  after(async () => {
    await chrome?.close();
    await platform?.destroy();
  });

  it("follows an agent's log live and redeploys it", async () => {
    await go(page, "#/agents/chatty", "Agent chatty");
    await page.getByTestId("logs-state").getByText("Following").waitFor();
    const invoke = await platform.call("POST", "/agents/chatty/invoke", { message: "live-line-4711" });
    assert.equal(invoke.status, 200, invoke.text);
    await page.getByTestId("agent-logs").getByText("said: live-line-4711").waitFor();

    await page.getByRole("button", { name: "Redeploy" }).click();
    await page.getByText(/Redeploying version 1/).waitFor();
    // The supervisor's note about the new process arrives in the followed log, the phase on the feed.
    await page
      .getByTestId("agent-logs")
      .getByText(/version 1/)
      .first()
      .waitFor();
    await page.getByTestId("agent-phase").getByText("Running").waitFor();
    const versions = page.getByTestId("agent-versions");
    await versions.getByText("Version 1").waitFor();
    assert.match(await shown(versions), /Version 1 deployed .+ serving/);
    await check(page, "console-agent-operate");
  });

  it("refuses a stale configuration edit in words and reloads it", async () => {
    await go(page, "#/agents/chatty", "Agent chatty");
    await page.getByLabel("System prompt").fill("Mine.");
    const other = await platform.call("PUT", "/agents/chatty/config", { system_prompt: "Theirs." });
    assert.equal(other.status, 200, other.text);
    await page.getByRole("button", { name: "Save configuration" }).click();
    const conflict = page.getByTestId("config-conflict");
    await conflict.waitFor();
    assert.match(await shown(conflict), /Someone changed this agent's configuration after you opened it/);
    assert.match(await shown(conflict), /Reload/);
    await check(page, "console-agent-conflict");
    assert.equal(
      ((await platform.call("GET", "/agents/chatty/config")).json as Json).system_prompt,
      "Theirs.",
    );
    await conflict.getByRole("button", { name: "Reload configuration" }).click();
    await page.waitForFunction(valueIs, ["system-prompt", "Theirs."]);
    await page.getByLabel("System prompt").fill("Mine, after reading theirs.");
    await page.getByLabel("Default model (provider/model)").fill("openai/gpt-4o");
    await page.getByRole("button", { name: "Save configuration" }).click();
    await page.getByText("Saved: the agent restarts with it.").waitFor();
    const saved = (await platform.call("GET", "/agents/chatty/config")).json as Json;
    assert.equal(saved.system_prompt, "Mine, after reading theirs.");
    assert.deepEqual(
      saved.llm_configs.map((c: Json) => [c.role, c.provider, c.model]),
      [["default", "openai", "gpt-4o"]],
    );

    // Model roles beyond the default, each with a monthly budget; a bad budget is refused in words.
    await page.getByRole("button", { name: "Add a model role" }).click();
    await page.getByLabel("Role name 2").fill("planner");
    await page.getByLabel("Model role 2 (provider/model)").fill("openai/o3-mini");
    await page.getByLabel("Model role 2: monthly budget (USD)").fill("25");
    await page.getByLabel("Default model: monthly budget (USD)").fill("-3");
    await page.getByRole("button", { name: "Save configuration" }).click();
    await page
      .getByText(/The monthly budget of role "default" must be a number of US dollars, 0 or more/)
      .waitFor();
    await page.getByLabel("Default model: monthly budget (USD)").fill("10");
    await page.getByRole("button", { name: "Save configuration" }).click();
    await page.getByText("Saved: the agent restarts with it.").waitFor();
    await check(page, "console-agent-model-roles");
    const roles = (await platform.call("GET", "/agents/chatty/config")).json as Json;
    assert.deepEqual(
      roles.llm_configs.map((c: Json) => [c.role, c.provider, c.model, c.monthly_budget_usd]),
      [
        ["default", "openai", "gpt-4o", 10],
        ["planner", "openai", "o3-mini", 25],
      ],
    );
  });

  it("deploys a folder after showing the analyzer's findings, and says why a broken agent did not start", async () => {
    const folder = mkdtempSync(join(tmpdir(), "console-folder-"));
    try {
      const project = join(folder, "greeter");
      mkdirSync(join(project, "docs"), { recursive: true });
      writeFileSync(
        join(project, "agent.ts"),
        `import type { RunContext } from "runagents";
export async function handler(request: { message: string }, _ctx: RunContext) {
  await fetch(\`\${process.env.TOOL_URL_ECHO_TOOL}/echo\`, { method: "POST", body: request.message });
  return { response: \`greeter heard: \${request.message}\` };
}
`,
      );
      writeFileSync(join(project, "docs", "notes.txt"), "old key: AKIAZ7Q3M5K2R8T4W6Y1\n");
      await go(page, "#/deploy", "Deploy an agent");
      await page.getByTestId("pick-folder").setInputFiles(project);
      const findings = page.getByTestId("findings");
      await findings.waitFor();
      const found = await shown(findings);
      assert.match(found, /Entry point\s+agent\.ts/);
      assert.match(found, /Tools\s+echo-tool/);
      assert.match(found, /Models\s+openai\/gpt-4o-mini/);
      assert.match(found, /Secrets in the code\s+aws_access_key_id at docs\/notes\.txt:1 \(high\)/);
      assert.ok(!found.includes("AKIAZ7Q3M5K2R8T4W6Y1"), "a finding never shows the secret");
      await page.getByLabel("Agent name").fill("greeter");
      await check(page, "console-deploy-findings");
      await page.getByRole("button", { name: "Deploy" }).click();
      await page.getByTestId("deploy-phase").getByText("Running").waitFor();
      await page.getByRole("heading", { name: "Build and start log" }).waitFor();
      assert.equal(((await platform.call("GET", "/agents/greeter")).json as Json).phase, "Running");

      // A broken agent: the start error, in words.
      await go(page, "#/deploy", "Deploy an agent");
      await page.getByTestId("pick-files").setInputFiles([
        {
          name: "agent.ts",
          mimeType: "text/plain",
          buffer: Buffer.from(
            `const url = process.env.CONFIG_URL;
if (!url) throw new Error("CONFIG_URL is not set");
export async function handler() {
  return { response: url };
}
`,
          ),
        },
      ]);
      await page.getByTestId("findings").waitFor();
      await page.getByLabel("Agent name").fill("broken");
      await page.getByRole("button", { name: "Deploy" }).click();
      const failure = page.getByTestId("deploy-error");
      await failure.waitFor();
      assert.match(await shown(failure), /The agent did not start: .+/);
      await page
        .getByTestId("agent-logs")
        .getByText(/CONFIG_URL is not set/)
        .first()
        .waitFor();
      await check(page, "console-deploy-failed");
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("registers a tool with a credential shown as set, never its value, and removes it", async () => {
    const secret = "sk-console-tool-SECRET-90210";
    await go(page, "#/tools", "Tools");
    await page.getByLabel("Name").fill("crm");
    await page.getByLabel("Base URL").fill("https://crm.example");
    await page.getByLabel(/API key/).fill(secret);
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByText("Registered crm.").waitFor();
    const row = page.getByTestId("tool-crm");
    await row.getByText("credentials set").waitFor();
    await row.getByRole("button", { name: "Test crm" }).click();
    await row.getByRole("status").waitFor();
    assert.match(await shown(row.getByRole("status")), /^(Reachable|Not reachable)/);
    await check(page, "console-tools-credentials");
    // Edit without a new key: still set.
    await row.getByRole("button", { name: "Edit crm" }).click();
    await page.getByLabel("Description").fill("Customer records");
    await page.getByRole("button", { name: "Save tool" }).click();
    await page.getByText("Saved crm.").waitFor();
    await row.getByText("credentials set").waitFor();
    assert.deepEqual(await platform.store.getSecret("default", "crm-credentials"), { api_key: secret });
    // Remove it.
    await row.getByRole("button", { name: "Edit crm" }).click();
    await page.getByLabel("Remove the stored API key").check();
    await page.getByRole("button", { name: "Save tool" }).click();
    await row.getByText("credentials not set").waitFor();
    assert.equal(await platform.store.getSecret("default", "crm-credentials"), undefined);
    assert.ok(!(await page.content()).includes(secret), "the key is not in the page");
    await page.reload();
    await page.getByTestId("tool-crm").waitFor();
    assert.ok(answers.length > 5);
    for (const body of answers) assert.ok(!body.includes(secret), "no API answer carried the key");
  });

  it("adds and edits a model provider", async () => {
    await go(page, "#/models", "Models");
    await page.getByLabel("Provider name").fill("claude");
    await page.getByLabel("Type").selectOption("anthropic");
    await page.getByLabel("Endpoint").fill("https://api.anthropic.com");
    await page.getByLabel("Models (comma-separated)").fill("claude-sonnet-4");
    await page.getByLabel(/API key/).fill("sk-ant-console-test-0000");
    await page.getByRole("button", { name: "Add provider" }).click();
    await page.getByText("Added claude.").waitFor();
    const row = page.getByTestId("provider-claude");
    await row.getByText(/anthropic · claude-sonnet-4/).waitFor();
    await row.getByRole("button", { name: "Edit claude" }).click();
    await page.getByLabel("Models (comma-separated)").fill("claude-sonnet-4, claude-haiku-4");
    await page.getByRole("button", { name: "Save provider" }).click();
    await page.getByText("Saved claude.").waitFor();
    await row.getByText(/claude-sonnet-4, claude-haiku-4/).waitFor();
    const stored = (await platform.call("GET", "/model-providers/claude")).json as Json;
    assert.deepEqual(stored.models, ["claude-sonnet-4", "claude-haiku-4"]);
    assert.equal(stored.spec.auth.type, "APIKey", "the key was kept through the edit");
    await check(page, "console-models-providers");
  });

  it("creates an approval connector and test-sends to a local receiver", async () => {
    const received: { method: string; body: string }[] = [];
    const receiver: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
      });
      req.on("end", () => {
        received.push({ method: req.method ?? "", body });
        res.end("{}");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      await go(page, "#/settings", "Settings");
      await page.getByLabel("Connector name").fill("ops-hook");
      await page.getByLabel("Endpoint URL").fill(url);
      await page.getByRole("button", { name: "Add connector" }).click();
      const row = page.getByTestId("connector-ops-hook");
      await row.waitFor();
      await row.getByRole("button", { name: "Send a test to ops-hook" }).click();
      const result = row.getByTestId("connector-test");
      await result.waitFor();
      assert.match(await shown(result), /Test sent: healthy/);
      assert.equal(received.length, 1);
      assert.equal(received[0]?.method, "POST");
      await check(page, "console-settings-connectors");
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });

  it("shows a new API key once and revokes it; refuses a bad workspace name", async () => {
    await go(page, "#/settings", "Settings");
    await page.getByLabel("Name", { exact: true }).fill("ci-reader");
    await page.getByLabel("Role").selectOption("viewer");
    await page.getByRole("button", { name: "Create key" }).click();
    const token = page.locator(".token code");
    await token.waitFor();
    const value = await shown(token);
    assert.match(value, /^ra_ws_/);
    assert.equal(
      (await platform.call("GET", "/agents", undefined, { "X-RunAgents-API-Key": value })).status,
      200,
    );
    await go(page, "#/tools", "Tools");
    await go(page, "#/settings", "Settings");
    assert.ok(!(await page.content()).includes(value), "the token is shown once");
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: "Revoke ci-reader" }).click();
    await page.getByRole("button", { name: "Revoke ci-reader" }).waitFor({ state: "detached" });
    assert.equal(
      (await platform.call("GET", "/agents", undefined, { "X-RunAgents-API-Key": value })).status,
      401,
    );

    await page.getByLabel("Workspace name").fill("Team A!");
    await page.getByRole("button", { name: "Switch workspace" }).click();
    await page.getByText(/"Team A!" is not a workspace name/).waitFor();
    assert.equal(await shown(page.getByTestId("current-workspace")), "default");
    await page.getByRole("list", { name: "Workspaces" }).getByText("default (current)").waitFor();
    await check(page, "console-settings-keys");
  });

  it("deletes an agent only after a confirmation", async () => {
    await go(page, "#/agents/chatty", "Agent chatty");
    await page.getByRole("button", { name: "Delete" }).click();
    const confirm = page.getByTestId("confirm-delete");
    await confirm.waitFor();
    await check(page, "console-agent-delete-confirm");
    await confirm.getByRole("button", { name: "Keep it" }).click();
    await confirm.waitFor({ state: "detached" });
    assert.equal((await platform.call("GET", "/agents/chatty")).status, 200);
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Yes, delete chatty" }).click();
    await page.getByRole("heading", { level: 1, name: "Agents" }).waitFor();
    assert.equal((await platform.call("GET", "/agents/chatty")).status, 404);
  });

  it("counts a request made without a run in the badge live, and approves it from a phone", async () => {
    await go(page, "#/", "Dashboard");
    await page.getByText("Live", { exact: true }).waitFor();
    const badge = page.getByTestId("inbox-badge");
    assert.equal(await badge.count(), 0);
    const made = await platform.call("POST", "/approvals/requests", {
      subject: "dana@example.com",
      tool_id: "crm",
      agent_id: "greeter",
    });
    assert.equal(made.status, 201, made.text);
    assert.equal((made.json as Json).run_id, "");
    await badge.waitFor();
    assert.match(await shown(badge), /^1\b/);

    const phone = await chrome.context({ width: 390, height: 844 });
    phone.setDefaultTimeout(TIMEOUT);
    const mobile = await phone.newPage();
    await go(mobile, `#key=${encodeURIComponent(platform.adminKey)}`, "Dashboard");
    await mobile.getByRole("link", { name: /Approvals/ }).click();
    const request = mobile.getByRole("listitem").filter({ hasText: "dana@example.com" });
    await request.waitFor();
    const width = await mobile.evaluate(
      () => (globalThis as unknown as BrowserWindow).document.documentElement.scrollWidth,
    );
    assert.ok(width <= 390, `the inbox fits the phone's width (scrollWidth ${width})`);
    await check(mobile, "console-approvals-runless-phone");
    await request.getByRole("button", { name: "Approve" }).click();
    await mobile.getByText("Nothing waits for a decision.").waitFor();
    await phone.close();
    // The desktop's badge follows the decision made on the phone.
    await badge.waitFor({ state: "detached" });
  });

  it("has no serious or critical accessibility violations on these screens", () => {
    assert.deepEqual(a11y, []);
  });
});
