/**
 * `runagents approvals get` against a real platform: the table names the blocked call (method and
 * URL), and `-o json` prints the platform's body.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cliWithPlatform } from "./helpers.js";

const env = cliWithPlatform();

describe("approvals get", () => {
  test("shows the blocked call's method and URL; -o json is the API's body", async () => {
    const run = await env.platform.call("POST", "/runs", {
      agent_id: "pay-agent",
      user_id: "alice@example.com",
    });
    const runId = (run.json as { id: string }).id;
    const url = `${env.platform.url}/echo/payments?amount=10`;
    const action = await env.platform.call("POST", `/runs/${runId}/actions`, {
      tool_id: "echo-tool",
      tool_method: "POST",
      tool_url: url,
    });
    assert.equal(action.status, 201, action.text);
    const requests = (await env.platform.call("GET", "/approvals/requests")).json as Record<
      string,
      unknown
    >[];
    const id = String(requests.find((r) => r.run_id === runId)?.id);

    const shown = await env.ok("approvals", "get", id);
    assert.match(shown, /^Method: +POST$/m);
    assert.match(shown, new RegExp(`^URL: +${url.replaceAll(/[.?]/g, "\\$&")}$`, "m"));
    assert.match(shown, /^Tool: +echo-tool$/m);

    const json = JSON.parse(await env.ok("approvals", "get", id, "-o", "json")) as Record<string, unknown>;
    assert.deepEqual(json, (await env.platform.call("GET", `/approvals/requests/${id}`)).json);
    assert.equal(json.tool_url, url);
  });
});
