/**
 * `runagents invoke` and `runagents chat` against a real platform running a real agent: a reply,
 * a run paused for approval (and the printed next step carried out), a failed run, the message
 * on stdin, `--stream` arriving piece by piece, `-o json`, and a chat over piped stdin and over a
 * pseudo-terminal that keeps one conversation across turns — on a SQLite-backed and on a
 * PostgreSQL-backed platform.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { nextSteps, outcomeOfBody } from "../../src/cli/commands/invoke.js";
import { platformStores } from "../helpers/platform.js";
import { cliWithPlatform, LiveCli, runCli } from "./helpers.js";

const runtimeBuilt = existsSync(fileURLToPath(new URL("../../src/runtime/main.js", import.meta.url)));

const AGENT = `import { Agent } from "runagents/agent";

const agent = new Agent();
let release;
const released = new Promise((resolve) => {
  release = resolve;
});

async function* pieces() {
  yield "first\\n";
  await released;
  yield "second\\n";
}

export async function handler(request) {
  const message = request.message;
  if (message === "fail") throw new Error("asked to fail");
  if (message === "release") {
    release();
    return { response: "released" };
  }
  if (message === "stream") return pieces();
  if (message.startsWith("echo ")) {
    const echoed = await agent.callTool({ name: "echo-tool", path: "/echo", payload: { message: message.slice(5) } });
    return { response: "echo-tool replied: " + echoed.reply };
  }
  const history = request.history ?? [];
  const completion = await agent.chat(message, { history });
  return { response: completion.choices[0].message.content + " (after " + history.length + " messages)" };
}
`;

type Json = Record<string, unknown>;

for (const store of await platformStores()) {
  describe(`runagents invoke and chat (${store.name} store)`, {
    skip: runtimeBuilt ? store.skip : "the agent runtime is not built",
  }, () => {
    const t = cliWithPlatform({ store: store.name });
    const env = () => ({
      HOME: t.dir,
      RUNAGENTS_ENDPOINT: t.platform.url,
      RUNAGENTS_API_KEY: t.platform.adminKey,
    });
    const run = async (id: string): Promise<Json> =>
      (await t.platform.call("GET", `/runs/${id}`)).json as Json;

    test("deploys the agent the other tests talk to", async () => {
      const policy = await t.platform.call("POST", "/policies", {
        name: "approve-echo",
        spec: { policies: [{ permission: "approval_required" }], approvals: [] },
      });
      assert.equal(policy.status, 201, policy.text);
      const deployed = await t.platform.call("POST", "/deploy", {
        agent_name: "talker",
        source_files: { "agent.mjs": AGENT },
        entry_point: "agent.mjs",
        required_tools: ["echo-tool"],
        policies: ["approve-echo"],
      });
      assert.equal(deployed.status, 201, deployed.text);
      for (;;) {
        const agent = (await t.platform.call("GET", "/agents/talker")).json as {
          status?: { phase?: string };
        };
        if (agent.status?.phase === "Running") break;
        assert.notEqual(agent.status?.phase, "Failed", JSON.stringify(agent));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });

    test("prints the reply on stdout and the run id and status on stderr; exit 0", async () => {
      const result = await t.cli("invoke", "talker", "hello", "there");
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "[playground] You said: hello there (after 0 messages)\n");
      const runId = /^Run: +(\S+)$/m.exec(result.stderr)?.[1] ?? "";
      assert.match(result.stderr, /^Status: +COMPLETED$/m);
      assert.equal((await run(runId)).status, "COMPLETED");
    });

    test("agents invoke is the same command, and reads the message from stdin", async () => {
      const result = await runCli(["agents", "invoke", "talker"], {
        env: env(),
        cwd: t.dir,
        input: "from stdin\n",
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, "[playground] You said: from stdin (after 0 messages)\n");
      const empty = await runCli(["invoke", "talker"], { env: env(), cwd: t.dir, input: "" });
      assert.deepEqual(empty, { code: 2, stdout: "", stderr: "Error: the message on stdin is empty\n" });
    });

    test("-o json prints the API's answer as it is (snake_case)", async () => {
      const result = await t.cli(
        "invoke",
        "talker",
        "json please",
        "--user",
        "alice@example.com",
        "-o",
        "json",
      );
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "");
      const body = JSON.parse(result.stdout) as Json;
      assert.equal(body.response, "[playground] You said: json please (after 0 messages)");
      assert.match(String(body.run_id), /^[\w-]{8,}$/);
      assert.match(String(body.conversation_id), /^[\w-]{8,}$/);
      assert.equal((await run(String(body.run_id))).user_id, "alice@example.com");
    });

    test("a paused run prints the approval command; carried out, the run completes", async () => {
      const result = await t.cli("invoke", "talker", "echo ship it", "--user", "alice@example.com");
      assert.equal(result.code, 3, result.stderr);
      const runId = /^Run: +(\S+)$/m.exec(result.stderr)?.[1] ?? "";
      assert.equal((await run(runId)).status, "PAUSED_APPROVAL");
      const pending = (await t.platform.call("GET", "/approvals/requests?status=PENDING")).json as Json[];
      const request = String(pending.find((r) => r.run_id === runId)?.id);
      const lines = result.stderr.split("\n");
      assert.deepEqual(lines.slice(lines.indexOf("Status:       PAUSED_APPROVAL") + 2), [
        `Paused: echo-tool (POST ${t.platform.url}/echo) needs an approval (access request ${request}).`,
        `To approve:   runagents approvals approve ${request}`,
        `Then:         runagents runs wait ${runId}`,
        "",
      ]);

      const approved = await t.cli("approvals", "approve", request);
      assert.equal(approved.code, 0, approved.stderr);
      const waited = await t.cli("runs", "wait", runId, "--interval", "100ms", "--timeout", "60s");
      assert.equal(waited.code, 0, waited.stderr);
      assert.match(waited.stdout, new RegExp(`^Run "${runId}" reached terminal status COMPLETED\\.`));
    });

    test("a failed run prints the error, run id and FAILED; exit 1", async () => {
      const result = await t.cli("invoke", "talker", "fail");
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      const runId = /^Run: +(\S+)$/m.exec(result.stderr)?.[1] ?? "";
      assert.match(result.stderr, /^Error: agent talker failed: .*asked to fail.* \(HTTP 502\)$/m);
      assert.match(result.stderr, /^Status: +FAILED$/m);
      assert.equal((await run(runId)).status, "FAILED");
    });

    test("an agent that does not exist is one line, exit 1", async () => {
      assert.deepEqual(await t.cli("invoke", "nobody", "hi"), {
        code: 1,
        stdout: "",
        stderr: "Error: API error (HTTP 404): agent nobody not found\n",
      });
    });

    test("--stream prints each piece of the reply as it arrives", async () => {
      const live = new LiveCli(["invoke", "talker", "stream", "--stream"], { env: env(), cwd: t.dir });
      await live.waitFor(/^first$/);
      assert.deepEqual(live.stdout, ["first"], "the second piece waits for the release");
      const released = await t.platform.call("POST", "/agents/talker/invoke", { message: "release" });
      assert.equal(released.status, 200, released.text);
      assert.equal(await live.exited(), 0, live.stderr.join("\n"));
      assert.deepEqual(live.stdout, ["first", "second"]);
      assert.ok(live.stderr.some((line) => /^Status: +COMPLETED$/.test(line)));
    });

    test("--stream -o json prints the events, one JSON object a line", async () => {
      const result = await t.cli("invoke", "talker", "hi", "--stream", "-o", "json");
      assert.equal(result.code, 0, result.stderr);
      const events = result.stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Json);
      assert.equal(events[0]?.type, "run");
      assert.match(String(events[0]?.run_id), /^[\w-]{8,}$/);
      const text = events.filter((e) => e.type === "content").map((e) => e.delta);
      assert.equal(text.join(""), "[playground] You said: hi (after 0 messages)");
      assert.equal(events.at(-1)?.type, "done");
    });

    test("chat over piped stdin: one line a turn, one conversation, /exit ends it", async () => {
      const result = await runCli(["chat", "talker"], {
        env: env(),
        cwd: t.dir,
        input: "hello\n\nagain\n/exit\nnever sent\n",
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stdout,
        "[playground] You said: hello (after 0 messages)\n[playground] You said: again (after 2 messages)\n",
      );
      const conversation = /^Conversation: (\S+) /m.exec(result.stderr)?.[1] ?? "";
      assert.match(conversation, /^[\w-]{8,}$/);
      const runs = (await t.platform.call("GET", "/runs")).json as Json[];
      const turns = runs.filter((r) => r.conversation_id === conversation).map((r) => r.initial_message);
      assert.deepEqual(turns.sort(), ["again", "hello"]);
    });

    test("chat on a terminal streams each answer and keeps the conversation until /exit", {
      timeout: 60_000,
    }, async () => {
      const live = new LiveCli(["chat", "talker"], {
        env: { ...env(), NO_COLOR: "1" },
        cwd: t.dir,
        tty: true,
      });
      await live.waitFor(/^Chatting with talker\. Type \/exit or press Ctrl-D to end\.$/);
      live.child.stdin?.write("hi there\r");
      await live.waitFor(/talker> \[playground\] You said: hi there \(after 0 messages\)/);
      live.child.stdin?.write("more\r");
      await live.waitFor(/talker> \[playground\] You said: more \(after 2 messages\)/);
      live.child.stdin?.write("/exit\r");
      assert.equal(await live.exited(), 0);
      assert.ok(
        live.stdout.some((line) => /Conversation: \S+ \(continue with --conversation \S+\)/.test(line)),
      );
    });
  });
}

describe("what invoke says about a pause", () => {
  test("a consent pause names the URL to open; an approval without a request id says how to find it", () => {
    const consent = outcomeOfBody({
      response: "Connect your calendar first.",
      run_id: "run-1",
      conversation_id: "conv-1",
      code: "CONSENT_REQUIRED",
      authorization_url: "https://auth.example.com/authorize?state=abc",
      consent_required: { tool: "calendar" },
    });
    assert.equal(consent.status, "PAUSED_CONSENT");
    assert.deepEqual(nextSteps(consent), [
      "Paused: the user must connect calendar (OAuth consent).",
      "Open:         https://auth.example.com/authorize?state=abc",
      "Then:         runagents runs wait run-1",
    ]);
    const approval = outcomeOfBody({
      response: "wait",
      run_id: "run-2",
      approval_required: { tool: "ledger" },
    });
    assert.deepEqual(nextSteps(approval), [
      "Paused: ledger needs an approval.",
      "To approve:   runagents approvals list --status pending, then runagents approvals approve <id>",
      "Then:         runagents runs wait run-2",
    ]);
    assert.deepEqual(nextSteps(outcomeOfBody({ response: "hi", run_id: "run-3" })), []);
  });

  test("help and completion name invoke, chat and logs --follow", async () => {
    const root = await runCli(["--help"]);
    assert.match(root.stdout, /^ {2}invoke +Send a message to a deployed agent and print its reply/m);
    assert.match(root.stdout, /^ {2}chat +Talk with a deployed agent, turn by turn, in one conversation$/m);
    const alias = await runCli(["agents", "invoke", "--help"]);
    assert.match(alias.stdout, /^ {2}runagents agents invoke <agent> \[message\] \[flags\]$/m);
    assert.match(alias.stdout, /^Exit status: 0 when the run completed/m);
    const script = (await runCli(["completion", "bash"])).stdout;
    assert.match(script, /"agents logs"\) words="[^"]*--follow -f"/);
    assert.match(script, /"chat"\) words="[^"]*--conversation/);
  });
});
