/**
 * `forward()` on its own: a tool server, a stand-in egress server whose handler forwards every
 * request to the tool (buffered bodies read first, like the egress; streamed ones passed through),
 * and a plain node:http client as the agent.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type RequestOptions,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, createServer as createNetServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  createPools,
  type ForwardOutcome,
  type ForwardRequest,
  forward,
  forwardableHeaders,
  type Pools,
  sha256,
} from "../../src/egress/forward.js";

const DROPPED = new Set(["host", "content-length"]);

interface Proxy {
  url: string;
  /** Resolves with the outcome of the next call the proxy forwards. */
  next(): Promise<ForwardOutcome>;
  close(): Promise<void>;
}

/** Forwards `/<anything>` to `target()` + the same path and query. */
async function startProxy(
  pools: Pools,
  target: () => string,
  options: { timeoutMs?: number; stream?: boolean } = {},
): Promise<Proxy> {
  let waiters: ((o: ForwardOutcome) => void)[] = [];
  const server = createServer(async (req, res) => {
    let body: Buffer | IncomingMessage = req;
    if (!options.stream) {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      body = Buffer.concat(chunks);
    }
    const headers = forwardableHeaders(req.headers, DROPPED);
    if (body instanceof Buffer && body.length > 0) headers["content-length"] = String(body.length);
    else if (!(body instanceof Buffer) && req.headers["content-length"] !== undefined)
      headers["content-length"] = req.headers["content-length"];
    const input: ForwardRequest = {
      tool: "t",
      method: req.method ?? "GET",
      url: new URL(`${target()}${req.url}`),
      headers,
      body,
      timeoutMs: options.timeoutMs ?? 5_000,
    };
    const outcome = await forward(pools, input, res);
    for (const w of waiters) w(outcome);
    waiters = [];
  });
  const url = `http://${await listen(server)}`;
  return {
    url,
    next: () => new Promise((resolve) => waiters.push(resolve)),
    close: () => closeServer(server),
  };
}

async function listen(
  server: Server | ReturnType<typeof createNetServer>,
  host = "127.0.0.1",
): Promise<string> {
  server.listen(0, host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

interface Answer {
  status: number;
  statusMessage: string;
  rawHeaders: string[];
  body: Buffer;
}

/** One call as the agent makes it (a fresh connection each time). */
function call(url: string, options: RequestOptions = {}, body?: Buffer | string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent: false, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          statusMessage: res.statusMessage ?? "",
          rawHeaders: res.rawHeaders,
          body: Buffer.concat(chunks),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const headerValues = (raw: string[], name: string): string[] =>
  raw.filter((_, i) => i % 2 === 1 && raw[i - 1]?.toLowerCase() === name);

describe("egress forward: the wire to the tool", () => {
  let pools: Pools;
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  const seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: Buffer }[] = [];
  let tool: Server;
  let toolUrl: string;
  let proxy: Proxy;

  before(async () => {
    pools = createPools();
    tool = createServer((req, res) => {
      const route = routes.get((req.url ?? "/").split("?")[0] as string);
      if (route) return route(req, res);
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        seen.push({
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks),
        });
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end(`ok ${req.method} ${req.url}`);
      });
    });
    toolUrl = `http://${await listen(tool)}`;
    proxy = await startProxy(pools, () => toolUrl);
  });
  after(async () => {
    await proxy.close();
    await closeServer(tool);
    pools.close();
  });

  it("keeps the tool's status, status message and repeated headers, and drops hop-by-hop ones", async () => {
    routes.set("/headers", (_req, res) => {
      res.writeHead(201, "Made It", [
        ["Set-Cookie", "a=1"],
        ["Set-Cookie", "b=2"],
        ["Connection", "keep-alive, X-Drop"],
        ["X-Drop", "1"],
        ["X-Keep", "yes"],
        ["Content-Length", "4"],
      ]);
      res.end("made");
    });
    const outcome = proxy.next();
    const res = await call(`${proxy.url}/headers?x=1`, {
      headers: { Connection: "keep-alive, X-Hop", "X-Hop": "1", "X-Custom": "kept" },
    });
    assert.equal(res.status, 201);
    assert.equal(res.statusMessage, "Made It");
    assert.deepEqual(headerValues(res.rawHeaders, "set-cookie"), ["a=1", "b=2"]);
    assert.deepEqual(headerValues(res.rawHeaders, "x-drop"), []);
    assert.deepEqual(headerValues(res.rawHeaders, "x-keep"), ["yes"]);
    assert.equal(res.body.toString(), "made");
    assert.deepEqual(await outcome, {
      status: 201,
      durationMs: (await outcome).durationMs,
      responseBytes: 4,
      responseHash: sha256(Buffer.from("made")),
      requestHash: sha256(Buffer.alloc(0)),
    });
    routes.delete("/headers");
  });

  it("sends the method, path, query, headers and buffered body, hashing the body", async () => {
    const outcome = proxy.next();
    const res = await call(
      `${proxy.url}/things?q=a%20b&r=1`,
      { method: "POST", headers: { "X-Custom": "kept", Connection: "X-Hop", "X-Hop": "1" } },
      "payload",
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "ok POST /things?q=a%20b&r=1");
    const got = seen.at(-1);
    assert.equal(got?.body.toString(), "payload");
    assert.equal(got?.headers["x-custom"], "kept");
    assert.equal(got?.headers["x-hop"], undefined);
    assert.equal(got?.headers["content-length"], "7");
    assert.equal((await outcome).requestHash, sha256(Buffer.from("payload")));
  });

  it("streams a request body through as it arrives and hashes it on the way", async () => {
    const streaming = await startProxy(pools, () => toolUrl, { stream: true });
    let firstSeen: () => void = () => undefined;
    const first = new Promise<void>((resolve) => {
      firstSeen = resolve;
    });
    const parts: Buffer[] = [];
    routes.set("/upload", (req, res) => {
      req.on("data", (c: Buffer) => {
        parts.push(c);
        firstSeen();
      });
      req.on("end", () => res.end(`got ${Buffer.concat(parts).length}`));
    });
    const outcome = streaming.next();
    const answer = new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest(`${streaming.url}/upload`, { method: "POST", agent: false }, resolve);
      req.on("error", reject);
      req.write("x".repeat(1000));
      // The rest goes only once the tool has the first part: the body is not buffered on the way.
      void first.then(() => req.end("y".repeat(1000)));
    });
    const res = await answer;
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), "got 2000");
    assert.equal((await outcome).requestHash, sha256(Buffer.from("x".repeat(1000) + "y".repeat(1000))));
    routes.delete("/upload");
    await streaming.close();
  });

  it("streams a large answer with backpressure: the tool is held while the agent does not read", async () => {
    const total = 48 * 1024 * 1024;
    let written = 0;
    const toolHash = createHash("sha256");
    routes.set("/big", (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": total });
      const pump = () => {
        while (written < total) {
          const chunk = Buffer.alloc(64 * 1024, written / (64 * 1024));
          written += chunk.length;
          toolHash.update(chunk);
          if (!res.write(chunk)) {
            res.once("drain", pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const outcome = proxy.next();
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpRequest(`${proxy.url}/big`, { agent: false }, resolve).on("error", reject).end(),
    );
    res.pause();
    // Wait until the tool stops making progress: everything in between is full.
    let last = -1;
    while (written !== last) {
      last = written;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(
      written < total / 2,
      `the tool wrote ${written} of ${total} bytes while the agent read nothing`,
    );
    const agentHash = createHash("sha256");
    let received = 0;
    res.on("data", (c: Buffer) => {
      received += c.length;
      agentHash.update(c);
    });
    res.resume();
    await once(res, "end");
    assert.equal(received, total);
    const expected = `sha256:${toolHash.digest("hex")}`;
    assert.equal(`sha256:${agentHash.digest("hex")}`, expected);
    const result = await outcome;
    assert.equal(result.status, 200);
    assert.equal(result.responseBytes, total);
    assert.equal(result.responseHash, expected);
    routes.delete("/big");
  });

  it("makes the next call on a fresh connection after the tool closed the idle one", async () => {
    const before = await call(`${proxy.url}/first`);
    assert.equal(before.status, 200);
    tool.closeIdleConnections();
    const afterClose = await call(`${proxy.url}/second`);
    assert.equal(afterClose.status, 200);
    assert.equal(afterClose.body.toString(), "ok GET /second");
  });

  it("answers 504 JSON when the tool sends no headers in time", async () => {
    const slow = await startProxy(pools, () => toolUrl, { timeoutMs: 300 });
    routes.set("/slow", () => undefined);
    const outcome = slow.next();
    const res = await call(`${slow.url}/slow`);
    assert.equal(res.status, 504);
    assert.deepEqual(JSON.parse(res.body.toString()), {
      error: "tool t did not answer within 0.3s",
      code: "UPSTREAM_TIMEOUT",
      tool: "t",
    });
    assert.equal((await outcome).status, 504);
    routes.delete("/slow");
    await slow.close();
  });

  it("breaks the agent's answer when the tool stalls mid-answer, or breaks off", async () => {
    const slow = await startProxy(pools, () => toolUrl, { timeoutMs: 300 });
    routes.set("/stall", (_req, res) => {
      res.writeHead(200, { "Content-Length": 100 });
      res.write("part");
    });
    routes.set("/break", (_req, res) => {
      res.writeHead(200, { "Content-Length": 100 });
      res.write("part", () => res.socket?.destroy());
    });
    for (const [path, error] of [
      ["/stall", "tool t stalled for 0.3s mid-answer"],
      ["/break", "tool t broke off: aborted"],
    ] as const) {
      const outcome = slow.next();
      const res = await new Promise<IncomingMessage>((resolve, reject) =>
        httpRequest(`${slow.url}${path}`, { agent: false }, resolve).on("error", reject).end(),
      );
      const closed = new Promise((resolve) => res.on("close", resolve));
      res.on("error", () => undefined);
      res.resume();
      await closed;
      assert.equal(res.complete, false, `${path}: the agent sees a broken answer`);
      const result = await outcome;
      assert.equal(result.status, 502);
      assert.equal(result.error, error);
      assert.equal(result.responseBytes, 4);
      assert.equal(result.responseHash, sha256(Buffer.from("part")));
    }
    routes.delete("/stall");
    routes.delete("/break");
    await slow.close();
  });

  it("aborts the tool call when the agent hangs up, with outcome 499", async () => {
    let toolSideClosed: () => void = () => undefined;
    const upstreamClosed = new Promise<void>((resolve) => {
      toolSideClosed = resolve;
    });
    let received: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      received = resolve;
    });
    routes.set("/hang", (req) => {
      req.socket.on("close", toolSideClosed);
      received();
    });
    const outcome = proxy.next();
    const req = httpRequest(`${proxy.url}/hang`, { agent: false });
    req.on("error", () => undefined);
    req.end();
    await arrived;
    req.destroy();
    const result = await outcome;
    assert.equal(result.status, 499);
    assert.equal(result.error, "the agent closed the connection");
    await upstreamClosed;
    routes.delete("/hang");
  });

  it("answers 502 JSON when the tool is unreachable", async () => {
    const dead = await startProxy(pools, () => "http://127.0.0.1:9");
    const res = await call(`${dead.url}/x`);
    assert.equal(res.status, 502);
    assert.deepEqual(JSON.parse(res.body.toString()), {
      error: "tool t is unreachable: ECONNREFUSED",
      code: "UPSTREAM_UNAVAILABLE",
      tool: "t",
    });
    await dead.close();
  });
});

describe("egress forward: kept-alive connections the tool closes under a call", () => {
  /**
   * A tool that answers the first request on each connection and keeps it alive, then closes it
   * just as the next request arrives (its idle timeout racing the call).
   */
  async function racingTool(): Promise<{ url: string; requests: () => number; close(): void }> {
    let requests = 0;
    const server = createNetServer((socket: Socket) => {
      let served = 0;
      socket.on("data", () => {
        requests += 1;
        if (served++ === 0)
          socket.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=60\r\n\r\nok");
        else socket.destroy();
      });
    });
    const url = `http://${await listen(server)}`;
    return { url, requests: () => requests, close: () => server.close() };
  }

  it("retries a GET once on a fresh connection", async () => {
    const pools = createPools();
    const tool = await racingTool();
    const proxy = await startProxy(pools, () => tool.url);
    assert.equal((await call(`${proxy.url}/a`)).status, 200);
    const res = await call(`${proxy.url}/b`);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "ok");
    assert.equal(
      tool.requests(),
      3,
      "the second call went out twice: on the closed connection, then a new one",
    );
    await proxy.close();
    tool.close();
    pools.close();
  });

  it("does not replay a POST: the tool may have acted on it", async () => {
    const pools = createPools();
    const tool = await racingTool();
    const proxy = await startProxy(pools, () => tool.url);
    assert.equal((await call(`${proxy.url}/a`)).status, 200);
    const outcome = proxy.next();
    const res = await call(`${proxy.url}/c`, { method: "POST" }, "{}");
    assert.equal(res.status, 502);
    assert.equal(JSON.parse(res.body.toString()).error, "tool t is unreachable: ECONNRESET");
    assert.equal((await outcome).error, "tool t is unreachable: ECONNRESET");
    assert.equal(tool.requests(), 2);
    await proxy.close();
    tool.close();
    pools.close();
  });
});

// A throwaway self-signed certificate for localhost / 127.0.0.1 / ::1, for this test only.
const TEST_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgFnomCRhw2kp0vq4l
krYxwqw//ULnslXcRdl+8zxOjwihRANCAARypGMufrt1tjzvNnTdlo8zcQuCW39s
Fvo22SJpXaE3Y2nG4kYgTMtn+joNaVdar0PAZCxu24giMamH20IZOjji
-----END PRIVATE KEY-----`;
const TEST_CERT = `-----BEGIN CERTIFICATE-----
MIIBrjCCAVSgAwIBAgIUZ8HvXFudpPSdJeF8RR66djwH8CcwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyODE1MTkxMloYDzIxMjYxMTA0
MTUxOTEyWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARypGMufrt1tjzvNnTdlo8zcQuCW39sFvo22SJpXaE3Y2nG4kYgTMtn
+joNaVdar0PAZCxu24giMamH20IZOjjio4GBMH8wHQYDVR0OBBYEFK6FuOQniwRv
4YkV+v/w1Y6V7vSMMB8GA1UdIwQYMBaAFK6FuOQniwRv4YkV+v/w1Y6V7vSMMA8G
A1UdEwEB/wQFMAMBAf8wLAYDVR0RBCUwI4IJbG9jYWxob3N0hwR/AAABhxAAAAAA
AAAAAAAAAAAAAAABMAoGCCqGSM49BAMCA0gAMEUCIEnF2ItDIacvpxazdl2VOF4d
4gRm+Z3Tal7AXOz9rlnbAiEA7ZFo8TgV9phoGyYJswU5rqLYRu2dl+6o89SwuahJ
CVo=
-----END CERTIFICATE-----`;

describe("egress forward: https tools and IPv6 literal hosts", () => {
  let pools: Pools;
  let previous: string | undefined;

  before(() => {
    pools = createPools();
    // Tools with certificates the platform does not know are trusted the usual Node way.
    previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
  });
  after(() => {
    if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
    pools.close();
  });

  it("forwards to an https tool on [::1] with the query string", async () => {
    const tool = createHttpsServer({ key: TEST_KEY, cert: TEST_CERT }, (req, res) => {
      res.end(`secure ${req.url} host=${req.headers.host}`);
    });
    const address = await listen(tool, "::1");
    const proxy = await startProxy(pools, () => `https://${address}`);
    for (const path of ["/a?x=1&y=%20", "/b"]) {
      const res = await call(`${proxy.url}${path}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.toString(), `secure ${path} host=${address}`);
    }
    await proxy.close();
    await closeServer(tool);
  });

  it("answers 504 when the tool accepts the connection but never completes the handshake", async () => {
    const silent = createNetServer(() => undefined);
    const address = await listen(silent);
    const proxy = await startProxy(pools, () => `https://${address}`, { timeoutMs: 300 });
    const res = await call(`${proxy.url}/x`);
    assert.equal(res.status, 504);
    assert.equal(JSON.parse(res.body.toString()).error, "tool t did not answer within 0.3s");
    await proxy.close();
    silent.close();
  });
});
