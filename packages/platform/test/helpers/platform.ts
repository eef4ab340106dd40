/**
 * Test helper: a real platform on an ephemeral port with a temporary data dir, its log lines
 * captured, and a small fetch wrapper for raw HTTP.
 *
 * With RUNAGENTS_TEST_STORE=postgres every platform started here keeps its store in a fresh
 * PostgreSQL schema (test/helpers/stores.ts), dropped by `destroy()`: the suite then runs on the
 * PostgreSQL store. `store: "postgres"` does the same for one platform (suites parameterised over
 * `platformStores()`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashToken, issueApiKey } from "../../src/api/auth.js";
import { loadPlatformConfig, type PlatformConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { type RunningPlatform, startPlatform } from "../../src/platform.js";
import { type BackendName, freshSchema, storeBackends } from "./stores.js";

export interface TestPlatform extends RunningPlatform {
  dataDir: string;
  /** Every JSON log line the platform printed. */
  logs: string[];
  /** Base for API calls: `${url}/api/v1`. */
  api: string;
  /**
   * The admin API key tests authenticate with (the one the platform created at first start).
   * `call()` sends it unless the caller passes its own `X-RunAgents-API-Key` or `Authorization`.
   */
  adminKey: string;
  /** The verified subject recorded for `adminKey`'s decisions: `key:<id>`. */
  adminSubject: string;
  /** Headers that authenticate as `adminKey`, for raw fetch calls. */
  authHeaders: Record<string, string>;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  /** Stop and remove the data dir. */
  destroy(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  json: unknown;
}

const adminKeys = new Map<string, string>();
/** Per data dir under RUNAGENTS_TEST_STORE=postgres: its schema, kept across restarts. */
const schemas = new Map<string, Awaited<ReturnType<typeof freshSchema>>>();

/** The stores a suite can run its platform on, with why one is skipped (PostgreSQL not answering). */
export async function platformStores(): Promise<{ name: BackendName; skip: string | undefined }[]> {
  return (await storeBackends()).map(({ name, skip }) => ({ name, skip }));
}

async function storeConfig(
  dataDir: string,
  store: BackendName | undefined,
): Promise<Partial<PlatformConfig>> {
  if ((store ?? process.env.RUNAGENTS_TEST_STORE) !== "postgres") return {};
  let schema = schemas.get(dataDir);
  if (!schema) {
    schema = await freshSchema();
    schemas.set(dataDir, schema);
  }
  return { databaseUrl: schema.url };
}

export async function startTestPlatform(
  options: {
    dataDir?: string;
    env?: Record<string, string>;
    config?: Partial<PlatformConfig>;
    /** The store to run on (a fresh PostgreSQL schema per data dir). @default RUNAGENTS_TEST_STORE, else SQLite */
    store?: BackendName;
  } = {},
): Promise<TestPlatform> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "runagents-platform-test-"));
  const config = {
    ...loadPlatformConfig([], options.env ?? {}),
    port: 0,
    dataDir,
    ...(await storeConfig(dataDir, options.store)),
    ...options.config,
  };
  const logs: string[] = [];
  const running = await startPlatform(config, {
    logger: createLogger({ level: "debug", sink: (l) => logs.push(l) }),
  });
  const api = `${running.url}/api/v1`;
  // A restarted platform keeps its keys and creates none: reuse the one its first start made.
  const adminKey =
    running.bootstrapKey ??
    adminKeys.get(dataDir) ??
    (await issueApiKey(running.store, "default", "test-admin")).token;
  adminKeys.set(dataDir, adminKey);
  const adminSubject = `key:${(await running.store.findApiKeyByHash(hashToken(adminKey)))?.id}`;
  const authHeaders: Record<string, string> = { "X-RunAgents-API-Key": adminKey };
  return {
    ...running,
    dataDir,
    logs,
    api,
    adminKey,
    adminSubject,
    authHeaders,
    call: (method, path, body, headers = {}) => {
      const ownAuth = Object.keys(headers).some((h) => /^(x-runagents-api-key|authorization)$/i.test(h));
      const sent = ownAuth ? headers : { ...authHeaders, ...headers };
      return request(path.startsWith("http") ? path : `${api}${path}`, method, body, sent);
    },
    async destroy() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
      await schemas.get(dataDir)?.drop();
      schemas.delete(dataDir);
    },
  };
}

export async function request(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const init: RequestInit = { method, headers: { "Content-Type": "application/json", ...headers } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
