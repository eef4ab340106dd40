// Scenario `console`: the web console's first load (the bytes a browser downloads, gzip, before
// the first screen: the page, its entry script and stylesheet) and the time from opening the
// approvals inbox to the first Approve button a person can press, with 1,000 pending requests,
// in headless Chromium. Baseline in the same run: the inbox's API call alone from Node.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { loadPlatformConfig, silentLogger, startPlatform } from "../../packages/platform/dist/src/index.js";

const PENDING = 1000;
const CONSOLE = fileURLToPath(new URL("../../packages/platform/dist/console/", import.meta.url));

/** index.html plus what it loads before anything renders (lazy chunks such as uPlot excluded). */
function firstLoadBytes() {
  const index = readFileSync(join(CONSOLE, "index.html"));
  const linked = [...index.toString().matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]);
  const files = [index, ...linked.map((path) => readFileSync(join(CONSOLE, path)))];
  return {
    files: linked.length + 1,
    raw: files.reduce((n, f) => n + f.length, 0),
    gzip: files.reduce((n, f) => n + gzipSync(f).length, 0),
  };
}

export async function run() {
  const load = firstLoadBytes();
  console.log(
    `\nconsole first load: ${load.files} files, ${load.raw} bytes, ${load.gzip} bytes gzip (limit 153600)`,
  );

  const dataDir = mkdtempSync(join(tmpdir(), "runagents-bench-console-"));
  const platform = await startPlatform(
    { ...loadPlatformConfig([], {}), port: 0, dataDir },
    { logger: silentLogger },
  );
  const headers = { "Content-Type": "application/json", "X-RunAgents-API-Key": platform.bootstrapKey };
  const api = `${platform.url}/api/v1`;
  try {
    for (let i = 0; i < PENDING; i++) {
      const res = await fetch(`${api}/approvals/requests`, {
        method: "POST",
        headers,
        body: JSON.stringify({
          subject: `user-${i}@example.com`,
          tool_id: "payments",
          agent_id: "billing",
          tool_method: "POST",
          tool_url: `https://payments.example.com/charges/${i}`,
          payload_hash: `sha256:${i.toString(16).padStart(64, "0")}`,
        }),
      });
      if (res.status !== 201) throw new Error(`creating request ${i}: ${res.status} ${await res.text()}`);
    }
    const apiStarted = performance.now();
    const listed = await (await fetch(`${api}/approvals/requests?status=PENDING`, { headers })).json();
    const apiMs = Math.round(performance.now() - apiStarted);
    if (listed.length !== PENDING) throw new Error(`expected ${PENDING} pending, got ${listed.length}`);

    const chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
    let inboxMs = null;
    if (chromium) {
      const { chromium: driver } = await import("playwright-core");
      const browser = await driver.launch({
        executablePath: chromium,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--no-first-run",
        ],
      });
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      // Signed in first (the key goes to sessionStorage), so the measure is the inbox alone.
      await page.goto(`${platform.url}/#key=${encodeURIComponent(platform.bootstrapKey)}`);
      await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
      await page.goto("about:blank");
      const started = performance.now();
      await page.goto(`${platform.url}/#/approvals`);
      await page
        .getByRole("button", { name: "Approve" })
        .first()
        .waitFor({ state: "visible", timeout: 60_000 });
      inboxMs = Math.round(performance.now() - started);
      await browser.close();
    } else {
      console.log("no Chromium found (apt-get install chromium): the inbox time is not measured");
    }
    console.log(
      `inbox with ${PENDING} pending: API call alone (baseline) ${apiMs} ms; console interactive ${inboxMs ?? "n/a"} ms`,
    );
    return { first_load: load, pending: PENDING, api_list_ms: apiMs, inbox_interactive_ms: inboxMs };
  } finally {
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
