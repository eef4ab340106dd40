/** Small shared pieces: loading data, showing API errors in words, cards, times. */
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, nextStep } from "../api.js";

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` on mount and when `deps` change; `reload` runs it again (e.g. on a live event). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => live && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** An error from the API (or anything thrown), in words, with what to do next. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const next = error instanceof ApiError ? error.next : nextStep(0);
  return (
    <div class="error" role="alert">
      <strong>{message}</strong> <span>{next}</span>
    </div>
  );
}

export function Page({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section class="page" aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">{title}</h1>
        {actions ? <div class="actions">{actions}</div> : null}
      </header>
      {children}
    </section>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function StatusPill({ status }: { status: string }) {
  const tone = /FAILED|REJECTED|deny|DENIED|Budget reached|Unavailable/i.test(status)
    ? "bad"
    : /COMPLETED|Running|serving|APPROVED|allow|healthy|Available|Within budget/i.test(status)
      ? "ok"
      : /PAUSED|PENDING|approval|Near/i.test(status)
        ? "warn"
        : "neutral";
  return <span class={`pill ${tone}`}>{status}</span>;
}

export const when = (iso: string | undefined | null): string => {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
};

/** Dollars; fractions of a cent keep two significant digits (one playground call costs $0.000005). */
export const usd = (value: number): string =>
  value.toLocaleString(
    "en-US",
    value > 0 && value < 0.01
      ? { style: "currency", currency: "USD", maximumSignificantDigits: 2 }
      : { style: "currency", currency: "USD", maximumFractionDigits: 2 },
  );

/** A table that may scroll sideways on a phone: a focusable region, so keyboards can scroll it. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus (WCAG 2.1.1)
    <section class="table-wrap" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}
