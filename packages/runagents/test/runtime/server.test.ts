import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, test } from "node:test";
import type { RuntimeServer } from "../../src/runtime/index.js";
import { FakePlatform, freePort, post, readEvents } from "./fake-platform.js";
import { startRuntime } from "./harness.js";

let fake: FakePlatform;
before(async () => {
  fake = await FakePlatform.start();
});
after(() => fake.close());

async function withRuntime<T>(
  fn: (runtime: RuntimeServer) => Promise<T>,
  options: Parameters<typeof startRuntime>[1] = {},
) {
  const runtime = await startRuntime(fake, options);
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

const json = async (response: Response) => ({
  status: response.status,
  body: (await response.json()) as unknown,
});

describe("health and readiness", () => {
  test("/ and /healthz report the agent, model, tool count and user code", async () => {
    const defs = JSON.stringify([{ type: "function", function: { name: "a__b" } }]);
    await withRuntime(
      async (runtime) => {
        for (const path of ["/", "/healthz"]) {
          assert.deepEqual(await json(await fetch(`${runtime.url}${path}`)), {
            status: 200,
            body: { status: "ok", agent: "test-agent", model: "agent-model", tools: 1, user_code: false },
          });
        }
      },
      { env: { TOOL_DEFINITIONS_JSON: defs } },
    );
  });

  test("/readyz probes the gateway's /healthz next to its /v1/", async () => {
    await withRuntime(async (runtime) => {
      fake.requests.length = 0;
      assert.deepEqual(await json(await fetch(`${runtime.url}/readyz`)), {
        status: 200,
        body: { status: "ready", llm_gateway: "reachable" },
      });
      assert.equal(fake.requests[0]?.path, "/healthz");
    });
  });

  test("/readyz is 503 when the gateway is unreachable", async () => {
    const port = await freePort();
    await withRuntime(
      async (runtime) => {
        const result = await json(await fetch(`${runtime.url}/readyz`));
        assert.equal(result.status, 503);
        assert.match(String((result.body as Record<string, unknown>).llm_gateway), /^connect ECONNREFUSED/);
      },
      { env: { LLM_GATEWAY_URL: `http://127.0.0.1:${port}/v1/chat/completions` } },
    );
  });
});

describe("routing and bodies", () => {
  test("unknown paths are a JSON 404 and wrong methods a JSON 405", async () => {
    await withRuntime(async (runtime) => {
      assert.deepEqual(await json(await fetch(`${runtime.url}/nope`)), {
        status: 404,
        body: { error: "not found" },
      });
      assert.deepEqual(await json(await post(`${runtime.url}/healthz`, {})), {
        status: 405,
        body: { error: "method not allowed" },
      });
      const get = await fetch(`${runtime.url}/invoke`);
      assert.equal(get.headers.get("allow"), "POST");
      assert.deepEqual(await json(get), { status: 405, body: { error: "method not allowed" } });
      assert.deepEqual(await json(await fetch(`${runtime.url}/invoke`, { method: "DELETE" })), {
        status: 405,
        body: { error: "method not allowed" },
      });
    });
  });

  test("JSON nested deeper than 64 levels is a 400, not a stack overflow", async () => {
    await withRuntime(async (runtime) => {
      const deep = `{"message":"x","a":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
      for (const path of ["/invoke", "/invoke/stream"]) {
        assert.deepEqual(await json(await post(`${runtime.url}${path}`, deep)), {
          status: 400,
          body: { error: "JSON nesting deeper than 64 levels" },
        });
      }
    });
  });

  test("invalid JSON, non-object JSON and a non-string message are 400s", async () => {
    await withRuntime(async (runtime) => {
      const url = `${runtime.url}/invoke`;
      assert.deepEqual(await json(await post(url, "{")), {
        status: 400,
        body: { error: "invalid JSON body" },
      });
      assert.deepEqual(await json(await post(url, "[1,2]")), {
        status: 400,
        body: { error: "request body must be a JSON object" },
      });
      assert.deepEqual(await json(await post(url, { message: 5 })), {
        status: 400,
        body: { error: "message must be a string" },
      });
      assert.deepEqual(await json(await post(url, { message: "x", history: "no" })), {
        status: 400,
        body: { error: "history must be an array" },
      });
    });
  });

  test("connections are kept alive across requests", async () => {
    await withRuntime(
      async (runtime) => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const send = () =>
          new Promise<boolean>((resolve, reject) => {
            const req = http.request(`${runtime.url}/invoke`, { method: "POST", agent }, (res) => {
              res.resume();
              res.on("end", () => resolve(req.reusedSocket));
            });
            req.on("error", reject);
            req.end('{"message":"x"}');
          });
        assert.equal(await send(), false);
        assert.equal(await send(), true);
        agent.destroy();
      },
      { handler: () => "ok" },
    );
  });
});

describe("AWS Bedrock AgentCore contract", () => {
  test("POST /invocations takes a prompt and answers like /invoke", async () => {
    await withRuntime(
      async (runtime) => {
        const result = await json(await post(`${runtime.url}/invocations`, { prompt: "hello" }));
        assert.equal(result.status, 200);
        assert.equal((result.body as Record<string, unknown>).response, "echo: hello");
        const events = await readEvents(
          await post(`${runtime.url}/invocations`, { prompt: "hi" }, { Accept: "text/event-stream" }),
        );
        assert.deepEqual(events[0], { type: "content", delta: "echo: hi" });
      },
      { handler: (message: string) => `echo: ${message}` },
    );
  });

  test("an invoke ended any way is no longer in flight: answered, 400, 413, a handler's throw", async () => {
    const handler = (message: string) => {
      if (message === "throw") throw new Error("boom");
      return `echo: ${message}`;
    };
    await withRuntime(
      async (runtime) => {
        const url = `${runtime.url}/invoke`;
        assert.equal((await post(url, { message: "hi" })).status, 200);
        assert.equal((await post(url, "{")).status, 400);
        assert.deepEqual(await json(await post(url, `{"message":"${"x".repeat(8 * 1024 * 1024)}"}`)), {
          status: 413,
          body: { error: "request body too large" },
        });
        const thrown = await json(await post(url, { message: "throw" }));
        assert.equal(thrown.status, 500);
        assert.equal((thrown.body as Record<string, unknown>).error, "boom");
        // Traced: the same through the trace context's path.
        const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        assert.equal((await post(url, { message: "hi" }, { traceparent })).status, 200);
        assert.equal((await post(url, { message: "throw" }, { traceparent })).status, 500);
        const ping = (await (await fetch(`${runtime.url}/ping`)).json()) as Record<string, unknown>;
        assert.equal(ping.status, "Healthy");
      },
      { handler },
    );
  });

  test("GET /ping is Healthy when idle and HealthyBusy while an invocation runs", async () => {
    let release = (): void => {};
    let started = (): void => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const handler = () =>
      new Promise<string>((resolve) => {
        release = () => resolve("done");
        started();
      });
    await withRuntime(
      async (runtime) => {
        const idle = (await (await fetch(`${runtime.url}/ping`)).json()) as Record<string, unknown>;
        assert.equal(idle.status, "Healthy");
        assert.equal(typeof idle.time_of_last_update, "number");
        const pending = post(`${runtime.url}/invocations`, { prompt: "wait" });
        await running;
        const busy = (await (await fetch(`${runtime.url}/ping`)).json()) as Record<string, unknown>;
        assert.equal(busy.status, "HealthyBusy");
        release();
        assert.equal((await pending).status, 200);
      },
      { handler },
    );
  });
});
