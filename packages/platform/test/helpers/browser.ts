/**
 * Test helper: a headless Chromium (Debian's `chromium` package) driven by playwright-core, with
 * a fresh profile per launch (playwright-core's `launch` makes a temporary user-data-dir). Without a browser the tests that need one are skipped with the
 * reason, unless RUNAGENTS_REQUIRE_BROWSER=1 (CI), which makes a missing browser a failure.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AxeBuilder } from "@axe-core/playwright";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";

/** RUNAGENTS_CHROMIUM names the browser to use (and only that one); else Debian's paths. */
const CANDIDATES = process.env.RUNAGENTS_CHROMIUM
  ? [process.env.RUNAGENTS_CHROMIUM]
  : ["/usr/bin/chromium", "/usr/bin/chromium-browser"];

export const chromiumPath = (): string | undefined => CANDIDATES.find((p) => existsSync(p));

/** Why browser tests cannot run here ("" when they can); throws when CI requires them. */
export function browserMissing(): string {
  if (chromiumPath()) return "";
  const reason = `no Chromium found (looked at ${CANDIDATES.join(", ")}): apt-get install chromium`;
  if (process.env.RUNAGENTS_REQUIRE_BROWSER === "1") {
    throw new Error(`RUNAGENTS_REQUIRE_BROWSER=1 but ${reason}`);
  }
  return reason;
}

export interface TestBrowser {
  browser: Browser;
  /** A new context (its own storage) of the given size. */
  context(viewport?: { width: number; height: number }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath() as string,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-quic",
      "--disable-sync",
    ],
  });
  return {
    browser,
    context: (viewport = { width: 1280, height: 800 }) => browser.newContext({ viewport }),
    async close() {
      await browser.close();
    },
  };
}

/** Screenshots go to test-results/console at the repository root (git-ignored). */
export const SCREENSHOTS = fileURLToPath(new URL("../../../../../test-results/console/", import.meta.url));

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** A screenshot of the current screen, and its serious axe violations added to `violations`. */
export async function checkScreen(page: Page, name: string, violations: string[]): Promise<void> {
  await screenshot(page, name);
  for (const line of await seriousViolations(page)) violations.push(`${name}: ${line}`);
}

/** Opens `url` and waits for the screen's level-1 heading. */
export async function openScreen(page: Page, url: string, heading: string): Promise<void> {
  await page.goto(url);
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/** What a person sees of an element (rendered text: table cells apart, hidden text left out). */
// biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator, not a DOM node
export const shown = (locator: Locator): Promise<string> => locator.innerText();

/** axe-core on the page as it is: the serious and critical violations, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join("; ")}`);
}

/** The little of a browser window these page functions touch (the tests compile without the DOM library). */
export interface BrowserWindow {
  document: {
    documentElement: { scrollWidth: number };
    getElementById(id: string): { value?: string } | null;
  };
}
/** In the page: whether the field `id` holds `want` (a function, not a string: the console's CSP refuses eval). */
export const valueIs = ([id, want]: string[]): boolean =>
  (globalThis as unknown as BrowserWindow).document.getElementById(id as string)?.value === want;
