import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { recordConnectorActivity } from "../../src/api/routes/approval-connectors.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

interface Received {
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback webhook receiver answering with `status`. */
async function startReceiver(status: number): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString();
    });
    req.on("end", () => {
      received.push({ method: req.method ?? "", headers: req.headers, body });
      res.statusCode = status;
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, server };
}

describe("approval connectors API", () => {
  let platform: TestPlatform;
  let hook: Awaited<ReturnType<typeof startReceiver>>;
  let failing: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    platform = await startTestPlatform();
    hook = await startReceiver(200);
    failing = await startReceiver(500);
  });
  after(async () => {
    hook.server.close();
    failing.server.close();
    await platform.destroy();
  });

  it("creates a webhook connector with defaults and never shows header values", async () => {
    const res = await platform.call("POST", "/approval-connectors", {
      name: "ops-webhook",
      endpoint: hook.url,
      headers: { Authorization: "Bearer hook-secret-123" },
    });
    assert.equal(res.status, 201);
    const c = res.json as Record<string, any>;
    assert.match(c.id, /^ac_[0-9a-f]{16}$/);
    assert.equal(c.type, "webhook");
    assert.equal(c.enabled, true);
    assert.equal(c.timeout_seconds, 10);
    assert.equal(c.slack_security_mode, "");
    assert.deepEqual(c.headers, { Authorization: "***" });
    assert.ok(!res.text.includes("hook-secret-123"));

    const stored = await platform.store.getResource("default", "approval_connector", c.id);
    assert.ok(stored && !JSON.stringify(stored.doc).includes("hook-secret-123"), "not in the document");
    assert.deepEqual(await platform.store.getSecret("default", `connector-${c.id}-headers`), {
      Authorization: "Bearer hook-secret-123",
    });
    for (const path of ["/approval-connectors", `/approval-connectors/${c.id}`]) {
      const got = await platform.call("GET", path);
      assert.equal(got.status, 200);
      assert.ok(!got.text.includes("hook-secret-123"), path);
    }
  });

  it("patches only the given fields; a masked header value keeps the stored one", async () => {
    const made = (
      await platform.call("POST", "/approval-connectors", {
        name: "secops-slack",
        type: "slack",
        endpoint: "C123",
        headers: { "X-Slack-Bot-Token": "xoxb-real-token" },
      })
    ).json as Record<string, any>;
    assert.equal(made.slack_security_mode, "compat");
    const res = await platform.call("PATCH", `/approval-connectors/${made.id}`, {
      name: "secops-slack",
      endpoint: "C456",
      headers: { "X-Slack-Bot-Token": "***", "X-Slack-Signing-Secret": "sign-secret" },
      slack_security_mode: "strict",
      enabled: false,
    });
    assert.equal(res.status, 200);
    const c = res.json as Record<string, any>;
    assert.equal(c.endpoint, "C456");
    assert.equal(c.enabled, false);
    assert.equal(c.slack_security_mode, "strict");
    assert.deepEqual(c.headers, { "X-Slack-Bot-Token": "***", "X-Slack-Signing-Secret": "***" });
    assert.deepEqual(await platform.store.getSecret("default", `connector-${made.id}-headers`), {
      "X-Slack-Bot-Token": "xoxb-real-token",
      "X-Slack-Signing-Secret": "sign-secret",
    });
  });

  it("rejects invalid connectors with 400 naming the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ endpoint: "https://x.example" }, "name is required"],
      [{ name: "a" }, "endpoint is required"],
      [{ name: "a", endpoint: "not a url" }, "endpoint must be an absolute http(s) URL"],
      [
        { name: "a", type: "fax", endpoint: "x" },
        "type must be one of webhook, slack, teams, jira, pagerduty",
      ],
      [
        { name: "a", endpoint: "https://x.example", timeout_seconds: 0 },
        "timeout_seconds must be an integer between 1 and 120",
      ],
      [
        { name: "a", endpoint: "https://x.example", timeout_seconds: 121 },
        "timeout_seconds must be an integer between 1 and 120",
      ],
      [
        { name: "a", endpoint: "https://x.example", timeout_seconds: 2.5 },
        "timeout_seconds must be an integer between 1 and 120",
      ],
      [
        { name: "a", type: "slack", endpoint: "C1", slack_security_mode: "loose" },
        "slack_security_mode must be one of compat, strict",
      ],
      [
        {
          name: "a",
          type: "slack",
          endpoint: "C1",
          slack_security_mode: "strict",
          headers: { "X-Slack-Bot-Token": "t" },
        },
        "headers.X-Slack-Signing-Secret is required when slack_security_mode is strict",
      ],
      [
        { name: "a", endpoint: "https://x.example", headers: ["x"] },
        "headers must be an object of header names to values",
      ],
      [
        { name: "a", endpoint: "https://x.example", headers: { "bad name": "v" } },
        'headers: invalid header name "bad name"',
      ],
      [{ name: "a", endpoint: "https://x.example", headers: { X: 1 } }, "headers.X must be a string"],
      [{ name: "a", endpoint: "https://x.example", enabled: "yes" }, "enabled must be true or false"],
    ];
    for (const [body, error] of cases) {
      const res = await platform.call("POST", "/approval-connectors", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.json, { error }, JSON.stringify(body));
    }
  });

  it("refuses a second connector with the same name (409), on create and on rename", async () => {
    const dup = await platform.call("POST", "/approval-connectors", {
      name: "ops-webhook",
      endpoint: hook.url,
    });
    assert.equal(dup.status, 409);
    assert.match(
      (dup.json as { error: string }).error,
      /^approval connector named "ops-webhook" already exists \(id ac_/,
    );
    const other = (await platform.call("POST", "/approval-connectors", { name: "other", endpoint: hook.url }))
      .json as Record<string, any>;
    const rename = await platform.call("PATCH", `/approval-connectors/${other.id}`, { name: "ops-webhook" });
    assert.equal(rename.status, 409);
    assert.equal((await platform.call("DELETE", `/approval-connectors/${other.id}`)).status, 200);
  });

  it("answers 404 for unknown ids and deletes the header secret with the connector", async () => {
    for (const method of ["GET", "PATCH", "DELETE"]) {
      const res = await platform.call(
        method,
        "/approval-connectors/ac_missing",
        method === "PATCH" ? {} : undefined,
      );
      assert.equal(res.status, 404, method);
      assert.deepEqual(res.json, { error: 'approval connector "ac_missing" not found' });
    }
    const c = (
      await platform.call("POST", "/approval-connectors", {
        name: "temp",
        endpoint: hook.url,
        headers: { "X-Token": "t0p" },
      })
    ).json as Record<string, any>;
    assert.deepEqual(await platform.call("DELETE", `/approval-connectors/${c.id}`).then((r) => r.json), {
      status: "deleted",
    });
    assert.equal(await platform.store.getSecret("default", `connector-${c.id}-headers`), undefined);
  });

  it("tests a webhook with a real request carrying its headers, and reports healthy", async () => {
    const before = hook.received.length;
    const res = await platform.call("POST", "/approval-connectors/test", {
      type: "webhook",
      endpoint: hook.url,
      headers: { "X-Hook-Token": "abc" },
      timeout_seconds: 5,
    });
    assert.equal(res.status, 200);
    const result = res.json as Record<string, any>;
    assert.equal(result.status, "healthy");
    assert.equal(result.connector_type, "webhook");
    assert.equal(result.endpoint, hook.url);
    assert.deepEqual(
      result.checks.map((c: any) => [c.id, c.status]),
      [
        ["config", "passed"],
        ["credentials", "passed"],
        ["connectivity", "passed"],
      ],
    );
    for (const check of result.checks) {
      assert.equal(typeof check.label, "string");
      assert.equal(typeof check.message, "string");
      assert.equal(typeof check.duration_ms, "number");
    }
    assert.equal(hook.received.length, before + 1);
    const got = hook.received.at(-1) as Received;
    assert.equal(got.method, "POST");
    assert.equal(got.headers["x-hook-token"], "abc");
    assert.equal(JSON.parse(got.body).event, "approval_connector.test");
  });

  it("reports unhealthy (still 200) for a failing or unreachable webhook and for a bad config", async () => {
    const five = (await platform.call("POST", "/approval-connectors/test", { endpoint: failing.url }))
      .json as any;
    assert.equal(five.status, "unhealthy");
    assert.equal(five.checks[2].status, "failed");
    assert.equal(five.checks[2].message, "endpoint answered HTTP 500");

    const closed = await startReceiver(200);
    const deadUrl = closed.url;
    await new Promise((resolve) => closed.server.close(resolve));
    const dead = await platform.call("POST", "/approval-connectors/test", {
      endpoint: deadUrl,
      timeout_seconds: 2,
    });
    assert.equal(dead.status, 200);
    assert.equal((dead.json as any).status, "unhealthy");
    assert.match((dead.json as any).checks[2].message, /^network error: ECONNREFUSED/);

    const bad = (await platform.call("POST", "/approval-connectors/test", { endpoint: "nope" })).json as any;
    assert.equal(bad.status, "unhealthy");
    assert.deepEqual(bad.checks[0], {
      ...bad.checks[0],
      status: "failed",
      message: "endpoint must be an absolute http(s) URL",
    });
    assert.equal(bad.checks[2].status, "skipped");
  });

  it("checks Slack credentials without contacting Slack", async () => {
    const missing = (
      await platform.call("POST", "/approval-connectors/test", { type: "slack", endpoint: "C1", headers: {} })
    ).json as any;
    assert.equal(missing.status, "unhealthy");
    assert.equal(missing.checks[1].status, "failed");
    assert.match(missing.checks[1].message, /X-Slack-Bot-Token/);
    assert.equal(missing.checks[2].status, "skipped");

    const strict = (
      await platform.call("POST", "/approval-connectors/test", {
        type: "slack",
        endpoint: "C1",
        headers: { "X-Slack-Bot-Token": "xoxb" },
        slack_security_mode: "strict",
      })
    ).json as any;
    assert.equal(strict.status, "unhealthy");
    assert.match(strict.checks[1].message, /X-Slack-Signing-Secret/);

    const good = (
      await platform.call("POST", "/approval-connectors/test", {
        type: "slack",
        endpoint: "C1",
        headers: { "X-Slack-Bot-Token": "xoxb" },
      })
    ).json as any;
    assert.equal(good.status, "healthy");
    assert.equal(good.checks[2].status, "skipped");
    assert.match(good.checks[2].message, /not checked/);
  });

  it("tests a live connector as the SDK does (GET, then POST its masked fields to /test)", async () => {
    const created = (
      await platform.call("POST", "/approval-connectors", {
        name: "masked-hook",
        endpoint: `${hook.url}?m=1`,
        headers: { "X-Hook-Token": "stored-value" },
      })
    ).json as Record<string, any>;
    const live = (await platform.call("GET", `/approval-connectors/${created.id}`)).json as Record<
      string,
      any
    >;
    const res = await platform.call("POST", "/approval-connectors/test", {
      type: live.type,
      endpoint: live.endpoint,
      headers: live.headers,
      timeout_seconds: live.timeout_seconds,
    });
    assert.equal((res.json as any).status, "healthy");
    assert.equal((hook.received.at(-1) as Received).headers["x-hook-token"], "stored-value");
  });

  it("serves and updates the delivery defaults (literal path, not a connector id)", async () => {
    const got = await platform.call("GET", "/approval-connectors/defaults");
    assert.equal(got.status, 200);
    assert.deepEqual(got.json, {
      default_delivery_mode: "first_success",
      default_fallback_to_ui: true,
      default_timeout_seconds: 10,
      min_timeout_seconds: 1,
      max_timeout_seconds: 120,
    });
    const put = await platform.call("PUT", "/approval-connectors/defaults", {
      default_delivery_mode: "all",
      default_timeout_seconds: 30,
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.json, {
      default_delivery_mode: "all",
      default_fallback_to_ui: true,
      default_timeout_seconds: 30,
      min_timeout_seconds: 1,
      max_timeout_seconds: 120,
    });
    const empty = await platform.call("PUT", "/approval-connectors/defaults", {});
    assert.equal((empty.json as any).default_timeout_seconds, 30, "an empty PUT changes nothing");
    const bad = await platform.call("PUT", "/approval-connectors/defaults", { default_timeout_seconds: 500 });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { error: "default_timeout_seconds must be an integer between 1 and 120" });
    const badMode = await platform.call("PUT", "/approval-connectors/defaults", {
      default_delivery_mode: "some",
    });
    assert.deepEqual(badMode.json, { error: "default_delivery_mode must be one of first_success, all" });
    const created = await platform.call("POST", "/approval-connectors", {
      name: "uses-default",
      endpoint: hook.url,
    });
    assert.equal(
      (created.json as any).timeout_seconds,
      30,
      "new connectors take the workspace default timeout",
    );
  });

  it("lists delivery activity newest first, honouring limit", async () => {
    const empty = await platform.call("GET", "/workspaces/quiet/approval-connectors/activity");
    assert.equal(empty.status, 200);
    assert.deepEqual(empty.json, []);
    await recordConnectorActivity(platform.store, "default", {
      event: "dispatch_failed",
      connector_id: "ac_1",
      status_code: 500,
    });
    await recordConnectorActivity(platform.store, "default", {
      event: "dispatch_succeeded",
      connector_id: "ac_1",
      connector_name: "ops-webhook",
      request_id: "req-1",
      status_code: 200,
      duration_ms: 12,
    });
    const all = (await platform.call("GET", "/approval-connectors/activity")).json as any[];
    assert.deepEqual(
      all.map((a) => a.event),
      ["dispatch_succeeded", "dispatch_failed"],
    );
    assert.match(all[0].id, /^aca_/);
    assert.equal(all[0].approver_id, "");
    assert.equal(all[0].decision, "");
    const one = (await platform.call("GET", "/approval-connectors/activity?limit=1")).json as any[];
    assert.equal(one.length, 1);
    const bad = await platform.call("GET", "/approval-connectors/activity?limit=0");
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json, { error: "query parameter limit must be an integer >= 1" });
  });
});
