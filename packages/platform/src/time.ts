/** RFC 3339 UTC timestamps with millisecond precision: they sort lexically, as the clients expect. */
export function nowIso(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}

/** The last reading of {@link nowIso}: the events of one millisecond share its string. */
let lastMs = Number.NaN;
let lastIso = "";
