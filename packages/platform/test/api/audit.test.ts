import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { type AuditEventLine, type AuditLine, verifyAuditExport } from "runagents/audit";
import {
  call,
  events,
  governedAgent,
  newRun,
  sha256,
  startToolServer,
  type ToolServer,
  waitFor,
} from "../egress/helpers.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

const CANARY_SECRET = "sk-live-CANARY-7d1e0b55";
const CANARY_PAYLOAD = "canary-payload-8c2f41aa";

const lines = (text: string): AuditLine[] =>
  text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as AuditLine);
const eventsOf = (text: string): AuditEventLine[] =>
  lines(text).filter((l): l is AuditEventLine => l.kind === "event");

describe("audit export", () => {
  let platform: TestPlatform;
  let tool: ToolServer;
  let runId: string;
  let egress: string;

  before(async () => {
    platform = await startTestPlatform();
    tool = await startToolServer();
    const agent = await governedAgent(platform, {
      agent: "audited",
      tool: {
        name: "ledger",
        spec: {
          connection: {
            baseUrl: tool.url,
            authentication: { type: "APIKey", apiKeyConfig: { in: "Header", name: "X-Api-Key" } },
          },
        },
        credentials: { api_key: CANARY_SECRET },
      },
      rules: [
        { permission: "allow", resource: `${tool.url}/notes*`, operations: ["POST"] },
        { permission: "approval_required", resource: `${tool.url}/charges*`, operations: ["POST"] },
      ],
    });
    egress = agent.egress;
    runId = await newRun(platform, "audited", "alice@example.com");
    const post = (path: string) =>
      call(`${egress}${path}`, {
        method: "POST",
        headers: { "Content-Type": "text/plain", "X-Run-ID": runId },
        body: CANARY_PAYLOAD,
      });
    assert.equal((await post("/notes")).status, 200);
    assert.equal(tool.received[0]?.headers["x-api-key"], CANARY_SECRET, "the tool got the credential");
    await waitFor(
      async () => (await events(platform, runId)).some((e) => e.type === "TOOL_RESPONSE"),
      "the TOOL_RESPONSE event",
    );
    const blocked = await post("/charges");
    assert.equal(blocked.status, 403);
    const approve = await platform.call("POST", `/approvals/requests/${blocked.json.request_id}/approve`, {
      scope: "once",
    });
    assert.equal(approve.status, 200);
  });

  after(async () => {
    await tool.close();
    await platform.destroy();
  });

  const exportText = async (path: string) => {
    const res = await platform.call("GET", path);
    assert.equal(res.status, 200, res.text);
    return res;
  };

  it("exports a run as NDJSON, one line per event with its audit columns, then a head, and it verifies", async () => {
    const res = await exportText(`/runs/${runId}/audit/export`);
    assert.equal(res.headers.get("content-type"), "application/x-ndjson");
    const stored = await events(platform, runId);
    const exported = eventsOf(res.text);
    assert.deepEqual(
      exported.map((e) => [e.seq, e.type, e.event_id, e.time]),
      stored.map((e) => [e.seq, e.type, e.event_id, e.timestamp]),
    );
    assert.deepEqual(
      exported.map((e) => e.type),
      ["RUN_CREATED", "TOOL_REQUEST", "TOOL_RESPONSE", "TOOL_REQUEST", "APPROVAL_REQUIRED", "APPROVED"],
    );
    for (const e of exported) {
      assert.equal(e.run_id, runId);
      assert.equal(e.workspace, "default");
      assert.equal(e.agent, "audited");
      assert.equal(e.user, "alice@example.com");
      assert.match(e.hash, /^sha256:[0-9a-f]{64}$/);
      assert.match(e.data_hash, /^sha256:[0-9a-f]{64}$/);
    }
    assert.equal(exported[0]?.prev_hash, "", "the chain starts at the run's first event");
    exported.slice(1).forEach((e, i) => {
      assert.equal(e.prev_hash, exported[i]?.hash);
    });
    const [, allowed, response, held, required, approved] = exported;
    assert.deepEqual(
      [allowed?.tool, allowed?.method, allowed?.url, allowed?.decision, allowed?.rule, allowed?.payload_hash],
      ["ledger", "POST", `${tool.url}/notes`, "allow", "audited-policy#0", sha256(CANARY_PAYLOAD)],
    );
    assert.equal(response?.actor, "audited");
    assert.deepEqual(
      [held?.url, held?.decision, held?.rule, held?.payload_hash],
      [`${tool.url}/charges`, "approval_required", "audited-policy#1", sha256(CANARY_PAYLOAD)],
    );
    assert.equal(required?.decision, "approval_required");
    assert.deepEqual([approved?.decision, approved?.approver], ["approved", platform.adminSubject]);
    const head = lines(res.text).at(-1);
    assert.equal(head?.kind, "head");
    const summary = verifyAuditExport(res.text);
    assert.deepEqual(
      {
        events: summary.events,
        runs: summary.runs,
        unchained: summary.unchained,
        openRuns: summary.openRuns,
      },
      { events: 6, runs: 1, unchained: 0, openRuns: 0 },
    );
    assert.equal(head?.kind === "head" && head.head, summary.head);
  });

  it("carries neither the tool's credential nor any payload: hashes only", async () => {
    for (const path of [`/runs/${runId}/audit/export`, "/audit/export"]) {
      const { text } = await exportText(path);
      assert.ok(!text.includes(CANARY_SECRET), `${path} leaks the credential`);
      assert.ok(!text.includes(CANARY_PAYLOAD), `${path} leaks the payload`);
    }
  });

  it("fails verification naming the event when one byte of an export changes", async () => {
    const { text } = await exportText(`/runs/${runId}/audit/export`);
    const at = text.indexOf("/notes");
    const flipped = `${text.slice(0, at)}/motes${text.slice(at + "/notes".length)}`;
    assert.throws(() => verifyAuditExport(flipped), {
      message: `line 2: run ${runId} seq 2: hash mismatch: the event's fields do not match its hash`,
    });
    const cut = text
      .split("\n")
      .filter((l, i) => l !== "" && i !== 2)
      .join("\n");
    assert.throws(() => verifyAuditExport(cut), {
      message: `line 3: run ${runId} seq 4: seq does not follow 2 (an event is missing or moved)`,
    });
  });

  it("exports the workspace filtered by time: exactly the events in [from, to), and it verifies", async () => {
    const other = await newRun(platform, "audited", "carol@example.com");
    for (const content of ["one", "two", "three"]) {
      await platform.call("POST", `/runs/${other}/events`, { type: "USER_MESSAGE", data: { content } });
    }
    const all = eventsOf((await exportText("/audit/export")).text);
    assert.ok(new Set(all.map((e) => e.run_id)).size >= 2);
    const times = [...new Set(all.map((e) => e.time))].sort();
    const from = times[1] as string;
    const to = times.at(-1) as string;
    const { text } = await exportText(
      `/audit/export?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`,
    );
    const window = eventsOf(text);
    assert.deepEqual(
      window.map((e) => e.event_id).sort(),
      all
        .filter((e) => e.time >= from && e.time < to)
        .map((e) => e.event_id)
        .sort(),
    );
    assert.ok(window.length > 0 && window.length < all.length);
    const head = lines(text).at(-1);
    assert.deepEqual(head?.kind === "head" && [head.from, head.to], [from, to]);
    assert.equal(verifyAuditExport(text).events, window.length);
  });

  it("answers 400 for a from or to that is not an ISO time, or an empty window", async () => {
    for (const [query, error] of [
      ["from=yesterday", "query parameter from must be an ISO 8601 time, e.g. 2026-01-31T00:00:00Z"],
      ["to=2026-13-45T00:00:00Z", "query parameter to must be an ISO 8601 time, e.g. 2026-01-31T00:00:00Z"],
      ["from=1700000000", "query parameter from must be an ISO 8601 time, e.g. 2026-01-31T00:00:00Z"],
      ["from=2026-02-01&to=2026-01-01", "query parameter from must be before to"],
    ] as const) {
      for (const path of ["/audit/export", `/runs/${runId}/audit/export`]) {
        const res = await platform.call("GET", `${path}?${query}`);
        assert.equal(res.status, 400, `${path}?${query}`);
        assert.deepEqual(res.json, { error });
      }
    }
  });

  it("answers 404 for an unknown run", async () => {
    const res = await platform.call("GET", "/runs/no-such-run/audit/export");
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, { error: "run no-such-run not found" });
  });
  it("exposes an event rewritten in the database: the export no longer matches its hash", async () => {
    const probe = await newRun(platform, "audited", "bob@example.com");
    await platform.call("POST", `/runs/${probe}/events`, {
      type: "USER_MESSAGE",
      data: { content: "pay 5" },
    });
    const db = new Database(`${platform.dataDir}/platform.db`);
    try {
      const changed = db
        .prepare("UPDATE run_events SET data = ? WHERE run_id = ? AND seq = 2")
        .run(JSON.stringify({ content: "pay 500" }), probe).changes;
      assert.equal(changed, 1);
    } finally {
      db.close();
    }
    const { text } = await exportText(`/runs/${probe}/audit/export`);
    assert.throws(() => verifyAuditExport(text), {
      message: `line 2: run ${probe} seq 2: hash mismatch: the event's fields do not match its hash`,
    });
  });
});
