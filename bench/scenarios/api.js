// Scenario `api`: the platform's management API (GET /api/v1/tools with 20 tools, and a run
// event append) against a bare node:http server answering the same JSON, measured in one run.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPlatformConfig, silentLogger, startPlatform } from "../../packages/platform/dist/src/index.js";
import { load, printTable } from "../load.js";

export async function run({ requests, concurrency }) {
  const dataDir = mkdtempSync(join(tmpdir(), "runagents-bench-"));
  const platform = await startPlatform(
    { ...loadPlatformConfig([], {}), port: 0, dataDir },
    { logger: silentLogger },
  );
  const api = `${platform.url}/api/v1`;
  // Every /api/v1 call presents the first admin key (the platform issues it on an empty store).
  const key = { "X-RunAgents-API-Key": platform.bootstrapKey ?? "" };
  const post = async (path, body) => {
    const res = await fetch(`${api}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...key },
      body: JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return res;
  };
  for (let i = 0; i < 20; i++)
    await post("/tools", {
      name: `tool-${i}`,
      spec: { connection: { baseUrl: `https://tool-${i}.example` } },
    });
  const listed = await fetch(`${api}/tools`, { headers: key });
  if (!listed.ok) throw new Error(`GET /tools: ${listed.status}`);
  const listBody = await listed.text();
  const run = await (await post("/runs", { agent_id: "bench", user_id: "bench" })).json();

  const bare = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.setHeader("Content-Type", "application/json");
      res.end(listBody);
    });
  });
  await new Promise((r) => bare.listen(0, "127.0.0.1", r));
  const bareUrl = `http://127.0.0.1:${bare.address().port}/tools`;

  const opts = { requests, concurrency };
  const baseline = await load(bareUrl, opts);
  const list = await load(`${api}/tools`, { ...opts, headers: key });
  const eventBody = JSON.stringify({ type: "TOOL_REQUEST", actor: "bench", data: { tool: "echo" } });
  const append = await load(`${api}/runs/${run.id}/events`, {
    ...opts,
    method: "POST",
    headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(eventBody), ...key },
    body: eventBody,
  });
  printTable(`api: ${requests} requests, ${concurrency} concurrent, loopback`, [
    ["baseline node:http (same JSON)", baseline],
    ["GET /api/v1/tools (20 tools)", list],
    ["POST /runs/{id}/events", append],
  ]);
  bare.close();
  await platform.close();
  rmSync(dataDir, { recursive: true, force: true });
  return { baseline, list_tools: list, append_event: append };
}
