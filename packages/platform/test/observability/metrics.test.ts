/**
 * `GET /metrics` after a known workload against a real platform: governed calls through the
 * egress (allowed, denied, held for approval and approved), an LLM call recorded on a run, run
 * transitions; the scrape is parsed strictly (`helpers/prometheus-text.ts`) and the figures checked.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { call, governedAgent, newRun, startToolServer, type ToolServer } from "../egress/helpers.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { type PromFamily, parsePrometheusText } from "../helpers/prometheus-text.js";

/** The families of one scrape, by name; fails on text the parser rejects. */
async function scrape(
  platform: TestPlatform,
  headers = platform.authHeaders,
): Promise<Map<string, PromFamily>> {
  const res = await fetch(`${platform.url}/metrics`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(await res.text());
}

/**
 * The value of the series `name` (a histogram's `_count`) whose labels include `labels`; 0 when
 * there is none.
 */
function value(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
  const family = families.get(name);
  assert.ok(family, `metric ${name} is exposed`);
  const series = family.type === "histogram" ? `${name}_count` : name;
  const sample = family.samples.find(
    (s) => s.name === series && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return sample?.value ?? 0;
}

describe("GET /metrics", () => {
  let platform: TestPlatform;
  let tool: ToolServer;

  before(async () => {
    platform = await startTestPlatform();
    tool = await startToolServer();
  });
  after(async () => {
    await platform.destroy();
    await tool.close();
  });

  it("needs a default-workspace API key unless the operator opened it", async () => {
    const anonymous = await fetch(`${platform.url}/metrics`);
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await anonymous.json(), {
      error: "missing API key: send it in the X-RunAgents-API-Key header",
    });
    const open = await startTestPlatform({ env: { RUNAGENTS_METRICS_PUBLIC: "1" } });
    try {
      const res = await fetch(`${open.url}/metrics`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /^# HELP runagents_/m);
    } finally {
      await open.destroy();
    }
  });

  it("counts governed calls by decision, approvals, LLM usage, runs and requests by route pattern", async () => {
    const { egress } = await governedAgent(platform, {
      agent: "metered",
      tool: { name: "ledger", spec: { connection: { baseUrl: tool.url } } },
      rules: [
        { permission: "allow", resource: `${tool.url}/*`, operations: ["GET"] },
        { permission: "deny", resource: `${tool.url}/*`, operations: ["DELETE"] },
        { permission: "approval_required", resource: `${tool.url}/charges*`, operations: ["POST"] },
      ],
      approvals: [{ name: "ledger-approvals", toolIds: ["ledger"], defaultDuration: "1h" }],
    });
    const runId = await newRun(platform, "metered");
    const headers = { "X-Run-ID": runId, "Content-Type": "application/json" };
    assert.equal((await call(`${egress}/balance`, { headers })).status, 200);
    assert.equal((await call(`${egress}/balance?secret=x`, { headers })).status, 200);
    assert.equal((await call(`${egress}/entries/1`, { method: "DELETE", headers })).status, 403);
    const held = await call(`${egress}/charges`, { method: "POST", headers, body: "{}" });
    assert.equal(held.status, 403);
    assert.equal(held.json.code, "APPROVAL_REQUIRED");

    const before = await scrape(platform);
    assert.equal(value(before, "runagents_approvals_pending"), 1);
    assert.equal(value(before, "runagents_runs", { status: "PAUSED_APPROVAL" }), 1);

    const approve = await platform.call("POST", `/approvals/requests/${held.json.request_id}/approve`);
    assert.equal(approve.status, 200, approve.text);
    const llm = await platform.call("POST", `/runs/${runId}/events`, {
      type: "LLM_CALL",
      actor: "metered",
      data: { model: "gpt-test", prompt_tokens: 120, completion_tokens: 30, cost_usd: 0.25 },
    });
    assert.equal(llm.status, 201, llm.text);

    const m = await scrape(platform);
    assert.equal(value(m, "runagents_governed_calls_total", { decision: "allow" }), 2);
    assert.equal(value(m, "runagents_governed_calls_total", { decision: "deny" }), 1);
    assert.equal(value(m, "runagents_governed_calls_total", { decision: "approval_required" }), 1);
    const decided = m.get("runagents_approval_decision_seconds")?.samples ?? [];
    assert.deepEqual(
      decided.filter((s) => s.name.endsWith("_count")).map((s) => [s.labels, s.value]),
      [[{ decision: "approved" }, 1]],
    );
    const labels = { agent: "metered", model: "gpt-test" };
    assert.equal(value(m, "runagents_llm_calls_total", labels), 1);
    assert.equal(value(m, "runagents_llm_tokens_total", { ...labels, kind: "input" }), 120);
    assert.equal(value(m, "runagents_llm_tokens_total", { ...labels, kind: "output" }), 30);
    assert.equal(value(m, "runagents_llm_spend_usd_total", labels), 0.25);
    assert.equal(value(m, "runagents_run_transitions_total", { status: "RUNNING" }) >= 1, true);
    assert.equal(value(m, "runagents_run_transitions_total", { status: "PAUSED_APPROVAL" }), 1);
    assert.equal(value(m, "runagents_agent_restarts_total"), 0);
    assert.ok(value(m, "runagents_store_size_bytes") > 0);
    assert.ok(value(m, "runagents_event_append_duration_seconds") >= 8);

    const egressRoute = { route: "/egress/:token/:tool/*" };
    assert.equal(
      value(m, "runagents_http_requests_total", { ...egressRoute, method: "GET", status_class: "2xx" }),
      2,
    );
    assert.equal(
      value(m, "runagents_http_requests_total", { ...egressRoute, method: "POST", status_class: "4xx" }),
      1,
    );
    assert.equal(
      value(m, "runagents_http_request_duration_seconds", {
        route: "/api/v1/runs/:id/events",
        method: "POST",
      }),
      1,
    );
    // Bounded labels: patterns only — no run id, token, user or query string anywhere.
    const text = await (await fetch(`${platform.url}/metrics`, { headers: platform.authHeaders })).text();
    assert.ok(!text.includes(runId), "no run id in the metrics");
    assert.ok(!text.includes("ra_agt_"), "no agent token in the metrics");
    assert.ok(!text.includes("secret=x") && !text.includes("alice"), "no URL or user in the metrics");
  });
});
