/**
 * The console's files as the platform serves them: the page for browsers at `/` (API clients
 * keep the JSON health answer), hashed assets with their content types and a year of immutable
 * caching, gzip when asked, and nothing outside the console's folder whatever the path says.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { rawRequest } from "../helpers/raw-request.js";

const CONSOLE_DIR = fileURLToPath(new URL("../../console/", import.meta.url));

describe("console assets", () => {
  let platform: TestPlatform;
  let index = "";
  before(async () => {
    platform = await startTestPlatform();
    index = readFileSync(`${CONSOLE_DIR}index.html`, "utf8");
  });
  after(() => platform.destroy());

  const assetNamed = (ext: string): string => {
    const match = new RegExp(`/assets/([\\w.-]+\\.${ext})`).exec(index);
    assert.ok(match, `index.html links a .${ext} asset`);
    return match[1] as string;
  };

  it("answers browsers at / with the console page and API clients with the JSON health", async () => {
    const page = await rawRequest(platform.url, "GET", "/", undefined, { Accept: "text/html,*/*;q=0.8" });
    assert.equal(page.status, 200);
    assert.equal(page.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(page.text, index);
    assert.equal(page.headers["cache-control"], "no-cache");
    assert.match(String(page.headers["content-security-policy"]), /default-src 'self'/);
    assert.equal(page.headers["referrer-policy"], "no-referrer");

    for (const accept of [undefined, "application/json", "*/*"]) {
      const health = await rawRequest(platform.url, "GET", "/", undefined, accept ? { Accept: accept } : {});
      assert.equal(health.status, 200);
      assert.deepEqual(health.json, { status: "ok", service: "runagents-platform" });
    }
  });

  it("serves hashed assets with their content type, immutable caching and gzip on request", async () => {
    const script = assetNamed("js");
    const plain = await rawRequest(platform.url, "GET", `/assets/${script}`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(plain.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(plain.headers["x-content-type-options"], "nosniff");
    assert.equal(plain.text, readFileSync(`${CONSOLE_DIR}assets/${script}`, "utf8"));

    const zipped = await fetch(`${platform.url}/assets/${script}`, {
      headers: { "Accept-Encoding": "gzip" },
    });
    assert.equal(zipped.headers.get("content-encoding"), "gzip");
    assert.equal(await zipped.text(), plain.text, "fetch inflates it to the same file");

    const style = await rawRequest(platform.url, "GET", `/assets/${assetNamed("css")}`, undefined, {
      "Accept-Encoding": "gzip, br",
    });
    assert.equal(style.headers["content-type"], "text/css; charset=utf-8");
    assert.equal(style.headers["content-encoding"], "gzip");
  });

  it("keeps the first load (the page, its entry script and stylesheet) within 150 KB gzip", () => {
    const linked = [...index.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(linked.length >= 2, "a script and a stylesheet");
    const files = [Buffer.from(index), ...linked.map((p) => readFileSync(`${CONSOLE_DIR}${p}`))];
    const gzip = files.reduce((n, f) => n + gzipSync(f).length, 0);
    assert.ok(gzip <= 150 * 1024, `first load is ${gzip} bytes gzip`);
  });

  it("serves nothing outside the assets folder, however the path is written", async () => {
    const secretish = readFileSync(fileURLToPath(new URL("../../../package.json", import.meta.url)), "utf8");
    const paths = [
      "/assets/..%2F..%2Fpackage.json",
      "/assets/%2E%2E%2F%2E%2E%2Fpackage.json",
      "/assets/..%2Findex.html",
      "/assets/..%2F",
      "/assets/.%2E%2Fpackage.json",
      "/assets/%2Fetc%2Fpasswd",
      "/assets/..%5C..%5Cpackage.json",
      "/assets/index.html%00.js",
      "/assets/no-such-file.js",
      "/assets/../../package.json",
      "/assets/",
    ];
    for (const path of paths) {
      const res = await rawRequest(platform.url, "GET", path);
      assert.equal(res.status, 404, `${path} -> ${res.status}`);
      assert.equal(typeof (res.json as { error?: unknown })?.error, "string", path);
      assert.ok(!res.text.includes('"name"') && res.text !== secretish, `${path} leaked a file`);
    }
  });
});
