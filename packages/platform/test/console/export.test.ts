/**
 * Exports and the workspace list in the console, in a real headless Chromium: the runs list
 * downloads the filtered list as CSV (a user id that a spreadsheet would run as a formula is
 * neutralised) and as JSON; a run's detail downloads the run with its events as JSON and its audit
 * trail as NDJSON; Settings lists the workspaces the platform knows and switches to one by click.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { BrowserContext, Page } from "playwright-core";
import {
  browserMissing,
  launchBrowser,
  screenshot,
  seriousViolations,
  type TestBrowser,
} from "../helpers/browser.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;
const missing = browserMissing();
const TIMEOUT = 30_000;

describe("exporting runs and switching workspaces from the console in Chromium", () => {
  if (missing) {
    it("exports runs and lists workspaces", { skip: missing }, () => {});
    return;
  }
  let platform: TestPlatform;
  let chrome: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  const runs: string[] = [];

  const saved = async (click: () => Promise<void>): Promise<{ name: string; text: string }> => {
    const [file] = await Promise.all([page.waitForEvent("download"), click()]);
    const path = await file.path();
    return { name: file.suggestedFilename(), text: readFileSync(path, "utf8") };
  };

  before(async () => {
    platform = await startTestPlatform();
    for (const user of ['=HYPERLINK("http://evil.example")', 'bob, the "builder"']) {
      const run = await platform.call("POST", "/runs", { agent_id: "exporter", user_id: user });
      assert.equal(run.status, 201, run.text);
      runs.push((run.json as Json).id);
    }
    await platform.call("POST", `/runs/${runs[0]}/events`, { type: "AGENT_MESSAGE", message: "hello" });
    await platform.call("POST", "/workspaces/lab/policies", {
      name: "p",
      spec: { policies: [{ permission: "allow", resource: "*" }] },
    });
    chrome = await launchBrowser();
    context = await chrome.context();
    context.setDefaultTimeout(TIMEOUT);
    page = await context.newPage();
    await page.goto(`${platform.url}/#key=${encodeURIComponent(platform.adminKey)}`);
    await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
  });
  after(async () => {
    await chrome?.close();
    await platform?.destroy();
  });

  it("downloads the runs list as CSV and JSON", async () => {
    await page.goto(`${platform.url}/#/runs`);
    await page.getByRole("heading", { level: 1, name: "Runs" }).waitFor();
    await page.getByRole("link", { name: `${runs[0]?.slice(0, 13)}…` }).waitFor();
    const csv = await saved(() => page.getByRole("button", { name: "Export CSV" }).click());
    assert.match(csv.name, /^runs-.*\.csv$/);
    const lines = csv.text.split("\r\n");
    assert.equal(lines[0], "id,agent_id,user_id,status,message,conversation_id,created_at,updated_at");
    assert.equal(lines.length, 3, csv.text);
    assert.ok(csv.text.includes(`"'=HYPERLINK(""http://evil.example"")"`), "the formula is neutralised");
    assert.ok(csv.text.includes(`"bob, the ""builder"""`), "commas and quotes are quoted");
    const json = await saved(() => page.getByRole("button", { name: "Export JSON" }).click());
    const listed = JSON.parse(json.text) as Json[];
    assert.deepEqual(listed.map((r) => r.id).sort(), [...runs].sort());
    assert.deepEqual(await seriousViolations(page), []);
  });

  it("downloads a run with its events as JSON, and its audit trail as NDJSON", async () => {
    await page.goto(`${platform.url}/#/runs/${runs[0]}`);
    await page.getByRole("button", { name: "Download run (JSON)" }).waitFor();
    await screenshot(page, "console-run-export");
    const run = await saved(() => page.getByRole("button", { name: "Download run (JSON)" }).click());
    assert.equal(run.name, `run-${runs[0]}.json`);
    const doc = JSON.parse(run.text) as Json;
    assert.equal(doc.run.id, runs[0]);
    assert.ok(
      doc.events.some((e: Json) => e.type === "AGENT_MESSAGE"),
      "the events are included",
    );
    const audit = await saved(() => page.getByRole("button", { name: "Export audit (NDJSON)" }).click());
    assert.equal(audit.name, `run-${runs[0]}-audit.ndjson`);
    const records = audit.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Json);
    assert.ok(records.length >= 2, audit.text);
  });

  it("lists the workspaces in Settings and switches by click", async () => {
    await page.goto(`${platform.url}/#/settings`);
    const list = page.getByRole("list", { name: "Workspaces" });
    await list.getByText("default (current)").waitFor();
    await list.getByRole("button", { name: "Switch to lab" }).click();
    await page.getByRole("list", { name: "Workspaces" }).getByText("lab (current)").waitFor();
    // biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator, not a DOM node
    assert.equal(await page.getByTestId("workspace").innerText(), "workspace lab");
    assert.deepEqual(await seriousViolations(page), []);
  });
});
