/**
 * `runagents api-keys` (roles, approver groups) and `runagents approvals approve` saying what it
 * granted, through the built CLI against a real platform (SQLite- and PostgreSQL-backed).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { platformStores, startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { removeDir, runCli, tempDir } from "./helpers.js";

type Json = Record<string, any>;

for (const store of await platformStores()) {
  describe(`cli: api-keys and approvals approve (${store.name} store)`, { skip: store.skip }, () => {
    let platform: TestPlatform;
    let home: string;
    let adminToken: string;

    const cli = (args: string[], token = adminToken) =>
      runCli(args, { env: { HOME: home, RUNAGENTS_ENDPOINT: platform.url, RUNAGENTS_API_KEY: token } });
    async function ok(args: string[], token = adminToken): Promise<string> {
      const result = await cli(args, token);
      assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
      return result.stdout;
    }
    const admin = (method: string, path: string, body?: unknown) =>
      platform.call(method, path, body, { "X-RunAgents-API-Key": adminToken });
    async function newRequest(): Promise<string> {
      const res = await admin("POST", "/approvals/requests", { subject: "alice", tool_id: "echo-tool" });
      assert.equal(res.status, 201, res.text);
      return (res.json as Json).id;
    }

    before(async () => {
      platform = await startTestPlatform({ store: store.name });
      home = tempDir();
      const first = await platform.call("POST", "/auth/api-keys", { name: "cli-admin", role: "admin" });
      assert.equal(first.status, 201, first.text);
      adminToken = (first.json as Json).token;
    });
    after(async () => {
      await platform.destroy();
      removeDir(home);
    });

    it("creates keys with a role and groups, lists them, and revokes them", async () => {
      const out = await ok([
        "api-keys",
        "create",
        "ops",
        "--role",
        "operator",
        "--groups",
        "finance-approvers,treasury",
      ]);
      const lines = out.split("\n");
      assert.equal(lines[0], 'API key "ops" created (role operator, groups finance-approvers, treasury).');
      assert.match(lines[1] ?? "", /^ID: \S+$/);
      assert.match(lines[2] ?? "", /^Token \(shown once\): ra_ws_\S+$/);
      assert.equal(lines[3], "Send it as X-RunAgents-API-Key.");
      const id = (lines[1] ?? "").slice("ID: ".length);
      const list = await ok(["api-keys", "list"]);
      assert.match(list, /^ID +\| NAME +\| ROLE +\| GROUPS +\|/m);
      assert.match(
        list,
        new RegExp(`^${id} +\\| ops +\\| operator +\\| finance-approvers,treasury +\\|`, "m"),
      );
      const viewer = await ok(["api-keys", "create", "reader"]);
      assert.match(viewer, /^API key "reader" created \(role viewer\)\.$/m);
      const bad = await cli(["api-keys", "create", "x", "--role", "root"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--role must be one of admin, operator, developer, viewer/);
      assert.equal(await ok(["api-keys", "revoke", id]), `API key "${id}" revoked.\n`);
    });

    it("refuses key management to a key that is not an admin", async () => {
      const made = await admin("POST", "/auth/api-keys", { name: "dev", role: "developer" });
      const result = await cli(["api-keys", "list"], (made.json as Json).token);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /403/);
    });

    it("approves once when no scope is given, and says what it granted", async () => {
      const once = await newRequest();
      assert.equal(await ok(["approvals", "approve", once]), `Access request "${once}" approved once.\n`);
      assert.equal(((await admin("GET", `/approvals/requests/${once}`)).json as Json).scope, "once");
      const run = await newRequest();
      assert.equal(
        await ok(["approvals", "approve", run, "--scope", "run"]),
        `Access request "${run}" approved for this run.\n`,
      );
      const window = await newRequest();
      assert.equal(
        await ok(["approvals", "approve", window, "--duration", "4h"]),
        `Access request "${window}" approved for alice on echo-tool for 4h.\n`,
      );
    });
  });
}
