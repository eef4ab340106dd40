/**
 * @module api/routes/probe
 * Reachability probe for tools: reachable unless the network fails or the answer is a 5xx
 * (401 and 403 mean the host is there).
 */

export interface ProbeResult {
  reachable: boolean;
  status_code: number;
  latency_ms: number;
  error?: string;
}

export async function probeUrl(url: string, timeoutMs = 5000): Promise<ProbeResult> {
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: "GET",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    return {
      reachable: res.status < 500,
      status_code: res.status,
      latency_ms: Math.round(performance.now() - started),
    };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return {
      reachable: false,
      status_code: 0,
      latency_ms: Math.round(performance.now() - started),
      error: cause
        ? `network error: ${cause}`
        : (err as Error).name === "TimeoutError"
          ? "timed out"
          : "network error",
    };
  }
}
