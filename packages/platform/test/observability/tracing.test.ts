/**
 * One trace of a governed run that pauses for approval and resumes, exported over OTLP/HTTP
 * (JSON) to a receiver in this test: the platform (this process, tracing on by the standard
 * environment), the agent runtime (a real `runagents-runtime` child process whose author
 * registered an OpenTelemetry SDK with `--import`), the egress, and a tool server that records
 * the `traceparent` it received. Tracing is process-wide, so this file runs alone in its process
 * (as `node --test` runs every file).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { call, governedAgent, startToolServer, type ToolServer, waitFor } from "../egress/helpers.js";
import { addAgent, addProvider, sendJson, startFakeProvider } from "../gateway/fake-provider.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; doubleValue?: number; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
  events?: { name: string; attributes: OtlpAttribute[] }[];
  links?: { traceId: string; spanId: string }[];
}
interface Span extends OtlpSpan {
  service: string;
  attrs: Record<string, unknown>;
}

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN = "00f067aa0ba902b7";
const TOOL_SECRET = "sk-tool-secret-8c1f0e2d";
const SERVER = 2;
const CLIENT = 3;

const attrsOf = (list: OtlpAttribute[] = []): Record<string, unknown> =>
  Object.fromEntries(
    list.map((a) => [
      a.key,
      a.value.stringValue ?? a.value.intValue ?? a.value.doubleValue ?? a.value.boolValue,
    ]),
  );

/** An OTLP/HTTP receiver: every exported span, decoded from the exporter's JSON. */
async function startCollector() {
  const spans: Span[] = [];
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      assert.equal(req.url, "/v1/traces");
      assert.equal(req.headers["content-type"], "application/json");
      bodies.push(text);
      for (const rs of JSON.parse(text).resourceSpans ?? []) {
        const service = String(attrsOf(rs.resource?.attributes)["service.name"]);
        for (const ss of rs.scopeSpans ?? [])
          for (const span of ss.spans ?? [])
            spans.push({ ...span, service, attrs: attrsOf(span.attributes) });
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, spans, bodies, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The span tree, indented (PRINT_TRACE=1: how docs/observability.md shows it). */
function printTree(spans: Span[], root: string, depth = 0): void {
  for (const span of spans.filter((s) => s.parentSpanId === root)) {
    const keys = Object.entries(span.attrs)
      .filter(([k]) => k.startsWith("gen_ai.") || k.startsWith("runagents.") || k === "http.route")
      .map(([k, v]) => `${k}=${v}`);
    const events = (span.events ?? []).map((e) => `event:${e.name}`);
    console.log(`${"  ".repeat(depth)}${span.name} [${span.service}] ${[...keys, ...events].join(" ")}`);
    printTree(spans, span.spanId, depth + 1);
  }
}

describe("traces across the governed path", () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let platform: TestPlatform;
  let tool: ToolServer;
  let agent: ChildProcess;
  let agentUrl = "";
  let codeDir = "";

  before(async () => {
    collector = await startCollector();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.url;
    process.env.OTEL_SERVICE_NAME = "runagents-platform-test";
    process.env.OTEL_BSP_SCHEDULE_DELAY = "50";
    platform = await startTestPlatform();
    tool = await startToolServer();
    const { token, egress } = await governedAgent(platform, {
      agent: "tracer",
      tool: {
        name: "ledger",
        spec: {
          connection: {
            baseUrl: tool.url,
            authentication: { type: "APIKey", apiKeyConfig: { in: "Header", name: "X-Api-Key" } },
          },
        },
        credentials: { api_key: TOOL_SECRET },
      },
      rules: [{ permission: "approval_required", resource: `${tool.url}/charges*`, operations: ["POST"] }],
      approvals: [{ name: "ledger-approvals", toolIds: ["ledger"], defaultDuration: "1h" }],
    });
    codeDir = mkdtempSync(join(tmpdir(), "runagents-trace-agent-"));
    writeFileSync(
      join(codeDir, "agent.mjs"),
      `export default async function handler(request, ctx) {
  const res = await fetch(ctx.tools.ledger + "/charges", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ amount: 5 }),
  });
  return "charged: " + res.status;
}
`,
    );
    const sdk = (name: string) => import.meta.resolve(name);
    writeFileSync(
      join(codeDir, "otel-setup.mjs"),
      `import { NodeTracerProvider, BatchSpanProcessor } from ${JSON.stringify(sdk("@opentelemetry/sdk-trace-node"))};
import { OTLPTraceExporter } from ${JSON.stringify(sdk("@opentelemetry/exporter-trace-otlp-http"))};
import { resourceFromAttributes } from ${JSON.stringify(sdk("@opentelemetry/resources"))};
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ "service.name": "tracer-agent" }),
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 50 })],
});
provider.register();
process.once("SIGTERM", () => provider.shutdown().finally(() => process.exit(0)));
`,
    );
    const root = resolve(fileURLToPath(import.meta.url), "../../../../../..");
    agent = spawn(
      process.execPath,
      [
        "--import",
        join(codeDir, "otel-setup.mjs"),
        join(root, "packages/runagents/dist/src/runtime/main.js"),
      ],
      {
        env: {
          PATH: process.env.PATH,
          HOST: "127.0.0.1",
          PORT: "0",
          AGENT_NAME: "tracer",
          USER_ENTRY_POINT: join(codeDir, "agent.mjs"),
          RUNAGENTS_USER_CODE_DIR: codeDir,
          TOOL_URL_LEDGER: egress,
          LLM_GATEWAY_URL: `${platform.url}/gateway/${token}/v1`,
          GOVERNANCE_URL: `${platform.url}/internal/${token}`,
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        },
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    agentUrl = await new Promise<string>((resolveUrl, reject) => {
      let buffered = "";
      agent.once("exit", (code) => reject(new Error(`the agent exited (${code}): ${buffered}`)));
      agent.stderr?.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        const line = buffered.split("\n").find((l) => l.includes('"runtime_starting"'));
        if (line) resolveUrl(`http://127.0.0.1:${JSON.parse(line).port}`);
      });
    });
    platform.services.agents?.attachExternal({ workspace: "default", name: "tracer" }, agentUrl);
  });

  after(async () => {
    agent?.kill("SIGTERM");
    if (agent && agent.exitCode === null) await once(agent, "exit");
    await platform?.destroy();
    await tool?.close();
    collector?.server.close();
    if (codeDir) rmSync(codeDir, { recursive: true, force: true });
  });

  it("joins the caller, platform, agent runtime, egress and tool in one trace, paused and resumed", async () => {
    const paused = await call(`${platform.api}/agents/tracer/invoke`, {
      method: "POST",
      headers: {
        ...platform.authHeaders,
        "Content-Type": "application/json",
        traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
      },
      body: JSON.stringify({ message: "charge 5", user_id: "alice@example.com" }),
    });
    assert.equal(paused.status, 200, JSON.stringify(paused.json));
    const runId = paused.json.run_id as string;
    assert.equal(paused.json.approval_required?.code ?? "APPROVAL_REQUIRED", "APPROVAL_REQUIRED");
    const requestId = paused.json.approval_required.request_id as string;
    const approved = await platform.call("POST", `/approvals/requests/${requestId}/approve`);
    assert.equal(approved.status, 200, approved.text);
    await waitFor(async () => {
      const run = (await platform.call("GET", `/runs/${runId}`)).json as { status: string };
      return run.status === "COMPLETED";
    }, "the resumed run to complete");
    assert.equal(tool.received.length, 1, "the tool is called once, after the approval");

    // Everything ended: wait until the spans the tree needs have been exported.
    const find = (predicate: (s: Span) => boolean) =>
      collector.spans.filter((s) => s.traceId === TRACE_ID && predicate(s));
    await waitFor(async () => {
      await platform.services.tracing?.flush();
      return (
        find((s) => s.name === "execute_tool ledger").length === 2 &&
        find((s) => s.service === "tracer-agent" && s.kind === SERVER).length === 2
      );
    }, "the exported spans");

    const run = collector.spans.filter((s) => s.traceId === TRACE_ID);
    const byId = new Map(run.map((s) => [s.spanId, s]));
    const parentOf = (span: Span) => byId.get(span.parentSpanId ?? "");

    const [invoke] = find((s) => s.name === "invoke_agent tracer" && s.service === "runagents-platform-test");
    assert.ok(invoke, "the platform's invoke span");
    assert.equal(invoke.kind, SERVER);
    assert.equal(invoke.parentSpanId, CALLER_SPAN);
    assert.deepEqual(
      [
        invoke.attrs["gen_ai.operation.name"],
        invoke.attrs["runagents.run.id"],
        invoke.attrs["runagents.agent"],
      ],
      ["invoke_agent", runId, "tracer"],
    );
    assert.equal(invoke.attrs["http.route"], "/api/v1/agents/:name/invoke");

    const handlers = find((s) => s.service === "tracer-agent" && s.kind === SERVER);
    const first = handlers.find((s) => s.name === "invoke_agent tracer");
    const again = handlers.find((s) => s.name === "resume_agent tracer");
    assert.ok(first && again, "the runtime's invoke and resume spans");
    assert.equal(first.parentSpanId, invoke.spanId);
    assert.equal(first.attrs["runagents.run.id"], runId);

    const resume = find((s) => s.name === "resume_agent tracer" && s.kind === CLIENT)[0];
    assert.ok(resume, "the platform's resume span");
    assert.equal(resume.parentSpanId, invoke.spanId, "the resume continues the run's trace");
    assert.deepEqual(
      resume.links?.map((l) => l.spanId),
      [invoke.spanId],
    );
    assert.equal(again.parentSpanId, resume.spanId);

    const calls = find((s) => s.name === "execute_tool ledger");
    const held = calls.find((s) => parentOf(s) === first);
    const made = calls.find((s) => parentOf(s) === again);
    assert.ok(held && made, "each tool call is a child of the runtime span that made it");
    for (const span of [held, made]) {
      assert.equal(span.attrs["gen_ai.operation.name"], "execute_tool");
      assert.equal(span.attrs["gen_ai.tool.name"], "ledger");
      assert.equal(span.attrs["runagents.decision"], "approval_required");
      assert.equal(span.attrs["runagents.rule"], "tracer-policy#0");
      assert.equal(span.attrs["runagents.run.id"], runId);
      assert.equal(span.attrs["http.route"], "/egress/:token/:tool/*");
    }
    assert.deepEqual(
      held.events?.map((e) => e.name),
      ["approval_required"],
    );
    assert.equal(attrsOf(held.events?.[0]?.attributes)["runagents.approval.request_id"], requestId);
    assert.deepEqual(
      made.events?.map((e) => e.name),
      ["approval_granted"],
    );

    if (process.env.PRINT_TRACE) printTree(run, CALLER_SPAN);
    // The tool received the egress span as its parent: its own spans join the trace.
    assert.equal(tool.received[0]?.headers.traceparent, `00-${TRACE_ID}-${made.spanId}-01`);

    const exported = collector.bodies.join("\n");
    for (const secret of [TOOL_SECRET, "ra_agt_", platform.adminKey, '"amount"']) {
      assert.ok(!exported.includes(secret), `no ${secret.slice(0, 8)}... in any exported span`);
    }
    // Log lines written during a traced request carry its ids.
    const logged = platform.logs
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === "request" && l.path === "/api/v1/agents/tracer/invoke");
    assert.deepEqual([logged?.trace_id, logged?.span_id], [TRACE_ID, invoke.spanId]);
  });
  it("describes an LLM call through the gateway with the GenAI attributes, no key or prompt", async () => {
    const providerKey = "sk-provider-secret-77aa";
    const fake = await startFakeProvider((_req, res) =>
      sendJson(res, 200, {
        id: "chatcmpl-1",
        object: "chat.completion",
        created: 1700000000,
        model: "gpt-4o-mini",
        choices: [{ index: 0, message: { role: "assistant", content: "hello" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 21, completion_tokens: 4, total_tokens: 25 },
      }),
    );
    try {
      await addProvider(platform, {
        name: "oai",
        spec: { provider: "openai", endpoint: `${fake.url}/v1`, models: ["gpt-4o-mini"] },
        api_key: providerKey,
      });
      const { gateway } = await addAgent(platform, "chatty", [{ provider: "openai", model: "gpt-4o-mini" }]);
      const traceId = "0af7651916cd43dd8448eb211c80319c";
      const res = await fetch(`${gateway}/chat/completions`, {
        method: "POST",
        headers: { "Content-Type": "application/json", traceparent: `00-${traceId}-b7ad6b7169203331-01` },
        body: JSON.stringify({
          model: "gpt-4o-mini",
          messages: [{ role: "user", content: "a private prompt" }],
        }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.arrayBuffer();
      const span = await waitFor(async () => {
        await platform.services.tracing?.flush();
        return collector.spans.find((s) => s.traceId === traceId);
      }, "the gateway span");
      assert.equal(span.name, "chat gpt-4o-mini");
      assert.equal(span.parentSpanId, "b7ad6b7169203331");
      assert.deepEqual(
        [
          span.attrs["gen_ai.operation.name"],
          span.attrs["gen_ai.request.model"],
          span.attrs["gen_ai.provider.name"],
          Number(span.attrs["gen_ai.usage.input_tokens"]),
          Number(span.attrs["gen_ai.usage.output_tokens"]),
          span.attrs["runagents.agent"],
        ],
        ["chat", "gpt-4o-mini", "openai", 21, 4, "chatty"],
      );
      const exported = collector.bodies.join("\n");
      assert.ok(!exported.includes(providerKey) && !exported.includes("a private prompt"));
    } finally {
      await fake.close();
    }
  });
});
