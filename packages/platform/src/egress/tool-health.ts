/**
 * @module egress/tool-health
 * Tool health. After a tool is stored (`POST /tools`, the starter kit) its host is probed in the
 * background with a TCP connection to the base URL's host and port (no HTTP request, so the
 * tool's service sees no call and no credential is sent), within {@link TOOL_PROBE_TIMEOUT_MS};
 * `status` becomes `{phase: "Available" | "Unavailable", message, last_probe_time,
 * probe_latency_ms}`. Reads wait for the probe of a tool still `Pending` and re-probe a stale
 * status (`probe-tracker.ts`). `POST /tools/{name}/test` stays the explicit HTTP check.
 *
 * A base URL admitted only through `spec.allowInternalTarget` (a cloud metadata address, the
 * platform's own API) is never probed in the background: its status says so.
 */
import { connect } from "node:net";
import type { Logger } from "../log.js";
import { probeSettled, trackProbe, UNPROBED_STATUS, withFreshStatus } from "../probe-tracker.js";
import type { Doc, ResourceRecord, Store } from "../store/store.js";
import { nowIso } from "../time.js";
import { isObject } from "../validate.js";
import { refusedBaseUrl } from "./targets.js";

export const TOOL_PROBE_TIMEOUT_MS = 2000;

export interface ToolHealthDeps {
  store: Store;
  log: Logger;
  /** The platform's own root URL (a tool there is the platform itself). */
  baseUrl(): string;
}

export const NOT_PROBED_MESSAGE =
  "not probed in the background: an internal target (allowInternalTarget); check it with POST /tools/{name}/test";

/** Starts the probe of a just-stored tool; never throws. */
export function scheduleToolProbe(deps: ToolHealthDeps, record: ResourceRecord): void {
  if (!probeable(deps, record)) return;
  trackProbe(deps, record, () => probeAndStore(deps.store, record));
}

/** Resolves when every probe of the tool started so far has stored (or skipped) its result. */
export async function toolProbeSettled(store: Store, ws: string, name: string): Promise<void> {
  await probeSettled(store, ws, "tool", name);
}

/** The tools as a reader should see them (see `withFreshStatus` in `probe-tracker.ts`). */
export function toolsWithFreshStatus(
  deps: ToolHealthDeps,
  records: readonly ResourceRecord[],
): Promise<ResourceRecord[]> {
  return withFreshStatus(
    deps,
    records,
    (record) => scheduleToolProbe(deps, record),
    (record) => probeable(deps, record),
  );
}

/** The status a stored tool starts with: `Pending`, or why it will not be probed. */
export function initialToolStatus(deps: Pick<ToolHealthDeps, "baseUrl">, baseUrl: string) {
  return refusedBaseUrl(baseUrl, deps.baseUrl())
    ? { phase: "Pending", message: NOT_PROBED_MESSAGE }
    : { ...UNPROBED_STATUS };
}

function probeable(deps: ToolHealthDeps, record: ResourceRecord): boolean {
  const url = toolBaseUrl(record.doc);
  return url !== "" && refusedBaseUrl(url, deps.baseUrl()) === undefined;
}

/** The tool document's `spec.connection.baseUrl` ("" when missing). */
export function toolBaseUrl(doc: Doc): string {
  const spec = isObject(doc.spec) ? doc.spec : {};
  const connection = isObject(spec.connection) ? spec.connection : {};
  return typeof connection.baseUrl === "string" ? connection.baseUrl : "";
}

async function probeAndStore(store: Store, record: ResourceRecord): Promise<void> {
  const started = performance.now();
  const outcome = await tcpProbe(toolBaseUrl(record.doc), TOOL_PROBE_TIMEOUT_MS);
  const status = {
    phase: outcome.reachable ? "Available" : "Unavailable",
    message: outcome.message,
    last_probe_time: nowIso(),
    probe_latency_ms: Math.round(performance.now() - started),
  };
  const current = await store.getResource(record.workspace, "tool", record.name);
  if (!current || current.version !== record.version) return;
  await store.putResource(
    record.workspace,
    "tool",
    record.name,
    { ...current.doc, status },
    { expectedVersion: current.version },
  );
}

/** Whether a TCP connection to the URL's host and port opens within `timeoutMs`. */
export function tcpProbe(
  baseUrl: string,
  timeoutMs: number,
): Promise<{ reachable: boolean; message: string }> {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return Promise.resolve({ reachable: false, message: `invalid base URL "${baseUrl}"` });
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
  const where = `${url.hostname}:${port}`;
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reachable: boolean, message: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ reachable, message });
    };
    const timer = setTimeout(
      () => done(false, `no connection to ${where} within ${timeoutMs / 1000} s`),
      timeoutMs,
    );
    socket.once("connect", () => done(true, `reachable: ${where} accepts connections`));
    socket.once("error", (err: NodeJS.ErrnoException) =>
      done(false, `network error: ${err.code ?? err.message} (${where})`),
    );
  });
}
