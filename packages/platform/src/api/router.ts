/**
 * @module api/router
 * Method + path-pattern routing. Patterns use `:name` segments; where several patterns match,
 * the one with more literal segments earlier wins, so `/policies/translate` beats
 * `/policies/:name` whatever the registration order. A final `*` segment matches the rest of
 * the path (zero or more segments, left undecoded in `params["*"]`): `/egress/:token/:tool/*`.
 */

export interface RouteMatch<H> {
  handler: H;
  params: Record<string, string>;
  /** The registered pattern, e.g. `/agents/:name/invoke` (a bounded metrics label). */
  pattern: string;
}

interface Route<H> {
  method: string;
  segments: string[];
  handler: H;
  /** Literal segments score "1", params "0", a final `*` nothing: the higher string wins. */
  score: string;
  pattern: string;
}

export type RouteResult<H> =
  | { kind: "found"; match: RouteMatch<H> }
  | { kind: "method_not_allowed"; allow: string[] }
  | { kind: "not_found" };

export class Router<H> {
  readonly #routes: Route<H>[] = [];
  /** Routes by their literal first segment; the rest (param or `*` first, or `/`) are tried for every path. */
  readonly #byFirst = new Map<string, Route<H>[]>();
  readonly #anyFirst: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    const segments = split(pattern);
    const score = segments.map((s) => (s === "*" ? "" : s.startsWith(":") ? "0" : "1")).join("");
    const route = {
      method: method.toUpperCase(),
      segments,
      handler,
      score,
      pattern: `/${segments.join("/")}`,
    };
    this.#routes.push(route);
    const first = segments[0];
    if (first === undefined || first === "*" || first.startsWith(":")) this.#anyFirst.push(route);
    else {
      const group = this.#byFirst.get(first);
      if (group) group.push(route);
      else this.#byFirst.set(first, [route]);
    }
    return this;
  }

  get patterns(): { method: string; path: string }[] {
    return this.#routes.map((r) => ({ method: r.method, path: `/${r.segments.join("/")}` }));
  }

  /** Every registered route with its handler, in registration order (for checks over all routes). */
  get routes(): { method: string; path: string; handler: H }[] {
    return this.#routes.map((r) => ({
      method: r.method,
      path: `/${r.segments.join("/")}`,
      handler: r.handler,
    }));
  }

  match(method: string, path: string): RouteResult<H> {
    const parts = split(path);
    const group = parts[0] === undefined ? undefined : this.#byFirst.get(parts[0]);
    const candidates = group ? [group, this.#anyFirst] : [this.#anyFirst];
    let best: { route: Route<H>; params: Record<string, string> } | undefined;
    for (const routes of candidates) {
      for (const route of routes) {
        if (route.method !== method && !(method === "HEAD" && route.method === "GET")) continue;
        if (best && route.score <= best.route.score) continue;
        const params = matchSegments(route.segments, parts);
        if (params) best = { route, params };
      }
    }
    if (best) {
      return {
        kind: "found",
        match: { handler: best.route.handler, params: best.params, pattern: best.route.pattern },
      };
    }
    // No route for this method: which methods would the path take?
    const allow = new Set<string>();
    for (const routes of candidates) {
      for (const route of routes) if (matchSegments(route.segments, parts)) allow.add(route.method);
    }
    if (allow.size > 0) return { kind: "method_not_allowed", allow: [...allow].sort() };
    return { kind: "not_found" };
  }
}

function split(path: string): string[] {
  return path.split("/").filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const rest = pattern[pattern.length - 1] === "*";
  const fixed = rest ? pattern.length - 1 : pattern.length;
  if (rest ? parts.length < fixed : pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  if (rest) params["*"] = parts.slice(fixed).join("/");
  for (let i = 0; i < fixed; i++) {
    const p = pattern[i] as string;
    const part = parts[i] as string;
    if (p.startsWith(":")) {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return undefined;
      }
      params[p.slice(1)] = value;
    } else if (p !== part) {
      return undefined;
    }
  }
  return params;
}
