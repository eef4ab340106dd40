import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { DEV_RUNTIME_GONE_MS, withoutEndedDevSessions } from "../../src/api/routes/dev-session.js";
import type { ResourceRecord } from "../../src/store/store.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

describe("POST/DELETE /agents/{name}/dev-session", () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform();
  });
  after(() => platform.destroy());

  it("records a dev agent, mints a token and routes invokes to the dev runtime until the session ends", async () => {
    const tool = await platform.call("POST", "/tools", {
      name: "search",
      spec: { connection: { baseUrl: "http://127.0.0.1:9" } },
    });
    assert.equal(tool.status, 201, tool.text);
    const res = await platform.call("POST", "/agents/dev-one/dev-session", {
      url: "http://127.0.0.1:9/",
      tools: ["search", "missing"],
      policies: ["nope"],
      system_prompt: "Be brief.",
      model: "anthropic/claude-x",
    });
    assert.equal(res.status, 200, res.text);
    const body = res.json as Record<string, unknown>;
    const token = /\/internal\/(ra_agt_[A-Za-z0-9_-]{32})$/.exec(String(body.governance_url))?.[1] ?? "";
    assert.ok(token, String(body.governance_url));
    assert.deepEqual(
      {
        ...body,
        tool_definitions: (body.tool_definitions as { function: { name: string } }[]).map(
          (d) => d.function.name,
        ),
        tool_routes: Object.keys(body.tool_routes as object),
      },
      {
        agent: "dev-one",
        namespace: "default",
        tool_urls: {
          search: `${platform.url}/egress/${token}/search`,
          missing: `${platform.url}/egress/${token}/missing`,
        },
        llm_gateway_url: `${platform.url}/gateway/${token}/v1`,
        governance_url: `${platform.url}/internal/${token}`,
        tool_definitions: ["search__request"],
        tool_routes: [],
        invoke_url: `${platform.url}/api/v1/agents/dev-one/invoke`,
        warnings: [
          "tool missing is not registered: calls to it are denied",
          "policy nope does not exist: it allows nothing",
        ],
      },
    );
    const agent = (await platform.call("GET", "/agents/dev-one")).json as Record<string, unknown>;
    assert.deepEqual(
      [
        agent.labels,
        agent.phase,
        agent.required_tools,
        agent.policies,
        agent.system_prompt,
        agent.llm_config,
      ],
      [
        { "runagents.dev/dev": "true" },
        "Running",
        ["search", "missing"],
        ["nope"],
        "Be brief.",
        { provider: "anthropic", model: "claude-x" },
      ],
    );
    assert.deepEqual(platform.services.agents?.endpointFor("default", "dev-one"), {
      url: "http://127.0.0.1:9",
    });
    // Nothing listens on port 9: the invoke reached for the dev runtime.
    const invoke = await platform.call("POST", "/agents/dev-one/invoke", { message: "hi" });
    assert.equal(invoke.status, 502, invoke.text);
    assert.match(invoke.text, /failed to reach agent dev-one/);

    // A second session replaces the token.
    const again = await platform.call("POST", "/agents/dev-one/dev-session", { url: "http://localhost:10" });
    assert.equal(again.status, 200, again.text);
    assert.equal((await fetch(`${platform.url}/egress/${token}/search/x`)).status, 401);

    const end = await platform.call("DELETE", "/agents/dev-one/dev-session");
    assert.deepEqual(
      [end.status, end.json],
      [200, { agent: "dev-one", namespace: "default", status: "ended" }],
    );
    assert.equal(platform.services.agents?.endpointFor("default", "dev-one"), undefined);
    // The dev agent is gone with its session; its runs stay.
    const ended = await platform.call("GET", "/agents/dev-one");
    assert.deepEqual([ended.status, ended.json], [404, { error: "agent dev-one not found" }]);
    const listed = (await platform.call("GET", "/agents")).json as { name: string }[];
    assert.ok(!listed.some((a) => a.name === "dev-one"));
    assert.equal((await platform.call("POST", "/agents/dev-one/invoke", { message: "hi" })).status, 404);
    const runs = (await platform.call("GET", "/runs?agent_id=dev-one")).json as unknown[];
    assert.equal(runs.length, 1, "the failed invoke's run stays");
  });

  it("ends a session whose dev runtime is gone, or that a restarted platform no longer routes", async () => {
    const runtime = createServer((_req, res) => res.end("{}"));
    await new Promise<void>((resolve) => runtime.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(runtime.address() as AddressInfo).port}`;
    const start = await platform.call("POST", "/agents/dev-gone/dev-session", { url });
    assert.equal(start.status, 200, start.text);
    const names = async () =>
      ((await platform.call("GET", "/agents")).json as { name: string }[]).map((a) => a.name);
    assert.ok((await names()).includes("dev-gone"), "a listening runtime keeps its session");

    await new Promise((resolve) => runtime.close(resolve));
    const record = async () => platform.store.getResource("default", "agent", "dev-gone");
    const stored = async (): Promise<ResourceRecord[]> => [(await record()) as ResourceRecord];
    const now = Date.now();
    assert.equal((await withoutEndedDevSessions(platform.services, await stored(), now)).length, 1);
    assert.ok(await record(), "a runtime refusing connections briefly (a restart) keeps its session");
    const later = now + DEV_RUNTIME_GONE_MS;
    assert.equal((await withoutEndedDevSessions(platform.services, await stored(), later)).length, 0);
    assert.equal(await record(), undefined, "gone for good: the session ended");
    assert.equal(platform.services.agents?.endpointFor("default", "dev-gone"), undefined);

    // A platform that restarted routes to no dev runtime: such a session is over too.
    const again = await platform.call("POST", "/agents/dev-restart/dev-session", {
      url: "http://127.0.0.1:9",
    });
    assert.equal(again.status, 200, again.text);
    platform.services.agents?.detachExternal({ workspace: "default", name: "dev-restart" });
    assert.ok(!(await names()).includes("dev-restart"));
    assert.equal((await platform.call("GET", "/agents/dev-restart")).status, 404);
  });

  it("refuses bad input and agents that are not dev agents", async () => {
    const cases: [string, string, unknown, number, string][] = [
      ["POST", "/agents/dev-two/dev-session", {}, 400, "url is required"],
      ["POST", "/agents/dev-two/dev-session", { url: "ftp://x" }, 400, "url must be an absolute http(s) URL"],
      [
        "POST",
        "/agents/dev-two/dev-session",
        { url: "http://example.com:8080" },
        400,
        "url must be a loopback address (http://127.0.0.1:<port>): the dev runtime runs beside the platform",
      ],
      ["POST", "/agents/dev-two/dev-session", { url: "http://127.0.0.1:1", tools: "x" }, 400, ""],
      ["POST", "/agents/dev-two/dev-session", { url: "http://127.0.0.1:1", model: 3 }, 400, ""],
      ["POST", "/agents/Bad_Name/dev-session", { url: "http://127.0.0.1:1" }, 400, ""],
      ["DELETE", "/agents/nobody/dev-session", undefined, 404, "agent nobody not found"],
    ];
    for (const [method, path, body, status, error] of cases) {
      const res = await platform.call(method, path, body);
      assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(body)}: ${res.text}`);
      const message = (res.json as { error: string }).error;
      if (error) assert.equal(message, error);
      else assert.match(message, /.+/);
    }
    const deployed = await platform.call("POST", "/deploy", {
      agent_name: "real",
      image: "example.com/real:1",
    });
    assert.ok(deployed.status < 300, deployed.text);
    const conflict =
      "agent real exists and is not a dev agent (it was deployed); use another name for the dev session or delete the agent first";
    for (const method of ["POST", "DELETE"]) {
      const res = await platform.call(method, "/agents/real/dev-session", { url: "http://127.0.0.1:1" });
      assert.deepEqual([res.status, (res.json as { error: string }).error], [409, conflict]);
    }
  });
});
