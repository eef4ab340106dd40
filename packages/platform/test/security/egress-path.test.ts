import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { governedAgent } from "../egress/helpers.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { rawRequest } from "../helpers/raw-request.js";

/**
 * An upstream that resolves paths the way nginx (and friends) do: percent-decodes the path
 * (twice, as a badly layered proxy chain would), reads `\` as `/`, drops `;` parameters and
 * removes dot segments. It records every path it resolved.
 */
async function startDecodingUpstream(): Promise<{ url: string; resolved: string[]; close(): Promise<void> }> {
  const resolved: string[] = [];
  const server: Server = createServer((req, res) => {
    let path = (req.url ?? "/").split("?")[0] as string;
    for (let i = 0; i < 2; i++) {
      try {
        path = decodeURIComponent(path);
      } catch {}
    }
    const out: string[] = [];
    for (const raw of path.replace(/\\/g, "/").split("/")) {
      const segment = raw.split(";")[0] as string;
      if (segment === "..") out.pop();
      else if (segment !== "." && segment !== "") out.push(segment);
    }
    const normal = `/${out.join("/")}`;
    resolved.push(normal);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ path: normal }));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    resolved,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe("security: the egress path is the path the policy saw", () => {
  let platform: TestPlatform;
  let upstream: Awaited<ReturnType<typeof startDecodingUpstream>>;
  let prefix: string;

  before(async () => {
    platform = await startTestPlatform();
    upstream = await startDecodingUpstream();
    const agent = await governedAgent(platform, {
      agent: "path-agent",
      tool: {
        name: "site",
        spec: {
          connection: { baseUrl: upstream.url },
          capabilities: [{ name: "public", method: "GET", path: "/public/*" }],
        },
      },
      rules: [
        { permission: "allow", resource: `${upstream.url}/public/*` },
        { permission: "deny", resource: `${upstream.url}/public/secret*` },
      ],
    });
    prefix = new URL(agent.egress).pathname;
  });
  after(async () => {
    await platform.destroy();
    await upstream.close();
  });

  const get = (path: string) => rawRequest(platform.url, "GET", `${prefix}${path}`);

  it("an encoded slash cannot escape a URL-prefix policy", async () => {
    for (const path of ["/public/..%2fadmin", "/public/..%2Fadmin", "/public/%2e%2e%2fadmin"]) {
      const res = await get(path);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.match((res.json as { error: string }).error, /encoded slash|\. or \.\. segments/);
    }
    assert.deepEqual(
      upstream.resolved.filter((p) => p.startsWith("/admin")),
      [],
    );
  });

  it("an encoded or raw backslash cannot escape a URL-prefix policy", async () => {
    for (const path of ["/public/..%5cadmin", "/public/..%5Cadmin", "/public/..\\admin"]) {
      const res = await get(path);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.match((res.json as { error: string }).error, /backslash/);
    }
    assert.deepEqual(
      upstream.resolved.filter((p) => p.startsWith("/admin")),
      [],
    );
  });

  it("a double-encoded slash cannot escape a URL-prefix policy", async () => {
    for (const path of ["/public/..%252fadmin", "/public/%252e%252e/admin"]) {
      const res = await get(path);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.deepEqual(res.json, {
        error: "the tool path must not be double percent-encoded (%25 followed by hex digits)",
      });
    }
    assert.deepEqual(
      upstream.resolved.filter((p) => p.startsWith("/admin")),
      [],
    );
  });

  it("a dot segment with a ;parameter cannot escape a URL-prefix policy", async () => {
    for (const path of ["/public/..;/admin", "/public/..%3bx/admin", "/public/.;/../admin"]) {
      const res = await get(path);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.deepEqual(res.json, { error: "the tool path must not contain . or .. segments" });
    }
    assert.deepEqual(
      upstream.resolved.filter((p) => p.startsWith("/admin")),
      [],
    );
  });

  it("percent-encoded letters cannot dodge a deny rule", async () => {
    const res = await get("/public/%73ecret");
    assert.equal(res.status, 403, res.text);
    assert.equal((res.json as { code: string }).code, "POLICY_DENIED");
    assert.ok(!upstream.resolved.includes("/public/secret"));
  });

  it("ordinary encoded characters still reach the tool unchanged", async () => {
    const res = await get("/public/a%20b/%41bc");
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { path: "/public/a b/Abc" });
  });
});
