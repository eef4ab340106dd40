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

export async function startTestPlatform(): Promise<TestPlatform> {
  const helper = new URL("../test/helpers/platform.js", import.meta.resolve("@runagents/platform"));
  const module = (await import(helper.href)) as { startTestPlatform: () => Promise<TestPlatform> };
  return module.startTestPlatform();
}
