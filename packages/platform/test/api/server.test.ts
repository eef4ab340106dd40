import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { rawRequest } from "../helpers/raw-request.js";

type Json = Record<string, any>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe("HTTP front door", () => {
  let platform: TestPlatform;
  const raw = (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) =>
    rawRequest(platform.url, method, path, body, { ...platform.authHeaders, ...headers });
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("answers an unknown route with a JSON 404", async () => {
    for (const path of ["/api/v1/no-such-thing", "/api/v1/tools/a/b/c/d", "/no-such-root-path"]) {
      const res = await raw("GET", path);
      assert.equal(res.status, 404, path);
      assert.match(String(res.headers["content-type"]), /^application\/json/);
      assert.deepEqual(res.json, { error: `no route for GET ${path}` });
    }
  });

  it("answers a wrong method with a JSON 405 and an Allow header", async () => {
    const res = await raw("PATCH", "/api/v1/tools");
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, "GET, POST");
    assert.deepEqual(res.json, { error: "method PATCH not allowed on /api/v1/tools" });
    const named = await raw("PUT", "/api/v1/tools/some-tool");
    assert.equal(named.status, 405);
    assert.equal(named.headers.allow, "DELETE, GET");
  });

  it("echoes a sane X-Request-Id and generates one otherwise", async () => {
    const echoed = await raw("GET", "/api/v1/tools", undefined, {
      "X-Request-Id": "trace-abc.123:x",
    });
    assert.equal(echoed.headers["x-request-id"], "trace-abc.123:x");
    for (const bad of ["has spaces", "x".repeat(129), "semi;colon", "<script>"]) {
      const res = await raw("GET", "/api/v1/tools", undefined, { "X-Request-Id": bad });
      assert.match(String(res.headers["x-request-id"]), UUID, bad);
    }
    const none = await raw("GET", "/api/v1/tools");
    assert.match(String(none.headers["x-request-id"]), UUID);
    const failed = await raw("GET", "/api/v1/nope", undefined, {
      "X-Request-Id": "req-404",
    });
    assert.equal(failed.headers["x-request-id"], "req-404", "errors carry the id too");
  });

  it("answers HEAD on a GET route with the headers and no body", async () => {
    await platform.call("POST", "/tools", { name: "head-tool", base_url: "https://head.example" });
    const get = await raw("GET", "/api/v1/tools/head-tool");
    const head = await raw("HEAD", "/api/v1/tools/head-tool");
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
    assert.equal(head.headers["content-length"], get.headers["content-length"]);
    assert.match(String(head.headers["content-type"]), /^application\/json/);
  });

  it("isolates workspaces: a tool in workspace a is invisible in default and b", async () => {
    const res = await platform.call("POST", "/workspaces/a/tools", {
      name: "only-in-a",
      base_url: "https://a.example",
    });
    assert.equal(res.status, 201);
    assert.equal((res.json as Json).namespace, "a");
    assert.equal((await platform.call("GET", "/workspaces/a/tools/only-in-a")).status, 200);
    for (const prefix of ["", "/workspaces/b", "/workspaces/default"]) {
      const one = await platform.call("GET", `${prefix}/tools/only-in-a`);
      assert.equal(one.status, 404, prefix);
      assert.deepEqual(one.json, { error: 'tool "only-in-a" not found' });
      const list = (await platform.call("GET", `${prefix}/tools`)).json as Json[];
      assert.ok(!list.some((t) => t.name === "only-in-a"), prefix);
      assert.equal((await platform.call("DELETE", `${prefix}/tools/only-in-a`)).status, 404);
    }
    assert.equal((await platform.call("GET", "/workspaces/a/tools/only-in-a")).status, 200);
  });

  it("rejects an invalid workspace name with a 400", async () => {
    const cases: [string, string][] = [
      ["Upper", "Upper"],
      ["under_score", "under_score"],
      ["-leading", "-leading"],
      ["a.b", "a.b"],
      ["x%2F..%2Fy", "x/../y"],
      ["x".repeat(64), "x".repeat(64)],
      ["%C3%BC", "ü"],
    ];
    for (const [given, name] of cases) {
      const res = await raw("GET", `/api/v1/workspaces/${given}/tools`);
      assert.equal(res.status, 400, given);
      assert.deepEqual(res.json, {
        error: `invalid workspace name "${name}": use lowercase letters, digits and '-'`,
      });
    }
    const broken = await raw("GET", "/api/v1/workspaces/%E0%A4%A/tools");
    assert.equal(broken.status, 400);
    assert.deepEqual(broken.json, { error: "malformed percent-encoding in the request path" });
  });

  it("logs every request as one JSON line with request_id, method, path and status, never the body", async () => {
    const marker = "body-marker-7f3a9c";
    await raw("POST", "/api/v1/tools?secret=query-marker", JSON.stringify({ name: marker }), {
      "X-Request-Id": "log-check-1",
    });
    const lines = platform.logs.map((l) => JSON.parse(l) as Json);
    const line = lines.find((l) => l.msg === "request" && l.request_id === "log-check-1");
    assert.ok(line, "a request log line");
    assert.equal(line.method, "POST");
    assert.equal(line.path, "/api/v1/tools");
    assert.equal(line.status, 400);
    assert.equal(typeof line.duration_ms, "number");
    assert.ok(!platform.logs.some((l) => l.includes(marker)), "no request body in the logs");
    assert.ok(!platform.logs.some((l) => l.includes("query-marker")), "no query string in the logs");
  });

  it("rejects an oversized body with 413 and a malformed one with 400", async () => {
    const big = JSON.stringify({ name: "x", pad: "y".repeat(9 * 1024 * 1024) });
    const res = await raw("POST", "/api/v1/tools", big);
    assert.equal(res.status, 413);
    assert.deepEqual(res.json, { error: `request body too large: the limit is ${8 * 1024 * 1024} bytes` });
    const bad = await raw("POST", "/api/v1/tools", "{nope");
    assert.equal(bad.status, 400);
    assert.match((bad.json as Json).error, /^invalid JSON body: /);
    const list = await raw("POST", "/api/v1/tools", "[1]");
    assert.deepEqual(list.json, { error: "request body must be a JSON object" });
    assert.equal((await raw("GET", "/healthz")).status, 200);
  });
});

describe("graceful shutdown", () => {
  it("lets a request in flight when close() is called complete", async () => {
    const platform = await startTestPlatform();
    let release: () => void = () => {};
    const upstream = createServer((_req: IncomingMessage, res: ServerResponse) => {
      release = () => res.end("slow but fine");
      upstream.emit("waiting");
    });
    upstream.listen(0, "127.0.0.1");
    await once(upstream, "listening");
    const slowUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
    try {
      const waiting = once(upstream, "waiting");
      const inFlight = platform.call("POST", "/tools/probe", { url: slowUrl });
      await waiting;
      const closed = platform.close();
      let closedYet = false;
      void closed.then(() => {
        closedYet = true;
      });
      await new Promise((r) => setImmediate(r));
      assert.equal(closedYet, false, "close waits for the request in flight");
      await assert.rejects(fetch(`${platform.url}/healthz`), "no new connections once closing");
      release();
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal((res.json as Json).reachable, true);
      assert.equal((res.json as Json).status_code, 200);
      await closed;
    } finally {
      upstream.close();
      upstream.closeAllConnections();
      await platform.destroy();
    }
  });
});
