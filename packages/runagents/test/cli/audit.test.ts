/**
 * `runagents audit export|verify` against a real platform: an export verifies offline; a changed
 * byte, a missing line, a truncated line or a file that is not NDJSON fail with one line naming
 * what is wrong, and exit 1.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { cliWithPlatform } from "./helpers.js";

const env = cliWithPlatform();
let runId = "";

describe("audit export and verify", () => {
  before(async () => {
    const run = await env.platform.call("POST", "/runs", {
      agent_id: "audited",
      user_id: "alice@example.com",
    });
    runId = (run.json as { id: string }).id;
    for (const content of ["hello", "world"]) {
      const res = await env.platform.call("POST", `/runs/${runId}/events`, {
        type: "USER_MESSAGE",
        data: { content },
      });
      assert.equal(res.status, 201);
    }
  });

  test("exports a run to a file that verifies, with a one-line summary", async () => {
    const file = join(env.dir, "run.ndjson");
    const exported = await env.cli("audit", "export", "--run", runId, "-o", file);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stdout, "");
    assert.match(exported.stderr, /^.*run\.ndjson: exported 3 events in 1 run; head sha256:[0-9a-f]{64}\n$/);
    const verified = await env.ok("audit", "verify", file);
    assert.match(verified, /^verified 3 events in 1 run; head sha256:[0-9a-f]{64}\n$/);
    const head = /head (sha256:[0-9a-f]{64})/.exec(verified)?.[1] ?? "";
    assert.equal((await env.cli("audit", "verify", file, "--head", head)).code, 0);
    const other = await env.cli("audit", "verify", file, "--head", `sha256:${"0".repeat(64)}`);
    assert.equal(other.code, 1);
    assert.match(
      other.stderr,
      /^Error: .*run\.ndjson: head sha256:[0-9a-f]{64} is not the expected sha256:0+\n$/,
    );
  });

  test("exports the workspace to stdout, and it verifies", async () => {
    const res = await env.cli("audit", "export");
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /^exported \d+ events in \d+ runs?; head sha256:[0-9a-f]{64}\n$/);
    const file = join(env.dir, "workspace.ndjson");
    writeFileSync(file, res.stdout);
    assert.match(await env.ok("audit", "verify", file), /^verified \d+ events in \d+ runs?; head /);
  });

  test("fails naming the run and seq when one byte of the file changes", async () => {
    const file = join(env.dir, "run.ndjson");
    const text = readFileSync(file, "utf8");
    const at = text.indexOf("alice", text.indexOf('"seq":2'));
    const tampered = join(env.dir, "tampered.ndjson");
    writeFileSync(tampered, `${text.slice(0, at)}b${text.slice(at + 1)}`);
    const res = await env.cli("audit", "verify", tampered);
    assert.equal(res.code, 1);
    assert.equal(
      res.stderr,
      `Error: ${tampered}: line 2: run ${runId} seq 2: hash mismatch: the event's fields do not match its hash\n`,
    );
    assert.equal(res.stdout, "");
  });

  test("fails when a line is missing, cut short, or the file is not NDJSON", async () => {
    const text = readFileSync(join(env.dir, "run.ndjson"), "utf8");
    const [first = "", , third = "", head = ""] = text.trimEnd().split("\n");
    const cases: [string, string, RegExp][] = [
      ["missing.ndjson", `${first}\n${third}\n${head}\n`, /line 2: run .+ seq 3: seq does not follow 1/],
      ["cut.ndjson", text.slice(0, text.length - 20), /line 4: not valid JSON \(truncated, or not an NDJSON/],
      ["nohead.ndjson", `${first}\n`, /line 2: no head line: the export is truncated or incomplete/],
      ["notjson.ndjson", "id,seq,type\n1,1,RUN_CREATED\n", /line 1: not valid JSON/],
    ];
    for (const [name, content, message] of cases) {
      const file = join(env.dir, name);
      writeFileSync(file, content);
      const res = await env.cli("audit", "verify", file);
      assert.equal(res.code, 1, name);
      assert.equal(res.stderr.split("\n").length, 2, `${name}: one line: ${res.stderr}`);
      assert.match(res.stderr, message, name);
    }
  });

  test("answers a one-line error for an unknown run or a bad time", async () => {
    const unknown = await env.cli("audit", "export", "--run", "no-such-run");
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "Error: API error (HTTP 404): run no-such-run not found\n");
    const bad = await env.cli("audit", "export", "--from", "yesterday");
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      "Error: API error (HTTP 400): query parameter from must be an ISO 8601 time, e.g. 2026-01-31T00:00:00Z\n",
    );
  });
});
