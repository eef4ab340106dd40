import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { clientFor, serve } from "../helpers/recording-server.js";

const EXISTING = [
  {
    id: "ac_1",
    name: "secops-slack",
    type: "slack",
    endpoint: "C123",
    headers: { "X-Slack-Bot-Token": "xoxb" },
    enabled: true,
    timeout_seconds: 10,
    slack_security_mode: "strict",
  },
  { id: "ac_2", name: "pager", type: "pagerduty", endpoint: "svc", enabled: false },
  { id: "ac_3", name: "dup", endpoint: "a" },
  { id: "ac_4", name: "dup", endpoint: "b" },
];

describe("approvalConnectors.apply", () => {
  test("PATCHes an existing connector found by name with exactly the given keys", async (t) => {
    const server = await serve(t);
    server.reply({ json: EXISTING }, { json: { ...EXISTING[0], endpoint: "C456" } });
    const connector = await clientFor(server).approvalConnectors.apply({
      name: "secops-slack",
      endpoint: "C456",
    });
    assert.deepEqual(server.calls(), [
      "GET /api/v1/approval-connectors",
      "PATCH /api/v1/approval-connectors/ac_1",
    ]);
    assert.deepEqual(server.requests[1]?.json, { name: "secops-slack", endpoint: "C456" });
    assert.equal(connector.endpoint, "C456");
    assert.deepEqual(connector.headers, { "X-Slack-Bot-Token": "xoxb" });
  });

  test("matches by id first and sends enabled:false and 0, but not empty strings", async (t) => {
    const server = await serve(t);
    server.reply({ json: EXISTING });
    await clientFor(server).approvalConnectors.apply({
      id: " ac_2 ",
      name: "renamed",
      type: "",
      enabled: false,
      timeout_seconds: 0,
      slack_security_mode: " ",
    });
    assert.deepEqual(server.calls(), [
      "GET /api/v1/approval-connectors",
      "PATCH /api/v1/approval-connectors/ac_2",
    ]);
    assert.deepEqual(server.requests[1]?.json, { name: "renamed", enabled: false, timeout_seconds: 0 });
  });

  test("creates with POST when nothing matches, trimming the document", async (t) => {
    const server = await serve(t);
    server.reply({ json: EXISTING }, { status: 201, json: { id: "ac_9", name: "hook" } });
    const created = await clientFor(server).approvalConnectors.apply({
      name: " hook ",
      endpoint: " https://hooks.example.com/x ",
      type: "webhook",
      headers: {},
      timeout_seconds: 30,
      slack_security_mode: "compat",
    });
    assert.equal(created.id, "ac_9");
    assert.equal(created.enabled, true);
    assert.deepEqual(server.calls(), ["GET /api/v1/approval-connectors", "POST /api/v1/approval-connectors"]);
    assert.deepEqual(server.requests[1]?.json, {
      name: "hook",
      endpoint: "https://hooks.example.com/x",
      type: "webhook",
      headers: {},
      timeout_seconds: 30,
      slack_security_mode: "compat",
    });
  });

  const errors: [string, Record<string, unknown>, string][] = [
    ["neither id nor name", { endpoint: "x" }, "connector document must include either id or name"],
    [
      "a shared name",
      { name: "dup", endpoint: "x" },
      "multiple approval connectors share the name 'dup'; use an id instead",
    ],
    [
      "a new connector without endpoint",
      { name: "new" },
      "connector endpoint is required when creating a connector",
    ],
    [
      "a new connector by unknown id without name",
      { id: "ac_404", endpoint: "x" },
      "connector name is required when creating a connector",
    ],
  ];
  for (const [name, document, message] of errors) {
    test(`rejects ${name}`, async (t) => {
      const server = await serve(t);
      server.otherwise({ json: EXISTING });
      await assert.rejects(clientFor(server).approvalConnectors.apply(document), {
        code: "VALIDATION_ERROR",
        message,
      });
      assert.ok(server.requests.every((r) => r.method === "GET"));
    });
  }
});

describe("approval connectors: the other calls", () => {
  test("list, get and delete", async (t) => {
    const server = await serve(t);
    server.reply({ json: EXISTING }, { json: EXISTING[1] }, { json: { status: "deleted" } });
    const client = clientFor(server);
    assert.equal((await client.approvalConnectors.list()).length, 4);
    const pager = await client.approvalConnectors.get("ac_2");
    assert.equal(pager.enabled, false);
    assert.deepEqual(await client.approvalConnectors.delete("ac_2"), { status: "deleted" });
    assert.deepEqual(server.calls(), [
      "GET /api/v1/approval-connectors",
      "GET /api/v1/approval-connectors/ac_2",
      "DELETE /api/v1/approval-connectors/ac_2",
    ]);
  });

  test("test GETs the live connector and posts its settings to /approval-connectors/test", async (t) => {
    const server = await serve(t);
    server.reply(
      { json: EXISTING[0] },
      {
        json: {
          status: "healthy",
          connector_type: "slack",
          endpoint: "C123",
          checks: [{ id: "config", label: "Config", status: "passed", message: "", duration_ms: 3 }],
        },
      },
      { json: EXISTING[1] },
      { json: { status: "unhealthy" } },
    );
    const client = clientFor(server);
    const result = await client.approvalConnectors.test("ac_1");
    await client.approvalConnectors.test("ac_2");
    assert.deepEqual(server.calls(), [
      "GET /api/v1/approval-connectors/ac_1",
      "POST /api/v1/approval-connectors/test",
      "GET /api/v1/approval-connectors/ac_2",
      "POST /api/v1/approval-connectors/test",
    ]);
    assert.deepEqual(server.requests[1]?.json, {
      type: "slack",
      endpoint: "C123",
      headers: { "X-Slack-Bot-Token": "xoxb" },
      timeout_seconds: 10,
      slack_security_mode: "strict",
    });
    assert.deepEqual(server.requests[3]?.json, { type: "pagerduty", endpoint: "svc" });
    assert.deepEqual(result, {
      status: "healthy",
      connectorType: "slack",
      endpoint: "C123",
      checks: [{ id: "config", label: "Config", status: "passed", message: "", durationMs: 3 }],
    });
  });

  test("defaults and setDefaults (only the given keys, possibly none)", async (t) => {
    const server = await serve(t);
    const wire = {
      default_delivery_mode: "all",
      default_fallback_to_ui: true,
      default_timeout_seconds: 30,
      min_timeout_seconds: 1,
      max_timeout_seconds: 120,
    };
    server.otherwise({ json: wire });
    const client = clientFor(server);
    assert.deepEqual(await client.approvalConnectors.defaults(), {
      defaultDeliveryMode: "all",
      defaultFallbackToUi: true,
      defaultTimeoutSeconds: 30,
      minTimeoutSeconds: 1,
      maxTimeoutSeconds: 120,
    });
    await client.approvalConnectors.setDefaults({ deliveryMode: "first_success", fallbackToUi: false });
    await client.approvalConnectors.setDefaults({});
    assert.deepEqual(server.calls(), [
      "GET /api/v1/approval-connectors/defaults",
      "PUT /api/v1/approval-connectors/defaults",
      "PUT /api/v1/approval-connectors/defaults",
    ]);
    assert.deepEqual(server.requests[1]?.json, {
      default_delivery_mode: "first_success",
      default_fallback_to_ui: false,
    });
    assert.deepEqual(server.requests[2]?.json, {});
  });

  test("activity sends ?limit= (default 50) only when positive", async (t) => {
    const server = await serve(t);
    server.reply({
      json: [
        { id: "x1", event: "dispatch_succeeded", connector_id: "ac_1", status_code: 200, duration_ms: 9 },
      ],
    });
    const client = clientFor(server);
    const [entry] = await client.approvalConnectors.activity();
    await client.approvalConnectors.activity({ limit: 5 });
    await client.approvalConnectors.activity({ limit: 0 });
    assert.deepEqual(server.calls(), [
      "GET /api/v1/approval-connectors/activity?limit=50",
      "GET /api/v1/approval-connectors/activity?limit=5",
      "GET /api/v1/approval-connectors/activity",
    ]);
    assert.equal(entry?.connectorId, "ac_1");
    assert.equal(entry?.statusCode, 200);
    assert.equal(entry?.durationMs, 9);
  });
});
