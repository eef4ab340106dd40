/**
 * `GET /agents/{name}/logs?follow=true` over real HTTP with a real agent process: the tail, then
 * a line the agent writes after the stream opened, then an `end` event when the agent is deleted.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { phaseIs, startAgentPlatform, waitForAgent } from "../deploy/helpers.js";
import type { TestPlatform } from "../helpers/platform.js";

const AGENT = `export async function handler(request) {
  console.log("said: " + request.message);
  return { response: "ok" };
}
`;

/** Reads `data:` events off an SSE body as they arrive. */
class EventReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  /** The next event's data, or undefined once the stream ends. */
  async next(): Promise<Record<string, unknown> | undefined> {
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const data = block
          .split("\n")
          .filter((line) => line.startsWith("data: "))
          .map((line) => line.slice(6))
          .join("\n");
        if (data) return JSON.parse(data) as Record<string, unknown>;
        continue;
      }
      const { done, value } = await this.#reader.read();
      if (done) return undefined;
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
  }
}

describe("following an agent's log", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startAgentPlatform();
    const res = await platform.call("POST", "/deploy", {
      agent_name: "chatty",
      source_files: { "agent.mjs": AGENT },
      entry_point: "agent.mjs",
    });
    assert.equal(res.status, 201, res.text);
    await waitForAgent(platform, "chatty", phaseIs("Running"));
  });
  after(() => platform.destroy());

  it("streams the tail, then new lines, then why it ended", async () => {
    const res = await fetch(`${platform.api}/agents/chatty/logs?follow=true&tail=1`, {
      headers: platform.authHeaders,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/event-stream");
    const events = new EventReader(res.body as ReadableStream<Uint8Array>);
    const first = await events.next();
    assert.equal(first?.type, "line");
    assert.equal(typeof first?.line, "string");

    const invoked = await platform.call("POST", "/agents/chatty/invoke", { message: "after the start" });
    assert.equal(invoked.status, 200, invoked.text);
    for (;;) {
      const event = await events.next();
      assert.equal(event?.type, "line", JSON.stringify(event));
      if (String(event?.line).includes("said: after the start")) break;
    }

    assert.equal((await platform.call("DELETE", "/agents/chatty")).status, 200);
    for (;;) {
      const event = await events.next();
      if (event?.type === "line") continue;
      assert.deepEqual(event, { type: "end", reason: "agent chatty was deleted" });
      break;
    }
    assert.equal(await events.next(), undefined);
  });

  it("refuses a follow value that is not a boolean, and an unknown agent", async () => {
    const bad = await platform.call("GET", "/agents/chatty/logs?follow=maybe");
    assert.deepEqual(
      [bad.status, bad.json],
      [400, { error: "query parameter follow must be true or false" }],
    );
    const missing = await platform.call("GET", "/agents/nobody/logs?follow=true");
    assert.deepEqual([missing.status, missing.json], [404, { error: "agent nobody not found" }]);
  });
});
