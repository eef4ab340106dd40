/**
 * Test helper: a strict parser of the Prometheus text exposition format (0.0.4). Every line must
 * be a `# HELP`, a `# TYPE` or a sample of a family whose TYPE came first; label values are
 * unescaped; a histogram's series must be `_bucket` (with `le`), `_sum` or `_count`. Anything else
 * throws, so a scrape that a Prometheus server would reject fails the test.
 * (`parse-prometheus-text-format` on npm drops the labels of histogram series, hence this one.)
 */

export interface PromFamily {
  name: string;
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/;
const TYPES = ["counter", "gauge", "histogram", "summary", "untyped"];

export function parsePrometheusText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const [index, line] of lines.entries()) {
    const fail = (why: string): never => {
      throw new Error(`line ${index + 1}: ${why}: ${line}`);
    };
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!new RegExp(`^${NAME}$`).test(name)) fail("bad metric name");
      const family = families.get(name) ?? { name, type: "untyped", help: "", samples: [] };
      if (kind === "TYPE") {
        if (!TYPES.includes(rest)) fail("unknown type");
        if (family.samples.length > 0) fail("TYPE after samples");
        family.type = rest;
      } else family.help = rest;
      families.set(name, family);
      continue;
    }
    if (line.startsWith("#") || line === "") continue;
    const sample = SAMPLE.exec(line) ?? fail("not a sample");
    const [, name, labelText = "", valueText] = sample as unknown as [
      string,
      string,
      string | undefined,
      string,
    ];
    const labels: Record<string, string> = {};
    for (let rest = labelText; rest.length > 0; ) {
      const label = LABEL.exec(rest) ?? fail("bad label set");
      const [whole, key, raw] = label as unknown as [string, string, string];
      if (key in labels) fail(`label ${key} repeated`);
      labels[key] = raw.replace(/\\(["\\n])/g, (_m, c: string) => (c === "n" ? "\n" : c));
      rest = rest.slice(whole.length);
    }
    const value = valueText === "+Inf" ? Infinity : valueText === "-Inf" ? -Infinity : Number(valueText);
    if (Number.isNaN(value) && valueText !== "NaN") fail("bad value");
    const family =
      families.get(name) ??
      families.get(name.replace(/_(bucket|sum|count)$/, "")) ??
      fail("sample before its TYPE");
    if (family.type === "histogram") {
      const suffix = name.slice(family.name.length);
      if (!["_bucket", "_sum", "_count"].includes(suffix)) fail("bad histogram series");
      if ((suffix === "_bucket") !== "le" in labels) fail("le belongs to _bucket series only");
    } else if (name !== family.name) fail("sample name differs from its family");
    family.samples.push({ name, labels, value });
  }
  return families;
}
