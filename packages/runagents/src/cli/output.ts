/**
 * @module
 * Everything the CLI prints: tables that fit the terminal, `Label:  value` detail views, JSON, and
 * colour (only on a TTY, never with `NO_COLOR`).
 */

export interface Writable {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export type Style = "bold" | "dim" | "red" | "green" | "yellow" | "cyan";

const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};

/** Colour is used on a TTY unless `NO_COLOR` is set (to anything) or `TERM=dumb`. */
export function useColor(stream: Writable, env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== "dumb";
}

/** `value` shortened to `width` characters, ending in `…` when cut. */
export function truncateCell(value: string, width: number): string {
  if (value.length <= width) return value;
  if (width <= 1) return "…".slice(0, width);
  return `${value.slice(0, width - 1)}…`;
}

/** Headers as tablewriter renders them: upper case, `_` as a space. */
function header(text: string): string {
  return text.toUpperCase().replaceAll("_", " ");
}

const NUMERIC = /^[-+]?\$?\d[\d,]*(\.\d+)?%?$/;
const MIN_WIDTH = 4;
const SEPARATOR = " | ";

/**
 * Column widths that fit `maxWidth` (including separators): while the table is too wide, the widest
 * column gives up one character, down to {@link MIN_WIDTH}.
 */
export function fitWidths(natural: readonly number[], maxWidth: number): number[] {
  const widths = [...natural];
  const total = (): number => widths.reduce((a, b) => a + b, 0) + SEPARATOR.length * (widths.length - 1);
  while (total() > maxWidth) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      if ((widths[i] ?? 0) > MIN_WIDTH && (widest < 0 || (widths[i] ?? 0) > (widths[widest] ?? 0)))
        widest = i;
    }
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  return widths;
}

/** A single line: control characters (newlines, tabs) become spaces. */
function oneLine(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: flattening control characters is the point
  return value.replace(/[\u0000-\u001f\u007f]+/g, " ");
}

export class Output {
  readonly color: boolean;
  readonly #stream: Writable;
  readonly #env: Readonly<Record<string, string | undefined>>;

  constructor(stream: Writable, env: Readonly<Record<string, string | undefined>>) {
    this.#stream = stream;
    this.#env = env;
    this.color = useColor(stream, env);
  }

  /** The width tables must fit: the terminal's columns, else `COLUMNS`, else unlimited. */
  get width(): number {
    const columns = this.#stream.columns ?? Number(this.#env.COLUMNS);
    return Number.isFinite(columns) && columns > 0 ? columns : Number.POSITIVE_INFINITY;
  }

  paint(style: Style, text: string): string {
    if (!this.color || text === "") return text;
    const [open, close] = CODES[style];
    return `\u001b[${open}m${text}\u001b[${close}m`;
  }

  /** Colour for a status word: green when healthy/done, red when failed, yellow when waiting. */
  status(text: string): string {
    const s = text.toLowerCase();
    if (
      /^(running|available|completed|approved|granted|ready|yes|healthy|active|valid|applied|ok|pass)$/.test(
        s,
      )
    )
      return this.paint("green", text);
    if (/(fail|error|rejected|unavailable|unreachable|invalid|blocked|unhealthy|expired|^no$)/.test(s))
      return this.paint("red", text);
    if (/(pending|paused|waiting|near|building|starting)/.test(s)) return this.paint("yellow", text);
    return text;
  }

  /** Raw text; waits for the stream to drain when it asks to (large exports). */
  async write(text: string): Promise<void> {
    if (this.#stream.write(text) !== false) return;
    const stream = this.#stream as Writable & { once?: (event: string, listener: () => void) => unknown };
    if (typeof stream.once === "function")
      await new Promise<void>((resolve) => stream.once?.("drain", resolve));
  }

  line(text = ""): void {
    this.#stream.write(`${text}\n`);
  }

  /** JSON on one line, or indented with `indent`. */
  json(value: unknown, indent = false): void {
    this.#stream.write(
      `${JSON.stringify(value === undefined ? null : value, null, indent ? 2 : undefined)}\n`,
    );
  }

  /**
   * A table: headers, a dashed rule, one line per row, columns separated by ` | `. Numeric cells are
   * right-aligned. Wide cells are cut with `…` so the table fits {@link width}; `statusColumn` cells
   * are coloured by {@link status}.
   */
  table(headers: readonly string[], rows: readonly (readonly string[])[], statusColumn = -1): void {
    const cells = rows.map((row) => headers.map((_, i) => oneLine(row[i] ?? "")));
    const titles = headers.map(header);
    const natural = titles.map((t, i) => Math.max(t.length, ...cells.map((row) => (row[i] ?? "").length)));
    const widths = fitWidths(natural, this.width);
    const render = (row: readonly string[], isHeader: boolean): string =>
      row
        .map((value, i) => {
          const width = widths[i] ?? 0;
          const cut = truncateCell(value, width);
          const padded =
            !isHeader && NUMERIC.test(cut)
              ? cut.padStart(width)
              : i === row.length - 1
                ? cut
                : cut.padEnd(width);
          if (isHeader) return this.paint("bold", padded);
          return i === statusColumn ? padded.replace(cut, this.status(cut)) : padded;
        })
        .join(SEPARATOR)
        .trimEnd();
    this.line(render(titles, true));
    this.line(widths.map((w) => "-".repeat(w)).join("-+-"));
    for (const row of cells) this.line(render(row, false));
  }

  /** `Label:  value` lines with the values aligned; entries with an `undefined` value are skipped. */
  labels(entries: readonly (readonly [string, string | undefined])[]): void {
    const shown = entries.filter((e): e is readonly [string, string] => e[1] !== undefined);
    const width = Math.max(0, ...shown.map(([label]) => label.length + 1));
    for (const [label, value] of shown) this.line(`${`${label}:`.padEnd(width)}  ${value}`);
  }

  /** `- item` lines under a heading, or `(none)`. */
  bullets(title: string, items: readonly string[]): void {
    this.line(`${title}:`);
    if (items.length === 0) this.line("  (none)");
    for (const item of items) this.line(`  - ${item}`);
  }
}

/** First 4 + `*` × (length − 8) + last 4; keys of 8 characters or fewer are fully starred. */
export function maskSecret(value: string): string {
  if (value.length <= 8) return "*".repeat(value.length);
  return `${value.slice(0, 4)}${"*".repeat(value.length - 8)}${value.slice(-4)}`;
}

/** USD as `$0.00`, or `uncapped` for a missing budget. */
export function usd(value: number | null | undefined, missing = "uncapped"): string {
  return value === null || value === undefined ? missing : `$${value.toFixed(2)}`;
}

/** Comma-joined list, or `-` when empty. */
export function joined(values: readonly string[]): string {
  return values.length === 0 ? "-" : values.join(", ");
}
