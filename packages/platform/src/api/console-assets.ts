/**
 * @module api/console-assets
 * Serves the web console that `npm run build` puts in `dist/console` (Vite, from `console/`):
 * `index.html` at `/` for browsers, its content-hashed files at `/assets/<file>`. Everything is
 * read once and kept in memory with its gzip form; hashed assets are cached for a year
 * (`immutable`), the page itself revalidates. Only plain file names under `assets/` are served:
 * no path reaches outside the folder.
 */
import { readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { HttpError } from "../errors.js";
import { tokenEndpointOrigins } from "../ingress/sign-in.js";
import type { Reply, RequestContext } from "./context.js";

const CONSOLE_DIR = fileURLToPath(new URL("../../console/", import.meta.url));
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,200}$/;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

/**
 * The page's own rules: scripts only from this origin (uPlot sets inline styles); connections to
 * this origin and to the token endpoints of the identity providers people sign in with (the
 * browser exchanges the authorization code there itself), nothing else.
 */
export const contentSecurityPolicy = (tokenOrigins: readonly string[] = []): string =>
  `default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src ${["'self'", ...tokenOrigins].join(" ")}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`;

const PAGE_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-cache",
};

interface Loaded {
  body: Buffer;
  gzip: Buffer;
  type: string;
}

const cache = new Map<string, Loaded | null>();

function load(relative: string): Loaded | null {
  let found = cache.get(relative);
  if (found !== undefined) return found;
  try {
    const body = readFileSync(join(CONSOLE_DIR, relative));
    found = { body, gzip: gzipSync(body), type: TYPES[extname(relative)] ?? "application/octet-stream" };
  } catch {
    found = null;
  }
  cache.set(relative, found);
  return found;
}

/** Whether the request is a browser's page load (it accepts HTML), not an API client's. */
export const wantsHtml = (ctx: RequestContext): boolean => /\btext\/html\b/.test(ctx.headers.accept ?? "");

export async function consolePage(ctx: RequestContext): Promise<Reply> {
  const page = load("index.html");
  if (!page) {
    return {
      status: 404,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
      stream: async (res) => {
        res.end("The console is not built: run `npm run build`, then reload.\n");
      },
    };
  }
  const origins = await tokenEndpointOrigins(ctx.store, await ctx.store.listWorkspaces("identity_provider"));
  return file(ctx, page, { ...PAGE_HEADERS, "Content-Security-Policy": contentSecurityPolicy(origins) });
}

export function consoleAsset(ctx: RequestContext): Reply {
  const name = ctx.params.file ?? "";
  if (!ASSET_NAME.test(name) || name.includes("..")) throw new HttpError(404, "no such console asset");
  const asset = load(`assets/${name}`);
  if (!asset) throw new HttpError(404, "no such console asset");
  return file(ctx, asset, {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
  });
}

function file(ctx: RequestContext, loaded: Loaded, headers: Record<string, string>): Reply {
  const gzip = /\bgzip\b/.test(String(ctx.headers["accept-encoding"] ?? ""));
  const body = gzip ? loaded.gzip : loaded.body;
  return {
    status: 200,
    headers: {
      ...headers,
      "Content-Type": loaded.type,
      "Content-Length": String(body.length),
      Vary: "Accept, Accept-Encoding",
      ...(gzip ? { "Content-Encoding": "gzip" } : {}),
    },
    stream: async (res) => {
      res.end(ctx.method === "HEAD" ? undefined : body);
    },
  };
}
