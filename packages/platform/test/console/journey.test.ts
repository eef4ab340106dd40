/**
 * The console in a real headless Chromium, driven by clicks as a person would: sign in (a wrong
 * key is refused in words), deploy hello-world from the first-visit hero, chat in the
 * playground, require approval in a policy, watch the run pause and the inbox badge count it,
 * approve once, see the run's timeline reach COMPLETED live, and the spend chart show a model
 * call. Then: approve from a phone-sized viewport, signed in through the `#key=` link. Every
 * screen passes axe-core with no serious or critical violation and is saved as a screenshot.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import { runtimeConfig, waitForAgent } from "../deploy/helpers.js";
import { sendJson, startFakeProvider, startSse } from "../gateway/fake-provider.js";
import {
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

describe("the console in Chromium", () => {
  if (missing) {
    it("runs the console journey in a browser", { skip: missing }, () => {});
    return;
  }
  let platform: TestPlatform;
  let chrome: TestBrowser;
  let desktop: BrowserContext;
  let page: Page;
  const a11y: string[] = [];

  const check = (p: Page, name: string) => checkScreen(p, name, a11y);
  const go = (p: Page, hash: string, heading: string) => openScreen(p, `${platform.url}/${hash}`, heading);

  before(async () => {
    platform = await startTestPlatform({ config: runtimeConfig() });
    chrome = await launchBrowser();
    desktop = await chrome.context();
    desktop.setDefaultTimeout(TIMEOUT);
    page = await desktop.newPage();
  });
  after(async () => {
    await chrome?.close();
    await platform?.destroy();
  });

  it("signs in with an API key, refusing a wrong one in words", async () => {
    await page.goto(`${platform.url}/`);
    await page.getByLabel("API key").fill("ra_ws_not-a-real-key");
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    assert.match(await shown(alert), /That API key was refused/);
    await check(page, "console-login");
    // The right key by keyboard alone: the field, then Enter.
    await page.getByLabel("API key").fill("");
    await page.getByLabel("API key").focus();
    await page.keyboard.type(platform.adminKey);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
    await page.getByText("Live", { exact: true }).waitFor();
  });

  it("deploys hello-world from the first-visit hero and chats with it in the playground", async () => {
    const hero = page.getByRole("button", { name: "Deploy the hello-world agent" });
    await hero.waitFor();
    await check(page, "console-dashboard-first-visit");
    await hero.click();
    await page.waitForURL(/#\/playground\/hello-world$/);
    await page.getByLabel("Message").fill("Hello!");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByText("echo-tool replied: Hello!").waitFor();
    await check(page, "console-playground");
  });

  let runId = "";
  it("pauses a run on a policy that requires approval, and counts it in the inbox badge", async () => {
    await go(page, "#/policies", "Policies");
    await page.getByRole("button", { name: "hello-world-echo" }).click();
    await page.getByLabel("Or say it in words").fill("Require approval for POST to echo-tool");
    await page.getByRole("button", { name: "Translate to rules" }).click();
    await page.waitForFunction(
      "document.getElementById('policy-spec').value.includes('\"approval_required\"')",
    );
    assert.match(await page.getByLabel("Rules (JSON spec)").inputValue(), /"resource": "echo-tool"/);
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.getByText("Saved hello-world-echo").waitFor();
    await page.getByRole("button", { name: "Evaluate" }).click();
    const evaluation = page.getByTestId("evaluation");
    await evaluation.waitFor();
    assert.match(await shown(evaluation), /approval_required/);
    await check(page, "console-policies");

    await go(page, "#/playground/hello-world", "Playground");
    await page.getByLabel("Message").fill("Pay the invoice");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByText("waits for approval to call").waitFor();
    const badge = page.getByTestId("inbox-badge");
    await badge.waitFor();
    assert.match(await shown(badge), /^1\b/);
    const runs = (await platform.call("GET", "/runs?agent_id=hello-world&status=PAUSED_APPROVAL"))
      .json as Json[];
    assert.equal(runs.length, 1);
    runId = runs[0]!.id;
  });

  it("approves once from the inbox while the run's timeline shows COMPLETED live", async () => {
    // The run's page is open in a second tab before the decision: what it shows next is live.
    // (A new tab has its own sessionStorage: it signs in through the #key= link.)
    const timeline = await desktop.newPage();
    await go(timeline, `#key=${encodeURIComponent(platform.adminKey)}`, "Dashboard");
    await go(timeline, `#/runs/${runId}`, `Run ${runId.slice(0, 13)}…`);
    await timeline.getByText("APPROVAL_REQUIRED", { exact: true }).waitFor();
    await timeline.getByText("Live", { exact: true }).waitFor();
    await check(timeline, "console-run-paused");

    await page.getByRole("link", { name: /Approvals/ }).click();
    await page.getByRole("heading", { level: 1, name: "Approvals" }).waitFor();
    const request = page.getByRole("listitem").filter({ hasText: "hello-world wants POST echo-tool" });
    await request.waitFor();
    assert.match(await shown(request), /playground-user/);
    assert.match(await shown(request), /\/echo/);
    await check(page, "console-approvals");
    await request.getByRole("button", { name: "Approve" }).click();
    await page.getByText("Nothing waits for a decision.").waitFor();
    await page.getByTestId("inbox-badge").waitFor({ state: "detached" });

    await timeline.getByText("COMPLETED", { exact: true }).first().waitFor();
    assert.match(await shown(timeline.getByTestId("run-status")), /COMPLETED/);
    await check(timeline, "console-run-completed");
    await timeline.close();

    // The playground kept the conversation, and its paused answer came in on the live feed.
    await page.getByRole("link", { name: "Playground" }).click();
    await page.getByText("echo-tool replied: Pay the invoice").waitFor();
  });

  it("shows a model call in the spend chart", async () => {
    // The playground model is free: a priced provider (a local OpenAI stand-in) makes spend visible.
    const provider = await fakeOpenAI("A budget caps what an agent may spend on models.");
    try {
      const added = await platform.call("POST", "/model-providers", {
        name: "oai",
        spec: { provider: "openai", endpoint: `${provider.url}/v1`, models: ["gpt-4o"] },
        api_key: "sk-console-test-0123456789",
      });
      assert.ok(added.status === 200 || added.status === 201, added.text);
      // hello-world calls no model: a model-only agent (the runtime's own loop) answers with one.
      const deploy = await platform.call("POST", "/deploy", {
        agent_name: "assistant",
        source_files: { "runagents.yaml": "name: assistant\n" },
        system_prompt: "Be brief.",
        llm_configs: [{ role: "default", provider: "openai", model: "gpt-4o" }],
      });
      assert.ok(deploy.status === 200 || deploy.status === 201, deploy.text);
      await waitForAgent(platform, "assistant", (a) => a.phase === "Running");
      await go(page, "#/playground/assistant", "Playground");
      await page.getByLabel("Message").fill("What does a budget do?");
      await page.getByRole("button", { name: "Send" }).click();
      await page.getByText("A budget caps what an agent may spend on models.").waitFor();

      await go(page, "#/models", "Models");
      await page.locator("[data-testid=spend-chart] canvas").waitFor();
      const table = page.getByTestId("spend-table");
      assert.match(await shown(table), /assistant\s+oai\/gpt-4o\s+\$0\.0\d*[1-9]/);
      await check(page, "console-models");
    } finally {
      await provider.close();
    }
  });

  it("registers a tool, lists runs, agents and settings", async () => {
    await go(page, "#/tools", "Tools");
    await page.getByLabel("Name").fill("payments");
    await page.getByLabel("Base URL").fill("https://payments.example.com");
    await page.getByRole("button", { name: "Register" }).click();
    await page.getByText("Registered payments.").waitFor();
    assert.equal((await platform.call("GET", "/tools/payments")).status, 200);
    await page.getByRole("button", { name: "Test echo-tool" }).click();
    await page.getByText(/reachable \(HTTP \d+\)/).waitFor();
    await check(page, "console-tools");

    await go(page, "#/runs", "Runs");
    await page.getByRole("cell", { name: "assistant" }).first().waitFor();
    await check(page, "console-runs");
    await go(page, "#/agents", "Agents");
    await page.getByRole("link", { name: "hello-world" }).click();
    await page.getByRole("heading", { level: 1, name: "Agent hello-world" }).waitFor();
    await check(page, "console-agent");
    // Configuration edits refuse to overwrite a change made meanwhile.
    await page.getByLabel("System prompt").fill("Answer briefly.");
    await platform.call("PUT", "/agents/hello-world/config", { system_prompt: "Changed elsewhere." });
    await page.getByRole("button", { name: "Save configuration" }).click();
    await page.getByText("Someone changed this agent's configuration after you opened it.").waitFor();
    await page.getByRole("button", { name: "Reload configuration" }).click();
    await page.waitForFunction(valueIs, ["system-prompt", "Changed elsewhere."]);
    await page.getByLabel("System prompt").fill("Answer briefly.");
    await page.getByRole("button", { name: "Save configuration" }).click();
    await page.getByText("Saved: the agent restarts with it.").waitFor();
    const config = (await platform.call("GET", "/agents/hello-world/config")).json as Json;
    assert.deepEqual([config.system_prompt, config.policies], ["Answer briefly.", ["hello-world-echo"]]);
    await go(page, "#/settings", "Settings");
    await page.locator("strong", { hasText: "local-admin" }).waitFor();
    await check(page, "console-settings");
    await go(page, "#/", "Dashboard");
    await check(page, "console-dashboard");
  });

  it("deploys uploaded code with the wizard after showing the analyzer's findings", async () => {
    await go(page, "#/deploy", "Deploy an agent");
    // A tool reached through its TOOL_URL_<NAME> variable: the analyzer names it.
    const agent = `export async function handler(request: { message: string }) {
  await fetch(\`\${process.env.TOOL_URL_ECHO_TOOL}/echo\`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ message: request.message }),
  });
  return { response: \`greeter heard: \${request.message}\` };
}
`;
    await page
      .getByLabel(/Or files/)
      .setInputFiles([{ name: "agent.ts", mimeType: "text/plain", buffer: Buffer.from(agent) }]);
    const findings = page.getByTestId("findings");
    await findings.waitFor();
    assert.match(await shown(findings), /Entry point\s+agent\.ts/);
    assert.match(await shown(findings), /Tools\s+echo-tool/);
    await page.getByLabel("Agent name").fill("greeter");
    await page.getByRole("checkbox", { name: "hello-world-echo" }).check();
    await check(page, "console-deploy");
    await page.getByRole("button", { name: "Deploy" }).click();
    await page.getByTestId("deploy-phase").getByText("Running").waitFor();
    const deployed = (await platform.call("GET", "/agents/greeter")).json as Json;
    assert.deepEqual([deployed.required_tools, deployed.policies], [["echo-tool"], ["hello-world-echo"]]);
    await page.getByRole("link", { name: "Open the playground" }).click();
    await page.getByRole("heading", { level: 1, name: "Playground" }).waitFor();
  });

  it("approves from a 390×844 phone, signed in through the #key= link", async () => {
    const phone = await chrome.context({ width: 390, height: 844 });
    phone.setDefaultTimeout(TIMEOUT);
    const mobile = await phone.newPage();
    // Something to approve: a call made for another user (hello-world restarted with its new prompt).
    await waitForAgent(platform, "hello-world", (a) => a.phase === "Running");
    const invoke = await platform.call("POST", "/agents/hello-world/invoke", {
      message: "from the road",
      user_id: "bob@example.com",
    });
    assert.equal((invoke.json as Json).approval_required?.code, "APPROVAL_REQUIRED", invoke.text);
    await mobile.goto(`${platform.url}/#key=${encodeURIComponent(platform.adminKey)}`);
    await mobile.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
    assert.equal(new URL(mobile.url()).hash, "#/", "the key left the address bar");
    await mobile.getByRole("link", { name: /Approvals/ }).click();
    const request = mobile.getByRole("listitem").filter({ hasText: "bob@example.com" });
    await request.waitFor();
    const width = await mobile.evaluate<number>("document.documentElement.scrollWidth");
    assert.ok(width <= 390, `the inbox fits the phone's width (scrollWidth ${width})`);
    await check(mobile, "console-approvals-phone");
    await request.getByRole("button", { name: "Approve" }).click();
    await mobile.getByText("Nothing waits for a decision.").waitFor();
    const decided = (await platform.call("GET", "/approvals/requests?status=APPROVED")).json as Json[];
    assert.ok(decided.some((r) => r.subject === "bob@example.com" && r.scope === "once"));
    await phone.close();
  });

  it("is keyboard navigable: a skip link first, then the navigation", async () => {
    await go(page, "#/runs", "Runs");
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate<string>("document.activeElement.textContent"), "Skip to content");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate<string>("document.activeElement.id"), "main");
    await go(page, "#/", "Dashboard");
    for (let i = 0; i < 20; i++) {
      await page.keyboard.press("Tab");
      if ((await page.evaluate<string>("document.activeElement.textContent")) === "Approvals") break;
    }
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { level: 1, name: "Approvals" }).waitFor();
  });

  it("follows a dark colour scheme", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    const background = () => page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    for (const [hash, heading, name] of [
      ["#/", "Dashboard", "console-dashboard-dark"],
      ["#/approvals", "Approvals", "console-approvals-dark"],
      ["#/models", "Models", "console-models-dark"],
      ["#/policies", "Policies", "console-policies-dark"],
    ] as const) {
      await go(page, hash, heading);
      await check(page, name);
    }
    assert.equal(await background(), "rgb(17, 20, 24)");
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("reconnects across a platform restart and shows what happened meanwhile", async () => {
    const run = await platform.call("POST", "/runs", { agent_id: "hello-world", user_id: "restart-user" });
    const id = (run.json as Json).id as string;
    await go(page, `#/runs/${id}`, `Run ${id.slice(0, 13)}…`);
    await page.getByText("Live", { exact: true }).waitFor();
    const { dataDir, port } = platform;
    await platform.close();
    await page.getByText("Reconnecting…").waitFor();
    platform = await startTestPlatform({ dataDir, config: { ...runtimeConfig(), port } });
    // Written as soon as the platform is back, maybe before the console is: either way it shows it
    // (resumed after the last event it saw, or live).
    await platform.call("POST", `/runs/${id}/events`, {
      type: "AGENT_MESSAGE",
      data: { message: "said while away" },
    });
    await page.getByText("said while away").waitFor();
    await page.getByText("Live", { exact: true }).waitFor();
  });

  it("has no serious or critical accessibility violation on any screen", () => {
    assert.deepEqual(a11y, []);
  });
});

/** An OpenAI-compatible stand-in answering every chat with `reply` and a priced token usage. */
function fakeOpenAI(reply: string) {
  const usage = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 };
  return startFakeProvider((req, res) => {
    if (req.method === "GET") return sendJson(res, 200, { data: [] });
    const base = { id: "c1", created: 1, model: req.body.model };
    if (!req.body.stream) {
      const message = { role: "assistant", content: reply };
      return sendJson(res, 200, {
        ...base,
        object: "chat.completion",
        choices: [{ index: 0, message, finish_reason: "stop" }],
        usage,
      });
    }
    const sse = startSse(res);
    const chunk = { ...base, object: "chat.completion.chunk" };
    sse.event({ ...chunk, choices: [{ index: 0, delta: { content: reply }, finish_reason: "stop" }] });
    sse.event({ ...chunk, choices: [], usage });
    sse.event("[DONE]");
    sse.end();
  });
}
