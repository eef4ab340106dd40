import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { FAMILIES } from "../../src/cli/families.js";
import { packageVersion } from "../../src/cli/package-root.js";
import { RUN_STATUSES } from "../../src/index.js";
import { removeDir, runCli, startPlatform, type TestPlatform, tempDir } from "./helpers.js";

const ESC = "\u001b[";
let home: string;
let platform: TestPlatform;
const env = (extra: Record<string, string> = {}) => ({
  HOME: home,
  RUNAGENTS_ENDPOINT: platform.url,
  RUNAGENTS_API_KEY: platform.adminKey,
  ...extra,
});

before(async () => {
  home = tempDir();
  platform = await startPlatform();
});
after(async () => {
  await platform.destroy();
  removeDir(home);
});

describe("global behaviour", () => {
  test("--version and version print the package version", async () => {
    const short = await runCli(["--version"], { env: env() });
    assert.deepEqual(short, { code: 0, stdout: `runagents ${packageVersion()}\n`, stderr: "" });
    const long = await runCli(["version"], { env: env() });
    assert.equal(long.code, 0);
    assert.equal(long.stdout.split("\n")[0], `runagents ${packageVersion()}`);
    assert.match(long.stdout, /^ {2}node: {5}v\d+/m);
  });

  test("no arguments prints the root help and exits 0", async () => {
    const result = await runCli([], { env: env() });
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage:\n {2}runagents <command> \[subcommand\] \[flags\]$/m);
    assert.match(result.stdout, /^ {2}approval-connectors +Manage approval connectors$/m);
    assert.equal(result.stderr, "");
  });

  test("--help works on groups and leaf commands", async () => {
    const group = await runCli(["runs", "--help"], { env: env() });
    assert.equal(group.code, 0);
    assert.match(group.stdout, /^ {2}runagents runs <command> \[flags\]$/m);
    assert.match(group.stdout, /^ {2}wait +Wait until a run is COMPLETED or FAILED/m);
    const leaf = await runCli(["approvals", "approve", "-h"], { env: env() });
    assert.equal(leaf.code, 0);
    assert.match(leaf.stdout, /^ {2}runagents approvals approve <request-id> \[flags\]$/m);
    assert.match(
      leaf.stdout,
      /^ {6}--scope once\|run\|window +what the approval covers \(default once: this one call\)$/m,
    );
    const viaHelp = await runCli(["help", "config", "set"], { env: env() });
    assert.match(viaHelp.stdout, /^ {2}runagents config set <key> <value> \[flags\]$/m);
  });

  test("runs list --help names every run status, PAUSED_CONSENT included", async () => {
    const help = await runCli(["runs", "list", "--help"], { env: env() });
    const line = help.stdout.split("\n").find((l) => l.includes("--status")) ?? "";
    for (const status of RUN_STATUSES) assert.match(line, new RegExp(`\\b${status}\\b`), status);
    assert.ok(RUN_STATUSES.includes("PAUSED_CONSENT"));
  });

  test("usage errors are one line on stderr with exit code 2", async () => {
    const cases: [string[], string][] = [
      [["frobnicate"], 'Error: unknown command "frobnicate" for "runagents" (see "runagents --help")\n'],
      [
        ["agents", "frob"],
        'Error: unknown command "frob" for "runagents agents" (see "runagents agents --help")\n',
      ],
      [["agents", "list", "--bogus"], "Error: unknown flag: --bogus\n"],
      [["runs", "list", "--limit"], "Error: flag needs an argument: --limit\n"],
      [
        ["runs", "list", "--limit", "many"],
        'Error: invalid value "many" for --limit: expected a whole number >= 0\n',
      ],
      [["agents", "get"], 'Error: "runagents agents get" requires 1 argument: [namespace] <name> (got 0)\n'],
      [["tools", "get", "a", "b"], 'Error: "runagents tools get" accepts at most 1 argument (got 2)\n'],
      [["agents", "list", "-o", "yaml"], 'Error: invalid output format "yaml": use table or json\n'],
      [
        ["runs", "wait", "r1", "--timeout", "soon"],
        'Error: invalid duration "soon" for --timeout: use e.g. 500ms, 30s, 5m or 1h\n',
      ],
      [
        ["approvals", "approve", "r1", "--scope", "run", "--duration", "1h"],
        "Error: duration can only be used with scope window\n",
      ],
      [["completion", "tcsh"], 'Error: unsupported shell "tcsh": use bash, zsh, fish or powershell\n'],
    ];
    for (const [args, stderr] of cases) {
      assert.deepEqual(await runCli(args, { env: env() }), { code: 2, stdout: "", stderr }, args.join(" "));
    }
  });

  test("API errors print the status and the platform's message, exit 1", async () => {
    const result = await runCli(["agents", "get", "nope"], { env: env() });
    assert.deepEqual(result, {
      code: 1,
      stdout: "",
      stderr: "Error: API error (HTTP 404): agent nope not found\n",
    });
  });

  test("an unreachable platform is one line naming the endpoint", async () => {
    const result = await runCli(["tools", "list", "--endpoint", "http://127.0.0.1:9"], { env: env() });
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      /^Error: Connection failed: connect ECONNREFUSED 127\.0\.0\.1:9 \(is a platform running at http:\/\/127\.0\.0\.1:9\? start one with "runagents up"\)\n$/,
    );
  });

  test("an endpoint without http:// is one line naming where it came from, exit 1", async () => {
    const configHome = tempDir();
    try {
      mkdirSync(join(configHome, ".runagents"));
      const file = join(configHome, ".runagents", "config.json");
      writeFileSync(file, JSON.stringify({ endpoint: "127.0.0.1:18300", api_key: platform.adminKey }));
      const missing = 'http:// is missing (use "http://127.0.0.1:18300")';
      const cases: [string[], Record<string, string>, string][] = [
        [["--endpoint", "127.0.0.1:18300"], env(), "--endpoint"],
        [[], { ...env(), RUNAGENTS_ENDPOINT: "127.0.0.1:18300" }, "RUNAGENTS_ENDPOINT"],
        [[], { HOME: configHome }, `the config file ${file}`],
      ];
      for (const [flags, e, source] of cases) {
        assert.deepEqual(await runCli(["runs", "list", ...flags], { env: e }), {
          code: 1,
          stdout: "",
          stderr: `Error: invalid endpoint "127.0.0.1:18300" from ${source}: ${missing}\n`,
        });
      }
      const ftp = await runCli(["runs", "list", "--endpoint", "ftp://127.0.0.1:18300"], { env: env() });
      assert.equal(
        ftp.stderr,
        'Error: invalid endpoint "ftp://127.0.0.1:18300" from --endpoint: use an http:// or https:// URL\n',
      );
    } finally {
      removeDir(configHome);
    }
  });

  test("a key the platform refuses (HTTP 401) names runagents config set api-key", async () => {
    const wrong = "ra_ws_not-a-real-key-000000000000";
    const save = '"runagents config set api-key <key>"';
    const cases: [string[], Record<string, string>, string][] = [
      [[], env({ RUNAGENTS_API_KEY: "" }), "missing API key: send it in the X-RunAgents-API-Key header"],
      [["--api-key", wrong], env(), "invalid or expired API key"],
      [[], env({ RUNAGENTS_API_KEY: wrong }), "invalid or expired API key"],
    ];
    const hints = [
      `save a valid key with ${save}`,
      `check --api-key, or save a key with ${save}`,
      `check RUNAGENTS_API_KEY, or unset it and save a key with ${save}`,
    ];
    for (const [i, [flags, e, refusal]] of cases.entries()) {
      assert.deepEqual(await runCli(["agents", "list", ...flags], { env: e }), {
        code: 1,
        stdout: "",
        stderr: `Error: API error (HTTP 401): ${refusal} (${hints[i]})\n`,
      });
    }
  });
});

describe("config", () => {
  test("config set writes a 0600 file without persisting environment overrides; get masks the key", async () => {
    const configHome = tempDir();
    try {
      const setEnv = { HOME: configHome, RUNAGENTS_ENDPOINT: "http://from-env:1" };
      const set = await runCli(["config", "set", "api-key", "ra_ws_abcdefgh12345678"], { env: setEnv });
      assert.deepEqual(set, { code: 0, stdout: 'Config "api-key" set successfully.\n', stderr: "" });
      await runCli(["config", "set", "namespace", "team-a"], { env: setEnv });
      const file = join(configHome, ".runagents", "config.json");
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(join(configHome, ".runagents")).mode & 0o777, 0o700);
      assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), {
        api_key: "ra_ws_abcdefgh12345678",
        namespace: "team-a",
      });

      const get = await runCli(["config", "get"], { env: { HOME: configHome } });
      assert.equal(get.code, 0);
      assert.equal(
        get.stdout,
        [
          "Endpoint:        http://localhost:8092",
          "Namespace:       team-a",
          "Assistant Mode:  external",
          "API Key:         ra_w**************5678",
          `Config File:     ${file}`,
          "",
        ].join("\n"),
      );
      const one = await runCli(["config", "get", "endpoint"], { env: setEnv });
      assert.equal(one.stdout, "http://from-env:1\n");
      const short = await runCli(["config", "get", "api-key", "--api-key", "abc"], {
        env: { HOME: configHome },
      });
      assert.equal(short.stdout, "***\n");
    } finally {
      removeDir(configHome);
    }
  });

  test("config rejects unknown keys and invalid values", async () => {
    const configHome = tempDir();
    try {
      const e = { HOME: configHome };
      assert.deepEqual(await runCli(["config", "set", "colour", "blue"], { env: e }), {
        code: 1,
        stdout: "",
        stderr:
          'Error: unknown config key "colour"; valid keys: endpoint, api-key, namespace, assistant-mode\n',
      });
      const mode = await runCli(["config", "set", "assistant-mode", "loud"], { env: e });
      assert.equal(mode.code, 1);
      assert.equal(
        mode.stderr,
        'Error: invalid assistant-mode "loud"; valid values: external, runagents, off (from the command line)\n',
      );
      const endpoint = await runCli(["config", "set", "endpoint", "localhost"], { env: e });
      assert.equal(
        endpoint.stderr,
        'Error: invalid endpoint "localhost": http:// is missing (use "http://localhost")\n',
      );
      mkdirSync(join(configHome, ".runagents"));
      writeFileSync(join(configHome, ".runagents", "config.json"), "{broken");
      const broken = await runCli(["agents", "list"], { env: e });
      assert.equal(broken.code, 1);
      assert.match(broken.stderr, /^Error: failed to parse config file .*config\.json: .*\n$/);
    } finally {
      removeDir(configHome);
    }
  });
});

describe("output", () => {
  test("-o json prints the server's body; tables fit COLUMNS with … and carry no colour off a TTY", async () => {
    const long = `http://127.0.0.1:9/${"very-long-path-segment-".repeat(4)}`;
    await platform.call("POST", "/tools", { name: "wide-tool", base_url: long });
    const json = await runCli(["tools", "list", "-o", "json"], { env: env() });
    const served = await platform.call("GET", "/tools");
    assert.deepEqual(JSON.parse(json.stdout), served.json);

    const table = await runCli(["tools", "list"], { env: env({ COLUMNS: "60" }) });
    const lines = table.stdout.trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^NAME +\| TOPOLOGY +\| BASE URL +\| ACCESS +\| STATUS$/);
    assert.match(lines[1] ?? "", /^-+-\+-/);
    for (const line of lines) assert.ok(line.length <= 60, `${line.length}: ${line}`);
    assert.ok(lines.some((l) => l.includes("wide-tool") && l.includes("…")));
    assert.ok(!table.stdout.includes(ESC));
  });

  test("colour is used on a TTY, and never with NO_COLOR", async () => {
    const coloured = await runCli(["tools", "list"], { env: env(), tty: true });
    assert.ok(coloured.stdout.includes(`${ESC}1mNAME`), coloured.stdout);
    const plain = await runCli(["tools", "list"], { env: env({ NO_COLOR: "1" }), tty: true });
    assert.match(plain.stdout, /^NAME/m);
    assert.ok(!plain.stdout.includes(ESC));
  });
});

describe("completion", () => {
  test("the bash script completes commands and subcommands", async () => {
    const script = await runCli(["completion", "bash"], { env: env() });
    assert.equal(script.code, 0);
    const complete = (words: string) =>
      execFileSync(
        "bash",
        [
          "-c",
          `${script.stdout}\nCOMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _runagents; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: "utf8" },
      ).trim();
    assert.equal(complete("runagents appr"), "approvals approval-connectors");
    assert.equal(complete("runagents -o json runs w"), "wait");
    assert.equal(
      complete("runagents approval-connectors defaults ''"),
      "get set --endpoint --api-key --output -o --help -h",
    );
  });

  test("zsh and fish scripts cover the command tree", async () => {
    const zsh = await runCli(["completion", "zsh"], { env: env() });
    assert.match(zsh.stdout, /^#compdef runagents\n/);
    assert.match(zsh.stdout, /^complete -F _runagents runagents$/m);
    const fish = await runCli(["completion", "fish"], { env: env() });
    assert.match(
      fish.stdout,
      /^complete -c runagents -n '__fish_use_subcommand' -a deploy -d 'Deploy an agent/m,
    );
    assert.match(
      fish.stdout,
      /-n '__fish_seen_subcommand_from runs; and not __fish_seen_subcommand_from list get events/,
    );
  });

  test("the PowerShell script registers a native completer naming every top-level command", async () => {
    const ps = await runCli(["completion", "powershell"], { env: env() });
    assert.equal(ps.code, 0, ps.stderr);
    assert.match(ps.stdout, /^Register-ArgumentCompleter -Native -CommandName runagents -ScriptBlock \{$/m);
    const root = /^ {4}'' = @\((.*)\)$/m.exec(ps.stdout)?.[1] ?? "";
    const words = [...root.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1] ?? "");
    const commands = words.filter((_, i) => i % 2 === 0 && !words[i]?.startsWith("-"));
    assert.deepEqual(commands, Object.keys(FAMILIES));
    assert.ok(words.includes("Deploy an agent (from runagents.yaml, or flags)"), root);
    assert.match(ps.stdout, /^ {4}'runs' = @\('list', '[^']+', 'get', /m);
    assert.match(ps.stdout, /\$valued = @\(.*'--endpoint'.*\)/);
  });
});
