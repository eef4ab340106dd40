/** RFC 3339 UTC timestamps with millisecond precision: they sort lexically, as the clients expect. */
export const nowIso = (): string => new Date().toISOString();
