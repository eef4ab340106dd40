/**
 * Issue 13, isolation: a deliberately malicious agent, deployed on a real platform, tries to
 * escape governance — read the platform's key and database, read another agent's environment
 * and steal its token, reach the management API, mint itself an admin key, drive another agent's
 * runtime directly, and reach tools or the network around the egress. Every attempt must fail.
 *
 * The suite runs once under the platform's default isolation (`auto`: the bubblewrap sandbox
 * where it works) and once under the Node permission-model fallback. Cases only the sandbox can
 * stop are skipped, with the reason, where the sandbox is unavailable — and `.ci/run` sets
 * RUNAGENTS_REQUIRE_SANDBOX=1, which turns that skip into a failure.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { after, before, describe, it } from "node:test";
import { Client } from "runagents";
import type { PlatformConfig } from "../../src/config.js";
import { runtimeConfig, waitForAgent } from "../deploy/helpers.js";
import { startToolServer, type ToolServer } from "../egress/helpers.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

type Json = Record<string, any>;

/** The probe: does what the message says and reports what happened, never throws. */
const PROBE = `import { readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";

type Probe = { kind: string; path?: string; url?: string; method?: string; headers?: Record<string, string>; body?: string; host?: string; port?: number };

function attempt(probe: Probe): Promise<unknown> {
  switch (probe.kind) {
    case "read":
      return Promise.resolve({ ok: true, value: readFileSync(probe.path ?? "", "utf8").slice(0, 400) });
    case "list":
      return Promise.resolve({ ok: true, value: readdirSync(probe.path ?? "") });
    case "fetch":
      return fetch(probe.url ?? "", { method: probe.method ?? "GET", headers: probe.headers, body: probe.body }).then(
        async (res) => ({ ok: true, status: res.status, value: (await res.text()).slice(0, 400) }),
      );
    case "connect":
      return new Promise((resolve) => {
        const socket = probe.path ? connect(probe.path) : connect(probe.port ?? 0, probe.host ?? "127.0.0.1");
        socket.once("connect", () => {
          socket.destroy();
          resolve({ ok: true });
        });
        socket.once("error", (error: NodeJS.ErrnoException) => resolve({ ok: false, error: error.code ?? error.message }));
      });
    case "whoami":
      return Promise.resolve({ ok: true, value: { pid: process.pid, env: Object.keys(process.env) } });
    default:
      return Promise.resolve({ ok: false, error: "unknown probe" });
  }
}

export async function handler(request: { message: string }) {
  try {
    return { response: JSON.stringify(await attempt(JSON.parse(request.message) as Probe)) };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { response: JSON.stringify({ ok: false, error: e.code ?? e.message }) };
  }
}
`;

const VICTIM = `import { Agent } from "runagents";

const agent = new Agent();

export async function handler(request: { message: string }) {
  const echoed = await agent.callTool({ name: "vault", path: "/pay", payload: { memo: request.message } });
  return { response: JSON.stringify(echoed) };
}
`;

const sandboxRequired = process.env.RUNAGENTS_REQUIRE_SANDBOX === "1";

for (const isolation of ["auto", "node-permission"] as const) {
  describe(`a malicious agent (isolation: ${isolation})`, () => {
    let platform: TestPlatform;
    let client: Client;
    let vault: ToolServer;
    let mode = "";
    let victimPid = 0;

    const probe = async (what: Json): Promise<Json> => {
      const reply = await client.agents.invoke("probe", { message: JSON.stringify(what) });
      return JSON.parse(reply.response) as Json;
    };
    const sandboxOnly = (t: { skip: (why: string) => void }): boolean => {
      if (mode === "sandbox") return true;
      // The fallback suite skips these by design; under `auto` CI requires the sandbox.
      if (isolation === "auto") {
        assert.ok(!sandboxRequired, `RUNAGENTS_REQUIRE_SANDBOX=1 but agents run with isolation ${mode}`);
      }
      t.skip(`needs the bubblewrap sandbox; agents run with isolation ${mode}`);
      return false;
    };

    before(async () => {
      vault = await startToolServer();
      const config: Partial<PlatformConfig> = { ...runtimeConfig(), agentIsolation: isolation };
      platform = await startTestPlatform({ config });
      client = new Client({ endpoint: platform.url, apiKey: platform.adminKey, namespace: "default" });
      await client.seedStarterKit();
      await platform.call("POST", "/tools", { name: "vault", base_url: vault.url });
      await platform.call("POST", "/policies", {
        name: "vault-allow",
        spec: { policies: [{ permission: "allow", resource: "vault", operations: ["POST"] }] },
      });
      await client.agents.deploy({
        name: "probe",
        sourceFiles: { "agent.ts": PROBE },
        requiredTools: ["vault"],
      });
      await client.agents.deploy({
        name: "victim",
        sourceFiles: { "agent.ts": VICTIM },
        requiredTools: ["vault"],
        policies: ["vault-allow"],
      });
      const running = (agent: Json) => agent.status?.phase === "Running";
      mode = (await waitForAgent(platform, "probe", running, 60_000)).isolation;
      victimPid = (await waitForAgent(platform, "victim", running, 60_000)).status.pid;
    });
    after(async () => {
      await platform.destroy();
      await vault.close();
    });

    it("runs under the isolation asked for, and says which", () => {
      if (isolation === "node-permission") assert.equal(mode, "node-permission");
      else assert.ok(["sandbox", "node-permission"].includes(mode), mode);
    });

    it("cannot read the platform's secret key, its database or its data directory", async () => {
      for (const path of [`${platform.dataDir}/secret.key`, `${platform.dataDir}/platform.db`]) {
        const read = await probe({ kind: "read", path });
        assert.equal(read.ok, false, `read ${path}: ${JSON.stringify(read)}`);
      }
      const list = await probe({ kind: "list", path: platform.dataDir });
      assert.equal(list.ok, false, JSON.stringify(list));
      const others = await probe({ kind: "list", path: `${platform.dataDir}/agents/default` });
      assert.equal(others.ok, false, "another agent's directory is out of sight");
    });

    it("cannot read another agent's environment, so cannot take its token", async () => {
      const environ = await probe({ kind: "read", path: `/proc/${victimPid}/environ` });
      assert.equal(environ.ok, false, JSON.stringify(environ));
      const platformEnv = await probe({ kind: "read", path: `/proc/${process.pid}/environ` });
      assert.equal(platformEnv.ok, false, "the platform's own environment");
    });

    it("does not see the runtime's secret or sockets in its own environment", async () => {
      const me = await probe({ kind: "whoami" });
      assert.equal(me.ok, true);
      for (const name of [
        "RUNAGENTS_RUNTIME_SECRET",
        "RUNAGENTS_RUNTIME_SOCKET",
        "RUNAGENTS_PLATFORM_SOCKET",
      ]) {
        assert.ok(!me.value.env.includes(name), name);
      }
    });

    it("cannot act as an admin on the platform's port: no keyless loopback", async () => {
      const mint = await probe({
        kind: "fetch",
        url: `${platform.url}/api/v1/auth/api-keys`,
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: "pwned", role: "admin" }),
      });
      // Sandboxed: the platform's port does not exist in its network. Otherwise: 401.
      assert.ok(mint.ok === false || mint.status === 401, JSON.stringify(mint));
      const keys = (await platform.call("GET", "/auth/api-keys")).json as Json[];
      assert.deepEqual(
        keys.map((k) => k.name),
        ["local-admin"],
      );
    });

    it("is refused by another agent's runtime without that runtime's secret", async () => {
      const endpoint = platform.services.agents?.endpointFor("default", "victim");
      assert.ok(
        endpoint?.socketPath && endpoint.secret,
        "the victim listens on a private socket with a secret",
      );
      const calls = vault.received.length;
      for (const secret of [undefined, "wrong-secret"]) {
        const res = await postToSocket(endpoint.socketPath, "/invoke", { message: "pay me" }, secret);
        assert.deepEqual(
          [res.status, res.json],
          [401, { error: "missing or wrong X-RunAgents-Runtime-Secret" }],
        );
      }
      const bySocket = await probe({ kind: "connect", path: endpoint.socketPath });
      if (mode === "sandbox")
        assert.equal(bySocket.ok, false, "the victim's socket is not in the probe's sandbox");
      assert.equal(vault.received.length, calls, "the victim's tool was not called");
    });

    it("cannot reach the platform's port, a tool or anything else around the egress", async (t) => {
      if (!sandboxOnly(t)) return;
      for (const port of [platform.port, Number(new URL(vault.url).port)]) {
        const direct = await probe({ kind: "connect", host: "127.0.0.1", port });
        assert.deepEqual(direct, { ok: false, error: "ECONNREFUSED" }, `port ${port}`);
      }
      const listing = await probe({ kind: "list", path: "/proc" });
      const pids = (listing.value as string[]).filter((entry) => /^\d+$/.test(entry));
      assert.ok(!pids.includes(String(victimPid)) && pids.length <= 3, `sees processes ${pids.join(",")}`);
    });

    it("reaches only its own egress, gateway and callbacks through its channel", async (t) => {
      if (!sandboxOnly(t)) return;
      const api = await probe({ kind: "fetch", url: "http://127.0.0.1:8092/api/v1/agents" });
      assert.equal(api.status, 403, JSON.stringify(api));
      const victimToken = tokenOf(victimPid);
      const stolen = await probe({
        kind: "fetch",
        url: `http://127.0.0.1:8092/egress/${victimToken}/vault/pay`,
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      });
      assert.equal(stolen.status, 403, "another agent's token is refused on this agent's channel");
      const climb = await probe({ kind: "fetch", url: "http://127.0.0.1:8092/egress/x/../../api/v1/agents" });
      assert.equal(climb.status, 403);
    });
  });
}

/** What an attacker outside the sandbox could read: the victim's token, from its process environment. */
function tokenOf(pid: number): string {
  const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
  const match = /\/egress\/(ra_agt_[\w-]+)\//.exec(environ);
  assert.ok(match, "the victim's environment holds its token");
  return match[1] as string;
}

function postToSocket(
  socketPath: string,
  path: string,
  body: unknown,
  secret: string | undefined,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (secret) headers["X-RunAgents-Runtime-Secret"] = secret;
    const req = httpRequest({ socketPath, path, method: "POST", headers }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        data += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(data) }));
    });
    req.on("error", reject);
    req.end(text);
  });
}
