/**
 * The `list_consents` MCP tool run in-process against a recording server: what it puts on the wire,
 * the camelCase consents it returns, and its read-only annotations.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { callTool, findTool } from "../../src/mcp/index.js";
import { clientFor, serve } from "../helpers/recording-server.js";

async function run(client: ReturnType<typeof clientFor>, args: unknown) {
  const tool = findTool("list_consents");
  assert.ok(tool);
  const result = await callTool(tool, client, args);
  return { isError: result.isError === true, body: result.structuredContent, text: result.content[0]?.text };
}

describe("MCP list_consents", () => {
  it("list_consents filters by status, returns camelCase consents and refuses other statuses", async (t) => {
    const consent = {
      id: "c-1",
      resume_id: "c-1",
      tool: "mail",
      user_id: "alice@example.com",
      run_id: "run-1",
      agent: "mail-agent",
      status: "pending",
      authorization_url: "http://127.0.0.1:1/authorize?state=s",
      expires_at: "e",
      granted_at: "",
      created_at: "c",
      updated_at: "u",
    };
    const server = (await serve(t)).otherwise({ json: [consent] });
    const client = clientFor(server);
    const pending = await run(client, { status: "pending" });
    assert.deepEqual(pending.body, {
      items: [
        {
          id: "c-1",
          resumeId: "c-1",
          tool: "mail",
          userId: "alice@example.com",
          runId: "run-1",
          agent: "mail-agent",
          status: "pending",
          authorizationUrl: "http://127.0.0.1:1/authorize?state=s",
          expiresAt: "e",
          grantedAt: "",
          createdAt: "c",
          updatedAt: "u",
        },
      ],
    });
    await run(client, {});
    await run(client, { status: null });
    assert.deepEqual(server.calls(), [
      "GET /api/v1/consents?status=pending",
      "GET /api/v1/consents",
      "GET /api/v1/consents",
    ]);
    const bad = await run(client, { status: "PENDING" });
    assert.deepEqual(bad, {
      isError: true,
      body: {
        error:
          'invalid arguments for list_consents: status must be one of pending, granted, expired; got "PENDING"',
      },
      text: JSON.stringify(
        {
          error:
            'invalid arguments for list_consents: status must be one of pending, granted, expired; got "PENDING"',
        },
        null,
        2,
      ),
    });
    assert.equal(server.requests.length, 3);
    assert.deepEqual(findTool("list_consents")?.annotations, {
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: false,
    });
  });
});
