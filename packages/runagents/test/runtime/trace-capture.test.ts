/**
 * The response body of a handler's traced `fetch` reaches the trace (and the tool-result report)
 * however the handler reads it, or when it does not read it at all, and a streamed answer still
 * streams to the handler. The runtime's own governance calls carry the request's identity.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, test } from "node:test";
import type { HandlerRequest, RunContext } from "../../src/agent/index.js";
import { type Logger, silentLogger } from "../../src/runtime/index.js";
import { FakePlatform, freePort, post } from "./fake-platform.js";
import { startRuntime } from "./harness.js";

let fake: FakePlatform;
before(async () => {
  fake = await FakePlatform.start();
});
after(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
});

const ids = { "X-Run-ID": "run-1", "X-Request-Id": "req-1", "X-End-User-Id": "alice@example.com" };
const BODY = '{"items":["ä",1]}';

type Reader = (response: Response) => Promise<string>;

const readers: Record<string, Reader> = {
  text: (r) => r.text(),
  json: async (r) => JSON.stringify(await r.json()),
  arrayBuffer: async (r) => Buffer.from(await r.arrayBuffer()).toString("utf8"),
  "body reader": async (r) => {
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    const parts: Buffer[] = [];
    for (let next = await reader.read(); !next.done; next = await reader.read())
      parts.push(Buffer.from(next.value));
    return Buffer.concat(parts).toString("utf8");
  },
  "body iteration": async (r) => {
    const parts: Buffer[] = [];
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
    return Buffer.concat(parts).toString("utf8");
  },
  clone: async (r) => {
    const copy = r.clone();
    return `${await copy.text()}|${await r.text()}`;
  },
  blob: async (r) => (await r.blob()).text(),
  "not read": async () => "unread",
};
const bytes = (Response.prototype as { bytes?: unknown }).bytes;
if (typeof bytes === "function") {
  readers.bytes = async (r) =>
    Buffer.from(await (r as Response & { bytes(): Promise<Uint8Array> }).bytes()).toString("utf8");
}

describe("the trace of a fetch's response body", () => {
  for (const [name, read] of Object.entries(readers)) {
    test(`holds the body when the handler reads it with ${name}`, async () => {
      fake.tool("inventory", () => ({ body: BODY }));
      const runtime = await startRuntime(fake, {
        env: { TOOL_URL_INVENTORY: fake.toolUrl("inventory") },
        handler: async (_request: HandlerRequest, ctx: RunContext) => {
          const response = await fetch(`${ctx.tools.inventory}/items`);
          assert.ok(response instanceof Response);
          assert.equal(Object.keys(response).length, 0);
          return read(response);
        },
      });
      try {
        const answer = await post(`${runtime.url}/invoke`, { message: "go" }, ids);
        const body = (await answer.json()) as {
          response: string;
          tool_calls_made: Array<Record<string, unknown>>;
        };
        assert.equal(answer.status, 200);
        assert.equal(
          body.response,
          name === "clone" ? `${BODY}|${BODY}` : name === "not read" ? "unread" : BODY,
        );
        assert.equal(body.tool_calls_made.length, 1);
        assert.equal(body.tool_calls_made[0]?.result, BODY);
        assert.equal(body.tool_calls_made[0]?.status_code, 200);
        // Reported before the answer, with the body, as the request.
        const [report] = fake.to("/gov/runs/run-1/tool-result");
        assert.equal(JSON.parse(report?.body ?? "{}").result, BODY);
        assert.equal(report?.headers["x-run-id"], "run-1");
        assert.equal(report?.headers["x-request-id"], "req-1");
        assert.equal(report?.headers["x-end-user-id"], "alice@example.com");
        assert.equal(report?.headers["content-type"], "application/json");
      } finally {
        await runtime.close();
      }
    });
  }

  test("a body the handler cannot parse is still traced, and json() rejects as fetch's does", async () => {
    fake.tool("inventory", () => ({ body: "not json" }));
    const runtime = await startRuntime(fake, {
      env: { TOOL_URL_INVENTORY: fake.toolUrl("inventory") },
      handler: async (_request: HandlerRequest, ctx: RunContext) => {
        const response = await fetch(`${ctx.tools.inventory}/items`);
        try {
          await response.json();
          return "parsed";
        } catch (error) {
          return `${(error as Error).name}, used ${response.bodyUsed}`;
        }
      },
    });
    try {
      const answer = await post(`${runtime.url}/invoke`, { message: "go" }, ids);
      const body = (await answer.json()) as {
        response: string;
        tool_calls_made: Array<Record<string, unknown>>;
      };
      assert.equal(body.response, "SyntaxError, used true");
      assert.equal(body.tool_calls_made[0]?.result, "not json");
    } finally {
      await runtime.close();
    }
  });

  test("a streamed answer reaches the handler chunk by chunk and the trace whole", async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tool: Server = createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.write("first;");
      released.then(() => res.end("second"));
    });
    await new Promise<void>((resolve) => tool.listen(0, "127.0.0.1", resolve));
    const toolUrl = `http://127.0.0.1:${(tool.address() as AddressInfo).port}`;
    const runtime = await startRuntime(fake, {
      env: { TOOL_URL_STREAMER: toolUrl },
      handler: async (_request: HandlerRequest, ctx: RunContext) => {
        const response = await fetch(`${ctx.tools.streamer}/feed`);
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        // The first chunk arrives while the tool still holds the rest back.
        const first = decoder.decode((await reader.read()).value);
        release();
        let rest = "";
        for (let next = await reader.read(); !next.done; next = await reader.read())
          rest += decoder.decode(next.value);
        return `${first}+${rest}`;
      },
    });
    try {
      const answer = await post(`${runtime.url}/invoke`, { message: "go" }, ids);
      const body = (await answer.json()) as {
        response: string;
        tool_calls_made: Array<Record<string, unknown>>;
      };
      assert.equal(body.response, "first;+second");
      assert.equal(body.tool_calls_made[0]?.result, "first;second");
      assert.equal(body.tool_calls_made[0]?.tool, "streamer");
    } finally {
      await runtime.close();
      tool.closeAllConnections();
      await new Promise((resolve) => tool.close(resolve));
    }
  });
});

describe("the runtime's governance calls", () => {
  test("an unreachable governance is logged and the run is still answered", async () => {
    fake.tool("inventory", () => ({ body: BODY }));
    const warnings: Array<{ msg: string; fields: Record<string, unknown> | undefined }> = [];
    const logger: Logger = {
      ...silentLogger,
      warn: (msg: string, fields?: Record<string, unknown>) => warnings.push({ msg, fields }),
    };
    const closed = await freePort();
    const runtime = await startRuntime(fake, {
      env: {
        TOOL_URL_INVENTORY: fake.toolUrl("inventory"),
        GOVERNANCE_URL: `http://127.0.0.1:${closed}/gov`,
      },
      handler: async (_request: HandlerRequest, ctx: RunContext) =>
        (await fetch(`${ctx.tools.inventory}/x`)).text(),
      logger,
    });
    try {
      const answer = await post(`${runtime.url}/invoke`, { message: "go" }, ids);
      assert.equal(answer.status, 200);
      assert.equal(((await answer.json()) as { response: string }).response, BODY);
      const failed = warnings.find((w) => w.msg === "tool_result_report_failed");
      assert.equal(failed?.fields?.run_id, "run-1");
      assert.match(String(failed?.fields?.error), /ECONNREFUSED/);
    } finally {
      await runtime.close();
    }
  });
});
