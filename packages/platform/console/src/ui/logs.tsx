/** An agent's log, followed live (`GET /agents/{name}/logs?follow=true`): new lines as they are written. */
import { useEffect, useState } from "preact/hooks";
import { followSse } from "../sse.js";
import { ErrorNote } from "./parts.js";

const KEEP = 500;

export function LiveLogs({ agent, tail = 200 }: { agent: string; tail?: number }) {
  const [lines, setLines] = useState<string[]>([]);
  const [state, setState] = useState("Connecting…");
  const [error, setError] = useState<unknown>(undefined);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    setLines([]);
    setError(undefined);
    setState("Connecting…");
    const stop = new AbortController();
    const path = `/agents/${encodeURIComponent(agent)}/logs?follow=true&tail=${tail}`;
    followSse(
      path,
      (data) => {
        if (data.type === "line") {
          setState("Following");
          setLines((previous) => [...previous, String(data.line)].slice(-KEEP));
        } else if (data.type === "end") {
          setState(`Stopped: ${String(data.reason)}`);
        }
      },
      stop.signal,
    ).then(
      () => setState((s) => (s.startsWith("Stopped") || stop.signal.aborted ? s : "Stopped")),
      (err: unknown) => {
        setState("Stopped");
        setError(err);
      },
    );
    setState("Following");
    return () => stop.abort();
  }, [agent, tail, attempt]);
  return (
    <>
      <p class="muted small" data-testid="logs-state">
        {state}{" "}
        {state.startsWith("Stopped") ? (
          <button type="button" class="link" onClick={() => setAttempt((n) => n + 1)}>
            Follow again
          </button>
        ) : null}
      </p>
      <ErrorNote error={error} />
      <pre class="logs" data-testid="agent-logs" aria-live="off">
        {lines.join("\n") || "No log lines yet."}
      </pre>
    </>
  );
}
