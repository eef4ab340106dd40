/**
 * @module store/read-cache
 * The SQLite store's read-through cache of resource rows (by workspace, kind and name, misses
 * included), of short resource lists (by workspace and kind), of API keys by hash and of the
 * API-key count: the governed egress, the gateway and every authenticated request read the same
 * few rows (agent token, tool, agent, policies, usage, the caller's key, identity providers).
 *
 * Consistency guarantee:
 * - Writes made through the same store (same connection) update or drop their entries in the
 *   same synchronous step as the write, so a read that follows a write always sees it.
 * - A commit by any other connection to the same file (another process, or another store on
 *   the same file) is noticed through `PRAGMA data_version`, checked at most once per turn of
 *   the event loop: when it moved, everything cached is dropped. A read therefore never returns
 *   data older than the start of the current event-loop turn.
 * - Run rows (by id) are cached too: the governed egress resolves every call's run. Writes to
 *   `runs` the store makes knowingly (create, update, an append's `updated_at`) set or patch the
 *   cached row; any other statement that writes `runs` through the store's statement cache drops
 *   every cached run (the store guards such statements, see `sqlite.ts`).
 * - Rows are cached as stored (the JSON text): `getResource` parses on every read, so callers each
 *   get their own document and may change it freely; `readResource` shares one frozen record per
 *   cached row object (a changed row is a new object, so its record is new too).
 */

/** The cached form of one resource row; `doc` is the stored JSON text. */
export interface CachedRow {
  workspace: string;
  kind: string;
  name: string;
  doc: string;
  version: number;
  created_at: string;
  updated_at: string;
}

const DEFAULT_LIMIT = 10_000;
/** Documents larger than this (drafts, sources) are not worth holding in memory. */
const MAX_DOC_CHARS = 64 * 1024;

const keyOf = (ws: string, kind: string, name: string): string => `${ws}\0${kind}\0${name}`;

export class ReadCache {
  readonly #rows = new Map<string, CachedRow | null>();
  readonly #lists = new Map<string, readonly CachedRow[]>();
  readonly #apiKeys = new Map<string, unknown>();
  readonly #runs = new Map<string, unknown>();
  #apiKeyCount: number | undefined;
  #dataVersion: number | undefined;
  #checked = false;
  readonly #endTurn = (): void => {
    this.#checked = false;
  };

  /** `dataVersion` reads `PRAGMA data_version` of the store's connection. */
  constructor(
    private readonly dataVersion: () => number,
    private readonly limit = DEFAULT_LIMIT,
  ) {}

  /** The cached row (`null`: known not to exist), or undefined when nothing is cached. */
  getRow(ws: string, kind: string, name: string): CachedRow | null | undefined {
    this.#revalidate();
    return this.#rows.get(keyOf(ws, kind, name));
  }

  /** Remembers what a read found (`null` for a miss). */
  setRow(ws: string, kind: string, name: string, row: CachedRow | null): void {
    const key = keyOf(ws, kind, name);
    if (row && row.doc.length > MAX_DOC_CHARS) {
      this.#rows.delete(key);
      return;
    }
    if (!this.#rows.has(key) && this.#rows.size >= this.limit) {
      const oldest = this.#rows.keys().next();
      if (!oldest.done) this.#rows.delete(oldest.value);
    }
    this.#rows.set(key, row);
  }

  /** Drops one row (after a write whose outcome is not known here), and its kind's list. */
  forgetRow(ws: string, kind: string, name: string): void {
    this.#rows.delete(keyOf(ws, kind, name));
    this.#lists.delete(keyOf(ws, kind, ""));
  }

  /** A whole (small) list of one kind in one workspace, as `listResources` read it. */
  getList(ws: string, kind: string): readonly CachedRow[] | undefined {
    this.#revalidate();
    return this.#lists.get(keyOf(ws, kind, ""));
  }

  setList(ws: string, kind: string, rows: readonly CachedRow[]): void {
    if (rows.length > 64 || rows.some((row) => row.doc.length > MAX_DOC_CHARS)) return;
    this.#lists.set(keyOf(ws, kind, ""), rows);
  }

  /** The API key stored under a token hash (`null`: none), or undefined when not cached. */
  getApiKey(hash: string): unknown {
    this.#revalidate();
    return this.#apiKeys.get(hash);
  }

  setApiKey(hash: string, key: unknown): void {
    if (this.#apiKeys.size >= 1000) this.#apiKeys.clear();
    this.#apiKeys.set(hash, key);
  }

  /** After any write to API keys. */
  forgetApiKeys(): void {
    this.#apiKeys.clear();
    this.#apiKeyCount = undefined;
  }

  get apiKeyCount(): number | undefined {
    this.#revalidate();
    return this.#apiKeyCount;
  }

  set apiKeyCount(count: number | undefined) {
    this.#apiKeyCount = count;
  }

  /** The cached row of run `id` (any workspace), or undefined. */
  getRun(id: string): unknown {
    this.#revalidate();
    return this.#runs.get(id);
  }

  setRun(id: string, row: unknown): void {
    if (!this.#runs.has(id) && this.#runs.size >= this.limit) {
      const oldest = this.#runs.keys().next();
      if (!oldest.done) this.#runs.delete(oldest.value);
    }
    this.#runs.set(id, row);
  }

  /** A cached run row without revalidating (to patch it after the store's own write). */
  peekRun(id: string): unknown {
    return this.#runs.get(id);
  }

  /** After a write to `runs` whose effect is not known here. */
  forgetRuns(): void {
    this.#runs.clear();
  }

  clear(): void {
    this.#runs.clear();
    this.#rows.clear();
    this.#lists.clear();
    this.forgetApiKeys();
  }

  get size(): number {
    return this.#rows.size;
  }

  /** Once per event-loop turn: drop everything when another connection has committed. */
  #revalidate(): void {
    if (this.#checked) return;
    this.#checked = true;
    setImmediate(this.#endTurn);
    const version = this.dataVersion();
    if (version !== this.#dataVersion) {
      this.#dataVersion = version;
      this.clear();
    }
  }
}
