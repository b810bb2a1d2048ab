// HTTP: the chat page's static files, served from a table built at startup (no path from a request touches the disk).
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import type http from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `web/` folder of this package (works from `src/http` and from `dist/http`). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/**
 * Content-Security-Policy of the page: scripts and styles only from this origin, never inline (docs/security-cases.md AP-14),
 * WebSocket connections only back to this origin.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers sent with every static file. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': PAGE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** How the page script was obtained, for the startup log. */
export type BundleSource = 'esbuild' | 'web/dist' | 'missing';

/** The served files, by URL path. */
export class StaticSite {
  readonly #assets: ReadonlyMap<string, Asset>;
  /** Where `/app.js` came from. */
  readonly bundle: BundleSource;

  /**
   * @param assets Files by URL path.
   * @param bundle Where the script came from.
   */
  constructor(assets: ReadonlyMap<string, Asset>, bundle: BundleSource) {
    this.#assets = assets;
    this.bundle = bundle;
  }

  /** URL paths served. */
  get paths(): string[] {
    return [...this.#assets.keys()];
  }

  /**
   * Answers a GET or HEAD for a static path.
   * @param req The request.
   * @param res The response.
   * @param pathname The decoded-free pathname (query removed).
   * @returns false when the path is not a static file (the caller answers 404).
   */
  serve(req: http.IncomingMessage, res: http.ServerResponse, pathname: string): boolean {
    const asset = this.#assets.get(pathname === '/' ? '/index.html' : pathname);
    if (asset === undefined) return false;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': asset.type,
      'Content-Length': asset.body.length,
      'Cache-Control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }
}

/**
 * Bundles `web/app.ts` (and the client SDK it imports) for browsers with esbuild's JS API. esbuild is a
 * development dependency: without it, `web/dist/app.js` (made by `npm run build`) is used instead.
 * @param webRoot The web folder.
 * @returns The bundle and where it came from.
 */
async function bundleScript(webRoot: string): Promise<{ body: Buffer; source: BundleSource } | null> {
  const entry = join(webRoot, 'app.ts');
  if (existsSync(entry)) {
    try {
      const esbuild = await import('esbuild');
      const result = await esbuild.build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        minify: true,
        sourcemap: false,
        logLevel: 'silent',
        legalComments: 'none',
      });
      const out = result.outputFiles[0];
      if (out !== undefined) return { body: Buffer.from(out.contents), source: 'esbuild' };
    } catch {
      // Not installed (production install) or a build error: fall back to the prebuilt bundle.
    }
  }
  const prebuilt = join(webRoot, 'dist', 'app.js');
  if (existsSync(prebuilt)) return { body: await readFile(prebuilt), source: 'web/dist' };
  return null;
}

/**
 * Loads the page's files into memory: every `*.html|css|svg|png|ico` directly in `webRoot`, plus `/app.js`.
 * @param webRoot The web folder.
 * @returns The site; an empty one when the folder does not exist.
 */
export async function loadStaticSite(webRoot: string = DEFAULT_WEB_ROOT): Promise<StaticSite> {
  const assets = new Map<string, Asset>();
  if (!existsSync(webRoot)) return new StaticSite(assets, 'missing');
  for (const entry of await readdir(webRoot, { withFileTypes: true })) {
    const type = CONTENT_TYPES[extname(entry.name)];
    if (
      !entry.isFile() ||
      type === undefined ||
      entry.name.endsWith('.js') ||
      !/^[A-Za-z0-9_-]+\.[a-z]+$/.test(entry.name)
    )
      continue;
    assets.set(`/${entry.name}`, { body: await readFile(join(webRoot, entry.name)), type });
  }
  const script = await bundleScript(webRoot);
  if (script !== null) assets.set('/app.js', { body: script.body, type: CONTENT_TYPES['.js']! });
  return new StaticSite(assets, script?.source ?? 'missing');
}
