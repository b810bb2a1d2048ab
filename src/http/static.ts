// HTTP: the demo pages' static files, served from a table built at startup (no path from a request touches the disk).
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
 * A page's script: `web/app.ts` for the chat page at `/`, `web/<page>/main.ts` for every other page. Each bundles
 * the client SDK it imports.
 */
interface PageScript {
  /** The TypeScript entry, relative to the web folder. */
  readonly entry: string;
  /** The prebuilt bundle under `web/dist/` (made by `npm run build`), relative to the web folder. */
  readonly prebuilt: string;
  /** The URL path of the script. */
  readonly url: string;
}

const FILE_NAME = /^[A-Za-z0-9_-]+\.[a-z]+$/;
const PAGE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Bundles one page script for browsers with esbuild's JS API. esbuild is a development dependency: without it, the
 * prebuilt bundle under `web/dist/` is used instead.
 * @param webRoot The web folder.
 * @param page The page's script.
 * @returns The bundle and where it came from; null when neither exists.
 */
async function bundleScript(webRoot: string, page: PageScript): Promise<{ body: Buffer; source: BundleSource } | null> {
  const entry = join(webRoot, page.entry);
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
  const prebuilt = join(webRoot, page.prebuilt);
  if (existsSync(prebuilt)) return { body: await readFile(prebuilt), source: 'web/dist' };
  return null;
}

/**
 * The page scripts under a web folder: the chat page's `app.ts` and each `<page>/main.ts`.
 * @param webRoot The web folder.
 * @returns One entry per page, the chat page first.
 */
export async function listPageScripts(webRoot: string): Promise<PageScript[]> {
  const pages: PageScript[] = [{ entry: 'app.ts', prebuilt: join('dist', 'app.js'), url: '/app.js' }];
  for (const entry of await readdir(webRoot, { withFileTypes: true })) {
    if (!entry.isDirectory() || !PAGE_NAME.test(entry.name) || entry.name === 'dist') continue;
    if (!existsSync(join(webRoot, entry.name, 'main.ts'))) continue;
    pages.push({
      entry: join(entry.name, 'main.ts'),
      prebuilt: join('dist', entry.name, 'main.js'),
      url: `/${entry.name}/main.js`,
    });
  }
  return pages;
}

/**
 * Reads the static files (`*.html|css|svg|png|ico|json`) directly in a folder into the asset table.
 * @param assets The table to fill.
 * @param folder The folder on disk.
 * @param prefix The URL prefix (`/` or `/<page>/`).
 */
async function addFiles(assets: Map<string, Asset>, folder: string, prefix: string): Promise<void> {
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const type = CONTENT_TYPES[extname(entry.name)];
    if (!entry.isFile() || type === undefined || entry.name.endsWith('.js') || !FILE_NAME.test(entry.name)) continue;
    assets.set(`${prefix}${entry.name}`, { body: await readFile(join(folder, entry.name)), type });
  }
}

/**
 * Loads the pages' files into memory: every `*.html|css|svg|png|ico|json` directly in `webRoot` (the chat page at `/`)
 * plus `/app.js`, and for each page folder `web/<page>/` with a `main.ts` its files under `/<page>/`, its script at
 * `/<page>/main.js`, and its `index.html` at `/<page>` and `/<page>/` too.
 * @param webRoot The web folder.
 * @returns The site; an empty one when the folder does not exist.
 */
export async function loadStaticSite(webRoot: string = DEFAULT_WEB_ROOT): Promise<StaticSite> {
  const assets = new Map<string, Asset>();
  if (!existsSync(webRoot)) return new StaticSite(assets, 'missing');
  await addFiles(assets, webRoot, '/');
  let source: BundleSource = 'missing';
  for (const page of await listPageScripts(webRoot)) {
    if (page.url !== '/app.js') {
      const prefix = page.url.slice(0, -'main.js'.length);
      await addFiles(assets, join(webRoot, prefix), prefix);
      const index = assets.get(`${prefix}index.html`);
      if (index !== undefined) {
        assets.set(prefix, index);
        assets.set(prefix.slice(0, -1), index);
      }
    }
    const script = await bundleScript(webRoot, page);
    if (script === null) continue;
    assets.set(page.url, { body: script.body, type: CONTENT_TYPES['.js']! });
    if (page.url === '/app.js') source = script.source;
  }
  return new StaticSite(assets, source);
}
