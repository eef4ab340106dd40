/**
 * Test helper: the platform's own `startTestPlatform()` (a real platform on port 0 with a temp data
 * dir), loaded at run time through the `@runagents/platform` workspace package. `runagents` is built
 * before the platform, so it cannot import the platform at compile time; the helper sits beside the
 * platform's compiled entry point (`dist/src/index.js` → `dist/test/helpers/platform.js`).
 */

export interface ApiResponse {
  status: number;
  text: string;
  json: unknown;
}

export interface TestPlatform {
  /** Root URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** `${url}/api/v1` */
  api: string;
  /** The admin API key to authenticate with. */
  adminKey: string;
  /** Headers that authenticate as `adminKey`, for raw fetch calls. */
  authHeaders: Record<string, string>;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  destroy(): Promise<void>;
}

/** Which store the platform keeps its data in: SQLite, or a fresh PostgreSQL schema. */
export type PlatformStore = "sqlite" | "postgres";

interface PlatformHelper {
  startTestPlatform(options?: { store?: PlatformStore }): Promise<TestPlatform>;
  platformStores(): Promise<{ name: PlatformStore; skip: string | undefined }[]>;
}

async function helper(): Promise<PlatformHelper> {
  const url = new URL("../test/helpers/platform.js", import.meta.resolve("@runagents/platform"));
  return (await import(url.href)) as PlatformHelper;
}

export async function startTestPlatform(options: { store?: PlatformStore } = {}): Promise<TestPlatform> {
  return (await helper()).startTestPlatform(options);
}

/**
 * The stores a suite runs its platform on (for a `describe` per store), each with why it is
 * skipped when it cannot run (PostgreSQL not answering).
 */
export async function platformStores(): Promise<{ name: PlatformStore; skip: string | undefined }[]> {
  return (await helper()).platformStores();
}
