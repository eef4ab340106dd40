/**
 * Calls to the platform's public /api/v1 (same origin), with the session's API key. Every
 * failure becomes an `ApiError` that says what happened and what to do next.
 */
import { apiKey, idToken, signOut, workspace } from "./session.js";

export const API = "/api/v1";

/** The API base of the current workspace: `/api/v1` for `default`, else `/api/v1/workspaces/<ws>`. */
export const apiBase = (): string =>
  workspace.value === "default" ? API : `${API}/workspaces/${encodeURIComponent(workspace.value)}`;

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly next: string,
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function nextStep(status: number): string {
  if (status === 0) return "Check that the platform is running (npm start), then try again.";
  if (status === 401) {
    return idToken.value
      ? "This needs a workspace API key: sign out and sign in with one."
      : "Sign in again with a valid API key.";
  }
  if (status === 403) return "Use an API key whose role allows this, or ask an admin.";
  if (status === 404) return "It may have been deleted: reload the list.";
  if (status === 409) return "Someone changed it meanwhile: reload and try again.";
  if (status >= 500) return "See the platform's log for the request id, then try again.";
  return "Correct the input and try again.";
}

export async function request(
  method: string,
  path: string,
  body?: unknown,
  accept = "application/json",
): Promise<Response> {
  const headers: Record<string, string> = idToken.value
    ? { Authorization: `Bearer ${idToken.value}`, Accept: accept }
    : { "X-RunAgents-API-Key": apiKey.value, Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(`${apiBase()}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError("The platform cannot be reached.", 0, nextStep(0));
  }
  if (res.ok) return res;
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = (await res.json()) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  const said = typeof parsed?.error === "string" ? parsed.error : `${res.status} ${res.statusText}`;
  if (res.status === 401 && sessionEnded(said)) signOut(said);
  throw new ApiError(said, res.status, nextStep(res.status), parsed);
}

/**
 * Whether a 401 ends the session: always for an API key; for a signed-in person only when the
 * token itself was refused (not when a screen needs an API key they do not have).
 */
const sessionEnded = (said: string): boolean =>
  !idToken.value || /^(invalid end-user token|end-user token required)/.test(said);

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(method, path, body);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string): Promise<T> => api<T>("GET", path);
export const post = <T>(path: string, body: unknown = {}): Promise<T> => api<T>("POST", path, body);

/** Checks a key before the console keeps it: the words to show when it is refused, else "". */
export async function checkKey(key: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${API}/agents`, {
      headers: { "X-RunAgents-API-Key": key, Accept: "application/json" },
    });
  } catch {
    return `The platform cannot be reached. ${nextStep(0)}`;
  }
  if (res.ok) return "";
  if (res.status === 401) {
    return "That API key was refused: it is not a valid key for this platform, or it has expired. Keys start with ra_ws_; the local admin key is the apiKey in ~/.runagents/config.json.";
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  return `${body.error ?? `The platform answered ${res.status}`}. ${nextStep(res.status)}`;
}
