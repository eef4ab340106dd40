/**
 * Test fixture for OAuth consent: a real platform, a tool server, the fake OAuth provider, and an
 * agent (`mail-agent`) allowed to call the delegated-user tool `mail`. Every answer the helpers
 * see is kept, so a test can prove that no token leaked into one (or into a log line).
 */
import { startTestPlatform, type TestPlatform } from "../helpers/platform.js";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  delegatedToolSpec,
  type FakeProvider,
  startFakeProvider,
} from "./fake-oauth.js";
import { type CallResult, call, events, governedAgent, startToolServer, type ToolServer } from "./helpers.js";

export interface ConsentFixture {
  platform: TestPlatform;
  tool: ToolServer;
  provider: FakeProvider;
  /** A call to the `mail` tool through the egress (the agent also sends a forged Authorization). */
  get(path: string, headers?: Record<string, string>): Promise<CallResult>;
  /** `get` in a new run of `mail-agent` for `user` ("" for a run without an end user). */
  getAs(user: string, path: string, headers?: Record<string, string>): Promise<CallResult>;
  api(method: string, path: string, body?: unknown): Promise<CallResult>;
  /** A browser-like GET of a full URL (the callback). */
  open(url: string): Promise<CallResult>;
  consents(): Promise<any[]>;
  /** The Authorization header of the tool's last request. */
  bearer(): string | undefined;
  /** The answers, run events and log lines that contain one of `secrets`. */
  leaks(secrets: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
}

export async function startConsentFixture(): Promise<ConsentFixture> {
  const platform = await startTestPlatform();
  const tool = await startToolServer();
  const provider = await startFakeProvider();
  const { egress } = await governedAgent(platform, {
    agent: "mail-agent",
    tool: {
      name: "mail",
      spec: delegatedToolSpec(tool.url, provider),
      credentials: { client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
    },
    rules: [{ permission: "allow" }],
  });
  const seen: string[] = [];
  const keep = (res: CallResult): CallResult => {
    seen.push(res.text);
    return res;
  };
  const api = async (method: string, path: string, body?: unknown) =>
    keep((await platform.call(method, path, body)) as CallResult);
  return {
    platform,
    tool,
    provider,
    get: async (path, headers = {}) =>
      keep(await call(`${egress}${path}`, { headers: { Authorization: "Bearer forged", ...headers } })),
    async getAs(user, path, headers = {}) {
      const run = await platform.store.createRun({
        workspace: "default",
        agentId: "mail-agent",
        userId: user,
      });
      return keep(
        await call(`${egress}${path}`, {
          headers: { Authorization: "Bearer forged", "X-Run-ID": run.id, ...headers },
        }),
      );
    },
    api,
    open: async (url) => keep(await call(url)),
    consents: async () => (await api("GET", "/consents")).json,
    bearer: () => tool.received.at(-1)?.headers.authorization,
    async leaks(secrets) {
      const texts = [...seen];
      for (const run of (await api("GET", "/runs?status=RUNNING,PAUSED,COMPLETED,FAILED")).json) {
        texts.push(JSON.stringify(await events(platform, run.id)));
      }
      texts.push(...platform.logs);
      return texts.filter((text) => secrets.some((secret) => text.includes(secret)));
    },
    async close() {
      await platform.destroy();
      await tool.close();
      await provider.close();
    },
  };
}
