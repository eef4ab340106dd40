/**
 * `runagents consents` and `runagents oauth-tokens` against a real platform: a delegated-user OAuth2
 * tool called through the egress for an end user with no token pauses the run on a consent, which
 * the CLI lists; storing a token grants it. No token given on the command line is ever printed.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { before, describe, test } from "node:test";
import { type CliResult, cliWithPlatform } from "./helpers.js";

const env = cliWithPlatform();
const ACCESS = "at-SECRET-0123456789";
const REFRESH = "rt-SECRET-9876543210";
const outputs: CliResult[] = [];

async function cli(...args: string[]): Promise<CliResult> {
  const result = await env.cli(...args);
  outputs.push(result);
  return result;
}

async function ok(...args: string[]): Promise<string> {
  const result = await cli(...args);
  assert.equal(result.stderr, "", `${args.join(" ")}: ${result.stderr}`);
  assert.equal(result.code, 0, args.join(" "));
  return result.stdout;
}

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await env.platform.call(method, path, body);
  assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
  return res.json as Record<string, unknown>;
}

/** The pending consent the egress call made: its 403 body. */
let consent: { resume_id: string; run_id: string; authorization_url: string };

describe("consents and oauth-tokens", () => {
  before(async () => {
    await api("POST", "/tools", {
      name: "mail",
      spec: {
        connection: {
          baseUrl: "http://127.0.0.1:9/mail",
          authentication: {
            type: "OAuth2",
            oauth2Config: {
              authUrl: "http://127.0.0.1:1/authorize",
              tokenUrl: "http://127.0.0.1:1/token",
              scopes: ["mail.read"],
            },
          },
        },
      },
      credentials: { client_id: "c", client_secret: "s" },
    });
    await api("POST", "/policies", { name: "mail-policy", spec: { policies: [{ permission: "allow" }] } });
    const session = await api("POST", "/agents/mail-agent/dev-session", {
      url: "http://127.0.0.1:9",
      tools: ["mail"],
      policies: ["mail-policy"],
    });
    const egress = String((session.tool_urls as Record<string, unknown>).mail);
    const run = await api("POST", "/runs", { agent_id: "mail-agent", user_id: "alice@example.com" });
    const res = await fetch(`${egress}/messages`, { headers: { "X-Run-ID": String(run.id) } });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 403, JSON.stringify(body));
    assert.equal(body.code, "CONSENT_REQUIRED");
    consent = body as typeof consent;
  });

  test("consents list shows the pending consent with its tool, user and run", async () => {
    const { resume_id: id, run_id: runId } = consent;
    const rows = (await ok("consents", "list")).split("\n");
    assert.equal(rows.length, 4, rows.join("\n"));
    const pad = (s: string, width: number) => s.padEnd(width);
    const idW = id.length;
    const userW = "alice@example.com".length;
    const runW = runId.length;
    assert.equal(
      rows[0],
      `${pad("ID", idW)} | TOOL | ${pad("USER", userW)} | ${pad("RUN", runW)} | STATUS  | AGE`,
    );
    assert.equal(
      rows[1],
      `${"-".repeat(idW)}-+------+-${"-".repeat(userW)}-+-${"-".repeat(runW)}-+---------+----`,
    );
    assert.match(
      rows[2] ?? "",
      new RegExp(`^${id} \\| mail \\| alice@example\\.com \\| ${runId} \\| pending \\| +\\d+s$`),
    );
    assert.equal(rows[3], "");
    assert.equal(await ok("consents", "list", "--status", "granted"), "No consents found.\n");
    // The AGE column ticks between the two calls; everything else must be the same listing.
    const withoutAge = (listing: string) => listing.replace(/\| +\d+[smhd]$/gm, "| <age>");
    assert.equal(
      withoutAge(await ok("consents", "list", "--status", " Pending ")),
      withoutAge(rows.join("\n")),
    );
  });

  test("-o json prints the platform's list; --wide shows the full authorization URL", async () => {
    const json: unknown = JSON.parse(await ok("consents", "list", "-o", "json"));
    assert.deepEqual(json, (await env.platform.call("GET", "/consents")).json);
    const wide = await ok("consents", "list", "--wide");
    const [created, expires] = [
      (json as Record<string, string>[])[0]?.created_at,
      (json as Record<string, string>[])[0]?.expires_at,
    ];
    assert.equal(
      wide,
      [
        `ID:                 ${consent.resume_id}`,
        "Tool:               mail",
        "User:               alice@example.com",
        "Agent:              mail-agent",
        `Run:                ${consent.run_id}`,
        "Status:             pending",
        `Authorization URL:  ${consent.authorization_url}`,
        `Created:            ${created}`,
        `Expires:            ${expires}`,
        "",
      ].join("\n"),
    );
    assert.ok(consent.authorization_url.startsWith("http://127.0.0.1:1/authorize?"));
  });

  test("oauth-tokens set grants the consent and resumes its run; the token is never printed", async () => {
    assert.equal(
      await ok(
        "oauth-tokens",
        "set",
        "mail",
        "--user",
        "alice@example.com",
        "--access-token",
        ACCESS,
        "--expires-in",
        "3600",
      ),
      'OAuth token for tool "mail" and user "alice@example.com" stored.\nRuns resumed: 1\n',
    );
    assert.equal(await ok("consents", "list", "--status", "pending"), "No consents found.\n");
    assert.match(
      await ok("consents", "list", "--status", "granted"),
      new RegExp(
        `^${consent.resume_id} \\| mail \\| alice@example\\.com \\| ${consent.run_id} \\| granted \\| +\\d+s$`,
        "m",
      ),
    );
    const again = JSON.parse(
      await ok(
        "oauth-tokens",
        "set",
        "mail",
        "--user",
        "alice@example.com",
        "--refresh-token",
        REFRESH,
        "-o",
        "json",
      ),
    );
    assert.deepEqual(again, {
      status: "stored",
      tool: "mail",
      user: "alice@example.com",
      shared: false,
      has_access_token: false,
      has_refresh_token: true,
      resumed_runs: 0,
    });
    assert.equal(
      await ok("oauth-tokens", "set", "mail", "--user", "alice@example.com", "--access-token", ACCESS),
      'OAuth token for tool "mail" and user "alice@example.com" replaced.\n',
    );
    assert.equal(
      await ok("oauth-tokens", "delete", "mail", "--user", "alice@example.com"),
      'OAuth token for tool "mail" and user "alice@example.com" deleted.\n',
    );
    assert.deepEqual(await cli("oauth-tokens", "delete", "mail", "--user", "alice@example.com"), {
      code: 1,
      stdout: "",
      stderr: "Error: API error (HTTP 404): no token is stored for tool mail and user alice@example.com\n",
    });
  });

  test("a shared token (no --user) is stored and deleted", async () => {
    assert.equal(
      await ok("oauth-tokens", "set", "mail", "--refresh-token", REFRESH),
      'Shared OAuth token for tool "mail" stored.\n',
    );
    assert.deepEqual(JSON.parse(await ok("oauth-tokens", "delete", "mail", "-o", "json")), {
      status: "deleted",
      tool: "mail",
      user: "",
    });
  });

  test("bad input is one line on stderr: exit 2 for usage errors, 1 for the platform's refusals", async () => {
    const cases: [string[], number, string][] = [
      [
        ["consents", "list", "--status", "bogus"],
        2,
        'Error: invalid value "bogus" for --status: use pending, granted or expired\n',
      ],
      [
        ["consents", "list", "extra"],
        2,
        'Error: "runagents consents list" takes no arguments (got "extra")\n',
      ],
      [["oauth-tokens", "set", "mail"], 2, "Error: --access-token or --refresh-token is required\n"],
      [
        ["oauth-tokens", "set", "mail", "--access-token", ""],
        2,
        "Error: --access-token or --refresh-token is required\n",
      ],
      [
        ["oauth-tokens", "set", "--access-token", ACCESS],
        2,
        'Error: "runagents oauth-tokens set" requires 1 argument: <tool> (got 0)\n',
      ],
      [["oauth-tokens", "set", " ", "--access-token", ACCESS], 2, "Error: tool is required\n"],
      [
        ["oauth-tokens", "set", "mail", "--access-token", ACCESS, "--expires-in", "soon"],
        2,
        'Error: invalid value "soon" for --expires-in: expected a whole number >= 0\n',
      ],
      [
        ["oauth-tokens", "set", "mail", "--access-token"],
        2,
        "Error: flag needs an argument: --access-token\n",
      ],
      [
        ["oauth-tokens", "delete"],
        2,
        'Error: "runagents oauth-tokens delete" requires 1 argument: <tool> (got 0)\n',
      ],
      [
        ["oauth-tokens", "set", "echo-tool", "--access-token", ACCESS],
        1,
        "Error: API error (HTTP 400): tool echo-tool is not a delegated-user OAuth2 tool (spec.connection.authentication.oauth2Config.authUrl is not set)\n",
      ],
      [
        ["oauth-tokens", "set", "nope", "--access-token", ACCESS],
        1,
        'Error: API error (HTTP 404): tool "nope" not found\n',
      ],
    ];
    for (const [args, code, stderr] of cases) {
      assert.deepEqual(await cli(...args), { code, stdout: "", stderr }, args.join(" "));
    }
  });

  test("help, root help and bash completion name the new commands", async () => {
    const root = await ok("--help");
    assert.match(root, /^ {2}consents +List OAuth consents that paused runs wait on$/m);
    assert.match(
      root,
      /^ {2}oauth-tokens +Store or revoke end users' OAuth tokens for delegated-user tools$/m,
    );
    const set = await ok("oauth-tokens", "set", "--help");
    assert.match(set, /^ {2}runagents oauth-tokens set <tool> \[flags\]$/m);
    assert.match(set, /^ {6}--access-token <token> +access token$/m);
    assert.match(await ok("consents", "list", "-h"), /^ {6}--status <status> +pending, granted or expired$/m);
    const script = await ok("completion", "bash");
    const complete = (words: string) =>
      execFileSync(
        "bash",
        [
          "-c",
          `${script}\nCOMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _runagents; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: "utf8" },
      ).trim();
    assert.equal(complete("runagents oau"), "oauth-tokens");
    assert.equal(
      complete("runagents oauth-tokens ''"),
      "set delete --endpoint --api-key --output -o --help -h",
    );
    assert.equal(complete("runagents consents list --st"), "--status");
  });

  test("no token given on the command line appears in any output", () => {
    assert.ok(outputs.length > 10);
    for (const { stdout, stderr } of outputs) {
      for (const secret of [ACCESS, REFRESH]) {
        assert.ok(
          !stdout.includes(secret) && !stderr.includes(secret),
          `${secret} leaked: ${stdout}${stderr}`,
        );
      }
    }
  });
});
