import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CredentialInjector } from "../../src/egress/credentials.js";
import { toolInfo } from "../../src/governance/tool-info.js";
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import { call, events, governedAgent, newRun, startToolServer, type ToolServer } from "./helpers.js";

const API_KEY = "sk-live-SECRET-4f9a1c";
const CLIENT_SECRET = "client-SECRET-77d0";

describe("egress: credential injection", () => {
  let platform: TestPlatform;
  let tool: ToolServer;
  let tokens: ToolServer;
  let issued = 0;
  /** Every API response body the test saw, to prove no credential leaks into one. */
  const seen: string[] = [];

  before(async () => {
    platform = await startTestPlatform();
    tool = await startToolServer();
    tokens = await startToolServer();
    tokens.routes.set("/oauth/token", (req, res, body) => {
      const form = new URLSearchParams(body.toString("utf8"));
      const basic = Buffer.from(`client-1:${CLIENT_SECRET}`).toString("base64");
      const valid =
        req.headers.authorization === `Basic ${basic}` &&
        form.get("grant_type") === "client_credentials" &&
        form.get("scope") === "contacts.read contacts.write";
      issued++;
      res.writeHead(valid ? 200 : 401, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify(
          valid
            ? { access_token: `oauth-token-${issued}`, token_type: "bearer", expires_in: 3600 }
            : { error: "invalid_client" },
        ),
      );
    });
  });
  after(async () => {
    await platform.destroy();
    await tool.close();
    await tokens.close();
  });

  const recorded = async (url: string, init?: RequestInit) => {
    const res = await call(url, init);
    seen.push(res.text);
    return res;
  };

  it("puts an API key in the header the tool names, replacing the agent's", async () => {
    const { egress } = await governedAgent(platform, {
      agent: "key-agent",
      tool: {
        name: "keyed",
        spec: {
          connection: {
            baseUrl: tool.url,
            authentication: {
              type: "APIKey",
              apiKeyConfig: { in: "Header", name: "X-Api-Key", valuePrefix: "Key " },
            },
          },
        },
        credentials: { api_key: API_KEY },
      },
      rules: [{ permission: "allow" }],
    });
    const runId = await newRun(platform, "key-agent", "alice@example.com");
    const res = await recorded(`${egress}/v1/items`, {
      headers: { "X-Api-Key": "forged", "X-Run-ID": runId },
    });
    assert.equal(res.status, 200);
    const got = tool.received.at(-1);
    assert.equal(got?.headers["x-api-key"], `Key ${API_KEY}`);
    assert.equal(got?.headers["x-end-user-id"], "alice@example.com");
    seen.push(JSON.stringify(await events(platform, runId)));
  });

  it("puts an API key in the query, and records the URL without it", async () => {
    const { egress } = await governedAgent(platform, {
      agent: "query-agent",
      tool: {
        name: "queried",
        spec: {
          connection: {
            baseUrl: tool.url,
            authentication: { type: "APIKey", apiKeyConfig: { in: "Query", name: "api_key" } },
          },
        },
        credentials: { api_key: API_KEY },
      },
      rules: [{ permission: "allow" }],
    });
    const runId = await newRun(platform, "query-agent");
    const res = await recorded(`${egress}/search?q=x&api_key=forged`, { headers: { "X-Run-ID": runId } });
    assert.equal(res.status, 200);
    assert.equal(tool.received.at(-1)?.url, `/search?q=x&api_key=${API_KEY}`);
    const log = await events(platform, runId);
    assert.equal(
      log.find((e) => e.type === "TOOL_REQUEST").data.tool_url,
      `${tool.url}/search?q=x&api_key=forged`,
    );
    seen.push(JSON.stringify(log));
  });

  it("gets an OAuth2 client-credentials token, caches it, and fetches a new one after a 401", async () => {
    const { egress } = await governedAgent(platform, {
      agent: "oauth-agent",
      tool: {
        name: "oauthed",
        spec: {
          connection: {
            baseUrl: `${tool.url}/crm`,
            authentication: {
              type: "OAuth2",
              oauth2Config: {
                tokenUrl: `${tokens.url}/oauth/token`,
                scopes: ["contacts.read", "contacts.write"],
              },
            },
          },
        },
        credentials: { client_id: "client-1", client_secret: CLIENT_SECRET },
      },
      rules: [{ permission: "allow" }],
    });
    const start = issued;
    const runId = await newRun(platform, "oauth-agent");
    const headers = { Authorization: "Bearer forged", "X-Run-ID": runId };
    assert.equal((await recorded(`${egress}/a`, { headers })).status, 200);
    assert.equal((await recorded(`${egress}/b`, { headers })).status, 200);
    const [a, b] = tool.received.slice(-2);
    assert.equal(a?.headers.authorization, `Bearer oauth-token-${start + 1}`);
    assert.equal(b?.headers.authorization, `Bearer oauth-token-${start + 1}`, "cached");
    assert.equal(issued, start + 1);

    let rejectOnce = true;
    tool.routes.set("/crm/expired", (_req, res) => {
      res.writeHead(rejectOnce ? 401 : 200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ rejected: rejectOnce }));
      rejectOnce = false;
    });
    assert.equal((await recorded(`${egress}/expired`, { headers })).status, 401);
    assert.equal((await recorded(`${egress}/expired`, { headers })).status, 200);
    assert.equal(tool.received.at(-1)?.headers.authorization, `Bearer oauth-token-${start + 2}`);
    seen.push(JSON.stringify(await events(platform, runId)));
  });

  it("refreshes a cached token shortly before it expires", async () => {
    await platform.call("POST", "/tools", {
      name: "clocked",
      spec: {
        connection: {
          baseUrl: tool.url,
          authentication: {
            type: "OAuth2",
            oauth2Config: {
              tokenUrl: `${tokens.url}/oauth/token`,
              scopes: ["contacts.read", "contacts.write"],
            },
          },
        },
      },
      credentials: { client_id: "client-1", client_secret: CLIENT_SECRET },
    });
    let now = 1_000_000;
    const injector = new CredentialInjector(platform.store, () => now);
    const info = toolInfo((await platform.store.getResource("default", "tool", "clocked")) as any);
    const headers = async () => {
      const h: Record<string, string> = {};
      await injector.apply("default", info, h, new URL(tool.url));
      return h.authorization;
    };
    const first = await headers();
    now += 3_500_000;
    assert.equal(await headers(), first, "still valid 58 min later");
    now += 60_000;
    assert.notEqual(await headers(), first, "renewed within the last minute");
    assert.equal(injector.tokenRequests, 2);
  });

  it("answers 502 CREDENTIALS_UNAVAILABLE when credentials are missing or the token endpoint refuses", async () => {
    const missing = await governedAgent(platform, {
      agent: "nokey-agent",
      tool: {
        name: "nokey",
        spec: {
          connection: {
            baseUrl: tool.url,
            authentication: { type: "APIKey", apiKeyConfig: { in: "Header", name: "X-Api-Key" } },
          },
        },
      },
      rules: [{ permission: "allow" }],
    });
    const res = await recorded(`${missing.egress}/x`);
    assert.equal(res.status, 502);
    assert.deepEqual(res.json, {
      error: "credentials for tool nokey are unavailable: no api_key is stored for it",
      code: "CREDENTIALS_UNAVAILABLE",
      tool: "nokey",
    });
    const refused = await governedAgent(platform, {
      agent: "badclient-agent",
      tool: {
        name: "badclient",
        spec: {
          connection: {
            baseUrl: tool.url,
            authentication: {
              type: "OAuth2",
              oauth2Config: {
                tokenUrl: `${tokens.url}/oauth/token`,
                scopes: ["contacts.read", "contacts.write"],
              },
            },
          },
        },
        credentials: { client_id: "client-1", client_secret: "wrong" },
      },
      rules: [{ permission: "allow" }],
    });
    const denied = await recorded(`${refused.egress}/x`);
    assert.equal(denied.status, 502);
    assert.equal(
      denied.json.error,
      "credentials for tool badclient are unavailable: the token endpoint answered HTTP 401 (invalid_client)",
    );
  });

  it("never shows a credential in run events, API responses or logs", async () => {
    for (const path of [
      "/tools",
      "/tools/keyed",
      "/tools/oauthed",
      "/runs?status=COMPLETED,RUNNING,FAILED",
      "/approvals/requests",
    ]) {
      seen.push((await platform.call("GET", path)).text);
    }
    for (const run of (await platform.call("GET", "/runs?status=RUNNING")).json as any[]) {
      seen.push(JSON.stringify(await events(platform, run.id)));
    }
    const everything = [...seen, ...platform.logs].join("\n");
    for (const secret of [API_KEY, CLIENT_SECRET, "oauth-token-"]) {
      assert.equal(everything.includes(secret), false, `${secret} leaked`);
    }
    assert.ok(seen.length > 10 && platform.logs.length > 10, "there was something to search");
  });
});
